#ifndef CSQLITESHIM_H
#define CSQLITESHIM_H

#include <sqlite3.h>

/// Keeps a connection from checkpointing the WAL into the database file when it closes,
/// so that a reader never rewrites the journal (sqlite3_db_config is variadic and cannot be
/// called from Swift). Returns an SQLite result code.
int swifttuner_disable_checkpoint_on_close(sqlite3 *db);

#endif
