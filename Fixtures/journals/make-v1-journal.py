#!/usr/bin/env python3
"""Writes v1-study.sqlite: a journal as schema version 1 left it (before the cached streak).

Frozen record of the first published schema, kept to test forward migration. Three trials
ended COMPLETED, FAILED, FAILED, so the migrated streak must be 2 and the end count 3.
Run from this folder: python3 make-v1-journal.py
"""
import os
import sqlite3

PATH = "v1-study.sqlite"
if os.path.exists(PATH):
    os.remove(PATH)
db = sqlite3.connect(PATH)
db.executescript("""
CREATE TABLE study (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL, directory TEXT NOT NULL,
    tunerKind TEXT NOT NULL, objectiveName TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('min', 'max')), seed INTEGER NOT NULL, space TEXT NOT NULL,
    createdAt DOUBLE NOT NULL);
CREATE TABLE session (id INTEGER PRIMARY KEY AUTOINCREMENT, pid INTEGER NOT NULL, host TEXT NOT NULL,
    startedAt DOUBLE NOT NULL, endedAt DOUBLE, stopReason TEXT, message TEXT, limits TEXT NOT NULL);
CREATE TABLE trial (number INTEGER PRIMARY KEY, status TEXT NOT NULL, hyperparameters TEXT NOT NULL,
    seed INTEGER NOT NULL, score DOUBLE, bestEpoch INTEGER, metrics TEXT, errorType TEXT, message TEXT,
    createdSession INTEGER NOT NULL REFERENCES session(id), createdAt DOUBLE NOT NULL, endedAt DOUBLE,
    endSeq INTEGER UNIQUE);
CREATE TABLE attempt (id INTEGER PRIMARY KEY AUTOINCREMENT, trial INTEGER NOT NULL REFERENCES trial(number),
    number INTEGER NOT NULL, session INTEGER NOT NULL REFERENCES session(id), outcome TEXT,
    counted BOOLEAN NOT NULL DEFAULT 0, errorType TEXT, message TEXT, trace TEXT, startedAt DOUBLE NOT NULL,
    endedAt DOUBLE, duration DOUBLE, score DOUBLE, metrics TEXT, UNIQUE (trial, number));
CREATE TABLE epochMetric (attempt INTEGER NOT NULL REFERENCES attempt(id), epoch INTEGER NOT NULL,
    name TEXT NOT NULL, value DOUBLE, PRIMARY KEY (attempt, epoch, name)) WITHOUT ROWID;
PRAGMA application_id = 1398043986;
PRAGMA user_version = 1;
""")
space = ('{"definitions":[{"conditions":[],"defaultValue":0,"kind":{"int":{"max":4,"min":0,'
         '"sampling":"linear"}},"name":"x"}]}')
db.execute("INSERT INTO study VALUES (1, 'study', '.', 'GridSearch', 'val_loss', 'min', 1, ?, 1764300000.0)", (space,))
db.execute("INSERT INTO session VALUES (1, 4242, 'old-host', 1764300000.0, 1764300003.0, 'completed', NULL, '{}')")
for n, status, score in [(0, "COMPLETED", 0.5), (1, "FAILED", None), (2, "FAILED", None)]:
    db.execute("INSERT INTO trial VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, 1, ?, ?, ?)",
               (n, status, '{"x":%d}' % n, 1000 + n, score, None if score else "ValueError",
                None if score else "too large", 1764300000.0 + n, 1764300000.5 + n, n + 1))
    db.execute("INSERT INTO attempt VALUES (NULL, ?, 1, 1, ?, 1, ?, ?, ?, ?, ?, 0.5, ?, NULL)",
               (n, "completed" if score else "failed", None if score else "ValueError",
                None if score else "too large", None if score else "ValueError: too large",
                1764300000.0 + n, 1764300000.5 + n, score))
db.commit()
db.close()
