/// The tables of the PostgreSQL study store, in the schema `swifttuner` of the database:
/// every study of the database in one set of tables, keyed by the study's id.
enum PostgresSchema {
    /// The schema version this build writes.
    static let version = 4

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

    /// Version 4: a worker's common cycle as two server-side functions, each one round trip and
    /// its own transaction, taking the study row's lock first as every write does.
    ///
    /// `finish_completed` ends a COMPLETED attempt and its trial (the next place in end order, the
    /// streak back to 0). When nothing keeps the worker from creating a trial next (no stop, its
    /// session open, no queued trial), it creates the trial the worker proposed beforehand for
    /// the number that is next, if that proposal holds (the worker knew every trial before it,
    /// or the proposal holds beside unseen trials and none has its configuration); it answers
    /// with the trials changed since the worker's marks (for the proposal, when it did not
    /// create). `create_claimed` creates the proposed trial and its first attempt when its number
    /// is still the next one, or answers with what changed.
    ///
    /// Between the two, the worker holds the study's creation turn, a session-level advisory
    /// lock taken before the row lock: no other worker's cycle creates a trial meanwhile, so the
    /// proposal stays valid. Workers queue for the turn, at most a bounded time, before they
    /// lock the row (the lock manager's queue is fair, where waiters for one row are not); the
    /// second call waits for it when the first did not get it. The turn is released when a
    /// call needs it no longer, and by the server when the connection ends.
    ///
    /// Each answers with one head row and then trial rows. `h_state`: 0 nothing written; 1
    /// written, the claim takes the ordinary path; 2 written, the turn held, propose from the
    /// rows; 3 the number was taken (the turn still held); 4 written and the trial created.
    /// A function body is one statement: the script splits only outside `$$` quotes.
    static let claimFunctions = """
        CREATE OR REPLACE FUNCTION swifttuner.finish_completed(
            p_study bigint, p_session bigint, p_stop_base bigint, p_attempt bigint, p_trial bigint,
            p_outcome text, p_counted boolean, p_error_type text, p_message text, p_trace text, p_duration float8,
            p_score float8, p_attempt_metrics text, p_epochs integer[], p_names text[], p_values float8[],
            p_trial_score float8, p_best_epoch bigint, p_trial_metrics text, p_known_trials bigint, p_known_ends bigint,
            p_numbers bigint[], p_hyperparameters text[], p_seeds bigint[], p_beside_unseen boolean)
        RETURNS TABLE (\(claimColumns))
        LANGUAGE plpgsql AS $$
        DECLARE
            v_now float8;
            v_stops integer;
            v_next integer;
            v_ends integer;
            v_claim boolean;
            v_create boolean;
            v_pick integer;
            v_timeout text;
        BEGIN
            -- Workers queue for the turn before the row: the lock manager's queue is fair, and
            -- a holder that stalls is waited for a bounded time.
            \(waitForTurn)
            SELECT extract(epoch FROM clock_timestamp())::float8, s.stop_count, s.next_trial
                INTO v_now, v_stops, v_next FROM swifttuner.study s WHERE s.id = p_study FOR UPDATE;
            IF FOUND THEN
                UPDATE swifttuner.attempt a SET outcome = p_outcome, counted = p_counted, error_type = p_error_type,
                    message = p_message, trace = p_trace, ended_at = v_now, duration = p_duration, score = p_score,
                    metrics = p_attempt_metrics
                    WHERE a.id = p_attempt AND a.outcome IS NULL;
            END IF;
            IF NOT FOUND THEN
                \(releaseTurn)
                h_state := 0; RETURN NEXT; RETURN;
            END IF;
            IF cardinality(p_epochs) > 0 THEN
                INSERT INTO swifttuner.epoch_metric (attempt, epoch, name, value)
                    SELECT p_attempt, u.e, u.n, u.v FROM unnest(p_epochs, p_names, p_values) AS u(e, n, v);
            END IF;
            -- Whether the worker may create a trial next; the end itself changes none of this.
            v_claim := v_stops <= p_stop_base
                AND NOT EXISTS (SELECT 1 FROM swifttuner.session x WHERE x.id = p_session AND x.ended_at IS NOT NULL)
                AND NOT EXISTS (SELECT 1 FROM swifttuner.trial t WHERE t.study = p_study
                    AND t.status IN ('STOPPED', 'INVALID'));
            -- The proposal made for the next number holds when the worker knew every trial before
            -- it, or when it holds beside unseen trials and none of them has its configuration.
            v_pick := array_position(p_numbers, v_next::bigint);
            v_create := v_claim AND v_pick IS NOT NULL AND (v_next = p_known_trials OR (p_beside_unseen
                AND NOT EXISTS (SELECT 1 FROM swifttuner.trial t WHERE t.study = p_study
                    AND t.number >= p_known_trials AND t.number < v_next
                    AND t.hyperparameters = p_hyperparameters[v_pick])));
            UPDATE swifttuner.study s SET end_count = s.end_count + 1, streak = 0,
                next_trial = CASE WHEN v_create THEN GREATEST(s.next_trial, v_next + 1) ELSE s.next_trial END
                WHERE s.id = p_study RETURNING s.end_count INTO v_ends;
            UPDATE swifttuner.trial t SET status = 'COMPLETED', score = p_trial_score, best_epoch = p_best_epoch,
                metrics = p_trial_metrics, error_type = NULL, message = NULL, ended_at = v_now, end_seq = v_ends
                WHERE t.study = p_study AND t.number = p_trial;
            h_now := v_now; h_ends := v_ends; h_next := v_next; h_end_seq := v_ends; h_state := 2;
            IF v_create THEN
                \(insertTrial("v_next", "p_hyperparameters[v_pick]", "p_seeds[v_pick]", basis: "p_known_ends"));
                h_state := 4;
            ELSIF NOT v_claim THEN
                h_state := 1;
            END IF;
            IF h_state <> 2 THEN
                \(releaseTurn)
            END IF;
            RETURN NEXT;
            IF h_state = 2 OR h_state = 4 THEN
                RETURN QUERY \(changedTrials("p_known_trials", "p_known_ends"));
            END IF;
        END $$;
        CREATE OR REPLACE FUNCTION swifttuner.create_claimed(
            p_study bigint, p_session bigint, p_stop_base bigint, p_number bigint, p_hyperparameters text,
            p_seed bigint, p_basis bigint, p_turn boolean)
        RETURNS TABLE (\(claimColumns))
        LANGUAGE plpgsql AS $$
        DECLARE
            v_now float8;
            v_stops integer;
            v_next integer;
            v_ends integer;
            v_timeout text;
        BEGIN
            -- The turn first, the row lock after it: the order every holder of both keeps.
            h_turn := p_turn;
            IF NOT h_turn THEN
                \(waitForTurn)
            END IF;
            SELECT extract(epoch FROM clock_timestamp())::float8, s.stop_count, s.next_trial, s.end_count
                INTO v_now, v_stops, v_next, v_ends FROM swifttuner.study s WHERE s.id = p_study FOR UPDATE;
            h_now := v_now; h_ends := v_ends; h_next := v_next; h_state := 2;
            IF NOT FOUND
                OR v_stops > p_stop_base
                OR EXISTS (SELECT 1 FROM swifttuner.session x WHERE x.id = p_session AND x.ended_at IS NOT NULL)
                OR EXISTS (SELECT 1 FROM swifttuner.trial t WHERE t.study = p_study
                    AND t.status IN ('STOPPED', 'INVALID'))
            THEN
                h_state := 1;
            ELSIF v_next <> p_number THEN
                h_state := 3;
            ELSE
                UPDATE swifttuner.study s SET next_trial = GREATEST(s.next_trial, p_number + 1) WHERE s.id = p_study;
                \(insertTrial("p_number", "p_hyperparameters", "p_seed", basis: "p_basis"));
            END IF;
            IF h_state <> 3 THEN
                \(releaseTurn)
            END IF;
            RETURN NEXT;
            IF h_state = 3 THEN
                RETURN QUERY \(changedTrials("p_number", "p_basis"));
            END IF;
        END $$;
        """

    /// The statements of a claim function that insert a trial and its first attempt, whose id
    /// goes to `h_attempt` (the study's next number is the caller's to set); the arguments are
    /// the function's expressions for each value.
    static func insertTrial(_ number: String, _ hyperparameters: String, _ seed: String, basis: String) -> String {
        """
        INSERT INTO swifttuner.trial (study, number, status, hyperparameters, seed, created_session,
                    created_at, basis)
                    VALUES (p_study, \(number), 'RUNNING', \(hyperparameters), \(seed), p_session, v_now, \(basis));
                INSERT INTO swifttuner.attempt (study, trial, number, session, started_at)
                    VALUES (p_study, \(number), 1, p_session, v_now) RETURNING id INTO h_attempt
        """
    }

    /// The statements of a claim function that wait for the study's creation turn, at most
    /// ``turnWaitMilliseconds``; `h_turn` says whether it was got.
    static let waitForTurn = """
        h_turn := pg_try_advisory_lock(\(turnKey), (p_study % 2147483647)::integer);
                IF NOT h_turn THEN
                    v_timeout := current_setting('lock_timeout');
                    PERFORM set_config('lock_timeout', '\(turnWaitMilliseconds)ms', true);
                    BEGIN
                        PERFORM pg_advisory_lock(\(turnKey), (p_study % 2147483647)::integer);
                        h_turn := true;
                    EXCEPTION WHEN lock_not_available THEN
                        h_turn := false;
                    END;
                    PERFORM set_config('lock_timeout', v_timeout, true);
                END IF;
        """

    /// The statements of a claim function that give the creation turn back when it holds it.
    static let releaseTurn = """
        IF h_turn THEN
                    PERFORM pg_advisory_unlock(\(turnKey), (p_study % 2147483647)::integer);
                    h_turn := false;
                END IF;
        """

    /// The first key of the study's creation turn (an advisory lock; the second is the study's id).
    static let turnKey: Int32 = 0x5377_5476

    /// How long a worker waits for the creation turn before it goes on without it (a holder
    /// paused or cut off keeps it until the server closes its idle session).
    static let turnWaitMilliseconds = 250

    /// The trials created at or after a number, and those ended after an end-order mark, by
    /// number: what a worker's claim refreshes, in two index range scans (their OR would scan
    /// the study), with the head's columns empty. A function's plan is generic: `OFFSET 0` keeps
    /// the second scan on the end order's index, where the number's bound would lead it to scan
    /// every earlier trial.
    static func changedTrials(_ knownTrials: String, _ knownEnds: String) -> String {
        """
        SELECT \(trialColumns), NULL::integer, NULL::float8, NULL::integer, NULL::integer, NULL::integer, \
        NULL::bigint, NULL::boolean
                    FROM (
                        SELECT * FROM swifttuner.trial t WHERE t.study = p_study AND t.number >= \(knownTrials)
                        UNION ALL
                        SELECT * FROM (
                            SELECT * FROM swifttuner.trial t WHERE t.study = p_study AND t.end_seq > \(knownEnds)
                            OFFSET 0
                        ) AS e WHERE e.number < \(knownTrials)) AS c
                    ORDER BY c.number
        """
    }

    /// The columns the claim functions answer with: a trial's (``trialColumns``' order), then the head's.
    static let claimColumns = """
        t_number integer, t_status text, t_hyperparameters text, t_seed bigint, t_score float8, t_best_epoch integer, \
        t_metrics text, t_error_type text, t_message text, t_created_session bigint, t_created_at float8, \
        t_ended_at float8, t_end_seq integer, h_state integer, h_now float8, h_ends integer, h_next integer, \
        h_end_seq integer, h_attempt bigint, h_turn boolean
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
        INSERT INTO swifttuner.meta (key, value) VALUES ('schema_version', '4') ON CONFLICT (key) DO NOTHING;
        """ + "\n" + notifications + "\n" + claimFunctions

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
        // Version 4: the claim's functions.
        3: claimFunctions + "\n" + """
        UPDATE swifttuner.meta SET value = '4' WHERE key = 'schema_version';
        """,
    ]

    /// A script's statements: split at a semicolon that ends a line, except inside a `$$`-quoted
    /// function body.
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quoted = false
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            current += line + "\n"
            if line.components(separatedBy: "$$").count % 2 == 0 { quoted.toggle() }
            if !quoted, line.hasSuffix(";") {
                statements.append(String(current.trimmingCharacters(in: .whitespacesAndNewlines).dropLast()))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements.filter { !$0.isEmpty }
    }

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
