import GRDB

extension StudyJournal {
    /// The forward migrations, version 1 first. Each brings the schema from `index` to
    /// `index + 1`; all pending ones run in one transaction (S25).
    static let migrations: [@Sendable (Database) throws -> Void] = [
        // Version 1: the first published schema.
        { db in
            try db.execute(
                sql: """
                    CREATE TABLE study (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        name TEXT NOT NULL,
                        directory TEXT NOT NULL,
                        tunerKind TEXT NOT NULL,
                        objectiveName TEXT NOT NULL,
                        direction TEXT NOT NULL CHECK (direction IN ('min', 'max')),
                        seed INTEGER NOT NULL,
                        space TEXT NOT NULL,
                        createdAt DOUBLE NOT NULL
                    );
                    CREATE TABLE session (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        pid INTEGER NOT NULL,
                        host TEXT NOT NULL,
                        startedAt DOUBLE NOT NULL,
                        endedAt DOUBLE,
                        stopReason TEXT,
                        message TEXT,
                        limits TEXT NOT NULL
                    );
                    CREATE TABLE trial (
                        number INTEGER PRIMARY KEY,
                        status TEXT NOT NULL,
                        hyperparameters TEXT NOT NULL,
                        seed INTEGER NOT NULL,
                        score DOUBLE,
                        bestEpoch INTEGER,
                        metrics TEXT,
                        errorType TEXT,
                        message TEXT,
                        createdSession INTEGER NOT NULL REFERENCES session(id),
                        createdAt DOUBLE NOT NULL,
                        endedAt DOUBLE,
                        endSeq INTEGER UNIQUE
                    );
                    CREATE TABLE attempt (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        trial INTEGER NOT NULL REFERENCES trial(number),
                        number INTEGER NOT NULL,
                        session INTEGER NOT NULL REFERENCES session(id),
                        outcome TEXT,
                        counted BOOLEAN NOT NULL DEFAULT 0,
                        errorType TEXT,
                        message TEXT,
                        trace TEXT,
                        startedAt DOUBLE NOT NULL,
                        endedAt DOUBLE,
                        duration DOUBLE,
                        score DOUBLE,
                        metrics TEXT,
                        UNIQUE (trial, number)
                    );
                    CREATE TABLE epochMetric (
                        attempt INTEGER NOT NULL REFERENCES attempt(id),
                        epoch INTEGER NOT NULL,
                        name TEXT NOT NULL,
                        value DOUBLE,
                        PRIMARY KEY (attempt, epoch, name)
                    ) WITHOUT ROWID;
                    """)
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        },
        // Version 2: the streak is cached with each trial end (S18), and graceful stops are
        // told apart from deaths (S7).
        { db in
            try db.execute(
                sql: """
                    ALTER TABLE study ADD COLUMN streak INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE study ADD COLUMN endCount INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE attempt ADD COLUMN graceful BOOLEAN NOT NULL DEFAULT 0;
                    CREATE INDEX attempt_by_session ON attempt(session);
                    """)
            let streak = try deriveStreak(db)
            try db.execute(
                sql: """
                    UPDATE study SET streak = ?, endCount = (SELECT IFNULL(MAX(endSeq), 0) FROM trial)
                    """, arguments: [streak])
        },
        // Version 3: the trial definition is kept and compared on resume (S25), and every
        // accepted change of the space or the definition is journaled.
        { db in
            try db.execute(
                sql: """
                    ALTER TABLE study ADD COLUMN trialDefinition TEXT;
                    CREATE TABLE amendment (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        at DOUBLE NOT NULL,
                        what TEXT NOT NULL CHECK (what IN ('space', 'trial')),
                        previous TEXT,
                        current TEXT NOT NULL
                    );
                    """)
        },
        // Version 4: many workers on one study (section 9). Sessions name their worker; the
        // study counts its stops, so every worker sees a stop another journaled; each trial
        // keeps the basis of its proposal; results refused by fencing are kept for diagnosis.
        { db in
            try db.execute(
                sql: """
                    ALTER TABLE session ADD COLUMN worker TEXT;
                    ALTER TABLE study ADD COLUMN stopCount INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE study ADD COLUMN stopSession INTEGER;
                    ALTER TABLE study ADD COLUMN stoppedAt DOUBLE;
                    CREATE TABLE proposal (
                        trial INTEGER PRIMARY KEY REFERENCES trial(number),
                        basis INTEGER NOT NULL
                    );
                    CREATE TABLE lateResult (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        attempt INTEGER NOT NULL REFERENCES attempt(id),
                        session INTEGER NOT NULL REFERENCES session(id),
                        at DOUBLE NOT NULL,
                        outcome TEXT NOT NULL,
                        score DOUBLE,
                        message TEXT
                    );
                    CREATE INDEX trial_by_status ON trial(status, number);
                    CREATE INDEX attempt_open ON attempt(trial) WHERE outcome IS NULL;
                    """)
        },
    ]

    /// Applies the pending migrations in one transaction.
    static func migrate(_ db: Database, from version: Int) throws {
        for index in version..<migrations.count {
            try migrations[index](db)
        }
        try db.execute(sql: "PRAGMA user_version = \(migrations.count)")
    }
}
