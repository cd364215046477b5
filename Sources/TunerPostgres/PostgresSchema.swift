/// The tables of the PostgreSQL study store, in the schema `swifttuner` of the database:
/// every study of the database in one set of tables, keyed by the study's id.
enum PostgresSchema {
    /// The schema version this build writes.
    static let version = 3

    /// The channel on which every change to a study is announced (`NOTIFY`), its payload the
    /// study's id: what `tuner serve` listens to.
    static let changeChannel = "swifttuner_change"

    /// Version 3: triggers that announce every change to a study on ``changeChannel``, inside
    /// the writer's own transaction (no round trip of its own; the notice is sent at commit, and
    /// one per study per transaction). A function body stays on one line: statements are split
    /// at a semicolon that ends a line.
    static let notifications = """
        CREATE OR REPLACE FUNCTION swifttuner.announce_row() RETURNS trigger LANGUAGE plpgsql AS $$ \
        BEGIN PERFORM pg_notify('swifttuner_change', NEW.study::text); RETURN NULL; END $$;
        CREATE OR REPLACE FUNCTION swifttuner.announce_study() RETURNS trigger LANGUAGE plpgsql AS $$ \
        BEGIN PERFORM pg_notify('swifttuner_change', NEW.id::text); RETURN NULL; END $$;
        CREATE OR REPLACE TRIGGER announce AFTER INSERT OR UPDATE ON swifttuner.study
            FOR EACH ROW EXECUTE FUNCTION swifttuner.announce_study();
        CREATE OR REPLACE TRIGGER announce AFTER INSERT OR UPDATE ON swifttuner.session
            FOR EACH ROW EXECUTE FUNCTION swifttuner.announce_row();
        CREATE OR REPLACE TRIGGER announce AFTER INSERT OR UPDATE ON swifttuner.trial
            FOR EACH ROW EXECUTE FUNCTION swifttuner.announce_row();
        CREATE OR REPLACE TRIGGER announce AFTER INSERT OR UPDATE ON swifttuner.attempt
            FOR EACH ROW EXECUTE FUNCTION swifttuner.announce_row();
        """

    /// Creates the tables when they are missing; run under an advisory lock so that workers
    /// starting together create them once. Statements end with ";" and a line break.
    static let create = """
        CREATE SCHEMA IF NOT EXISTS swifttuner;
        CREATE TABLE IF NOT EXISTS swifttuner.meta (
            key text PRIMARY KEY,
            value text NOT NULL
        );
        CREATE TABLE IF NOT EXISTS swifttuner.study (
            id bigserial PRIMARY KEY,
            name text NOT NULL UNIQUE,
            directory text NOT NULL,
            tuner_kind text NOT NULL,
            objective_name text NOT NULL,
            direction text NOT NULL CHECK (direction IN ('min', 'max')),
            seed bigint NOT NULL,
            space text NOT NULL,
            created_at double precision NOT NULL,
            streak integer NOT NULL DEFAULT 0,
            end_count integer NOT NULL DEFAULT 0,
            trial_definition text,
            stop_count integer NOT NULL DEFAULT 0,
            stop_session bigint,
            stopped_at double precision,
            next_trial integer NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS swifttuner.session (
            id bigserial PRIMARY KEY,
            study bigint NOT NULL REFERENCES swifttuner.study(id) ON DELETE CASCADE,
            pid integer NOT NULL,
            host text NOT NULL,
            started_at double precision NOT NULL,
            ended_at double precision,
            stop_reason text,
            message text,
            limits text NOT NULL,
            worker text NOT NULL,
            lease_until timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS session_open ON swifttuner.session (study) WHERE ended_at IS NULL;
        CREATE TABLE IF NOT EXISTS swifttuner.trial (
            study bigint NOT NULL REFERENCES swifttuner.study(id) ON DELETE CASCADE,
            number integer NOT NULL,
            status text NOT NULL,
            hyperparameters text NOT NULL,
            seed bigint NOT NULL,
            score double precision,
            best_epoch integer,
            metrics text,
            error_type text,
            message text,
            created_session bigint NOT NULL REFERENCES swifttuner.session(id),
            created_at double precision NOT NULL,
            ended_at double precision,
            end_seq integer,
            basis integer,
            PRIMARY KEY (study, number),
            UNIQUE (study, end_seq)
        );
        CREATE INDEX IF NOT EXISTS trial_by_status ON swifttuner.trial (study, status, number);
        CREATE TABLE IF NOT EXISTS swifttuner.attempt (
            id bigserial PRIMARY KEY,
            study bigint NOT NULL,
            trial integer NOT NULL,
            number integer NOT NULL,
            session bigint NOT NULL REFERENCES swifttuner.session(id),
            outcome text,
            counted boolean NOT NULL DEFAULT false,
            graceful boolean NOT NULL DEFAULT false,
            error_type text,
            message text,
            trace text,
            started_at double precision NOT NULL,
            ended_at double precision,
            duration double precision,
            score double precision,
            metrics text,
            UNIQUE (study, trial, number),
            FOREIGN KEY (study, trial) REFERENCES swifttuner.trial(study, number) ON DELETE CASCADE
        );
        CREATE INDEX IF NOT EXISTS attempt_open ON swifttuner.attempt (session) WHERE outcome IS NULL;
        CREATE TABLE IF NOT EXISTS swifttuner.epoch_metric (
            attempt bigint NOT NULL REFERENCES swifttuner.attempt(id) ON DELETE CASCADE,
            epoch integer NOT NULL,
            name text NOT NULL,
            value double precision,
            PRIMARY KEY (attempt, epoch, name)
        );
        CREATE TABLE IF NOT EXISTS swifttuner.amendment (
            id bigserial PRIMARY KEY,
            study bigint NOT NULL REFERENCES swifttuner.study(id) ON DELETE CASCADE,
            at double precision NOT NULL,
            what text NOT NULL CHECK (what IN ('space', 'trial')),
            previous text,
            current text NOT NULL
        );
        CREATE TABLE IF NOT EXISTS swifttuner.late_result (
            id bigserial PRIMARY KEY,
            study bigint NOT NULL REFERENCES swifttuner.study(id) ON DELETE CASCADE,
            attempt bigint NOT NULL REFERENCES swifttuner.attempt(id) ON DELETE CASCADE,
            session bigint NOT NULL,
            at double precision NOT NULL,
            outcome text NOT NULL,
            score double precision,
            message text
        );
        INSERT INTO swifttuner.meta (key, value) VALUES ('schema_version', '3') ON CONFLICT (key) DO NOTHING;
        """ + "\n" + notifications

    /// What brings tables of each older version to the next one, keyed by the older version.
    static let upgrades: [Int: String] = [
        // Version 2: the study row counts its trials (the claim reads the next number from the
        // row it locks), counted once from the trials already there.
        1: """
        ALTER TABLE swifttuner.study ADD COLUMN next_trial integer NOT NULL DEFAULT 0;
        UPDATE swifttuner.study st
            SET next_trial = (SELECT COALESCE(MAX(t.number) + 1, 0) FROM swifttuner.trial t WHERE t.study = st.id);
        UPDATE swifttuner.meta SET value = '2' WHERE key = 'schema_version';
        """,
        // Version 3: changes are announced.
        2: notifications + "\n" + """
        UPDATE swifttuner.meta SET value = '3' WHERE key = 'schema_version';
        """,
    ]

    /// The advisory lock key under which the schema is created ("SwTu" in ASCII).
    static let lockKey: Int64 = 0x5377_5475

    /// The trial columns ``PostgresStudyStore`` reads, in the order it decodes them.
    static let trialColumns = """
        number, status, hyperparameters, seed, score, best_epoch, metrics, error_type, message, created_session, \
        created_at, ended_at, end_seq
        """
    /// The attempt columns, in decoding order.
    static let attemptColumns = """
        id, trial, number, session, outcome, counted, graceful, error_type, message, trace, started_at, ended_at, \
        duration, score, metrics
        """
    /// The session columns, in decoding order.
    static let sessionColumns = "id, pid, host, started_at, ended_at, stop_reason, message, limits, worker"
    /// The study columns, in decoding order.
    static let studyColumns = """
        name, directory, tuner_kind, objective_name, direction, seed, space, created_at, streak, end_count, \
        trial_definition
        """
}
