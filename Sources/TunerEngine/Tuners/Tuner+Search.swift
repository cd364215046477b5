import Foundation
import TunerCore
import TunerJournal

/// How a search session ended.
///
/// ```swift
/// let outcome = try tuner.search { _ in TrialResult(metrics: ["val_loss": 0.1]) }
/// if outcome.stopReason == .consecutiveFailures { print(outcome.message ?? "") }
/// ```
public struct SearchOutcome: Sendable, Equatable {
    /// Why the session ended.
    public var stopReason: StopReason
    /// The stop message (the limit reached, with the failed trial ids and the last error).
    public var message: String?
    /// The session's number in the journal.
    public var session: Int64
    /// The signal that stopped the search, for `interrupted` (`SIGINT` is 2).
    public var signal: Int32?
    /// The study's COMPLETED trials when the session ended (all sessions, not only this one).
    public var completedTrials: Int

    /// Makes an outcome.
    public init(
        stopReason: StopReason, message: String?, session: Int64, signal: Int32? = nil, completedTrials: Int = 0
    ) {
        self.stopReason = stopReason
        self.message = message
        self.session = session
        self.signal = signal
        self.completedTrials = completedTrials
    }

    /// The exit code a command reports (SEMANTICS section 8): 0 completed, 3 the
    /// consecutive-failure limit, 4 fatal, 5 ended with no COMPLETED trial, 128 + the signal
    /// when interrupted, 1 for a search that failed.
    public func exitCode(completedTrials: Int) -> Int32 {
        switch stopReason {
        case .completed: completedTrials > 0 ? 0 : 5
        case .consecutiveFailures: 3
        case .fatal: 4
        case .interrupted: 128 + (signal ?? SIGINT)
        case .error: 1
        }
    }
}

/// An error that carries its own trace, journaled with the attempt (a child's output, say).
///
/// ```swift
/// struct ScriptFailed: Error, TracedError { let trace: String }
/// ```
public protocol TracedError: Error {
    /// The full trace to journal.
    var trace: String { get }
}

/// The error a search throws when its objective is missing from a trial's metrics (S11).
public struct ObjectiveNotFoundError: Error, CustomStringConvertible, Sendable {
    /// The objective's name.
    public var objective: String
    /// The metrics the trial reported.
    public var available: [String]
    /// The message, naming the objective and the metrics that exist.
    public var description: String {
        "Objective value missing in metrics reported to the tuner: expected \"\(objective)\", found " +
            "\(available.isEmpty ? "no metrics" : available.map { "\"\($0)\"" }.joined(separator: ", ")). Set the " +
            "objective to one of them, or report it."
    }
}

extension Tuner {
    /// Runs (or resumes) the search with a trial body: KerasTuner's `run_trial` override.
    ///
    /// Interrupted and retried trials run first, then new trials until the oracle is
    /// exhausted, `maxTrials` is reached, or a limit stops the search.
    ///
    /// - Returns: how the session ended (`completed` or `consecutiveFailures`).
    /// - Throws: a trial's fatal error, rethrown after it is journaled (S20);
    ///   ``ObjectiveNotFoundError`` (S11); `JournalError` when the journal cannot be written (S28).
    @discardableResult
    public func search(_ body: (TrialContext) throws -> TrialResult) throws -> SearchOutcome {
        let start = try beginSession()
        defer { start.end() }
        var run = SearchRun(tuner: self, session: start.session, stop: start.stop)
        let end = Result { () throws -> SearchRun.LoopEnd in
            try run.load()
            return try run.drive(body)
        }
        return try conclude(run, end)
    }

    /// Runs (or resumes) the search with an asynchronous trial body, such as one that runs a
    /// process and awaits its end.
    ///
    /// The rules are the synchronous search's: the same search loop runs, awaiting each
    /// attempt instead of blocking on it, and waiting for other workers without blocking a thread.
    ///
    /// ```swift
    /// try await tuner.search { context in
    ///     try await Task.sleep(for: .milliseconds(10))
    ///     return TrialResult(metrics: ["val_loss": 0.1])
    /// }
    /// ```
    ///
    /// - Returns: how the session ended.
    /// - Throws: as the synchronous search does.
    @discardableResult
    public func search(_ body: (TrialContext) async throws -> TrialResult) async throws -> SearchOutcome {
        let start = try beginSession()
        defer { start.end() }
        var run = SearchRun(tuner: self, session: start.session, stop: start.stop)
        let end: Result<SearchRun.LoopEnd, any Error>
        do {
            try run.load()
            end = .success(try await run.drive(body))
        } catch {
            end = .failure(error)
        }
        return try conclude(run, end)
    }

    /// A session that has started: its id, its stop signal and what ends its signal handling.
    struct SessionStart {
        let session: Int64
        let stop: StopSignal
        let end: () -> Void
    }

    /// Checks the limits, recovers what a killed session left, and journals a new session;
    /// installs the signal trap when the tuner handles signals.
    func beginSession() throws -> SessionStart {
        try validateLimits()
        try store.resumeLogging()
        let recovery = try store.recover()
        if verbose >= .progress, !recovery.closedSessions.isEmpty {
            output.line(
                "Resuming: \(recovery.closedSessions.count) session(s) had not ended (found interrupted); trials to " +
                    "re-run first: \(recovery.stoppedTrials.map(trialID).joined(separator: ", ").ifEmpty("none"))."
            )
        }
        let session = try store.startSession(limits: limits.json, pid: Int(getpid()), host: hostName())
        guard let sessionID = session.id else {
            throw JournalError(.writeFailed, path: store.location, "the session has no id")
        }
        let stop = StopSignal()
        // A worker that lost its lease stops its trial before another worker runs it again.
        store.whenLeaseLost { why in
            writeStandardError("SwiftTuner: \(why); stopping the running trial.\n")
            stop.fire()
        }
        var trap: SignalTrap?
        if handlesSignals {
            let quiet = verbose == .silent
            trap = SignalTrap(
                store: store, session: sessionID, stop: stop,
                announce: { text in
                    if !quiet { writeStandardError(text + "\n") }
                }, onInterrupt: onInterrupt)
            if let console = output as? StandardOutput, let trap {
                console.onBrokenPipe = { trap.stop(signal: SIGPIPE, name: "SIGPIPE") }
            }
        }
        let output = self.output
        return SessionStart(
            session: sessionID, stop: stop,
            end: {
                trap?.remove()
                (output as? StandardOutput)?.onBrokenPipe = nil
            })
    }

    /// Checks the limits as they are now, whether given to the initializer or set later (S16).
    ///
    /// - Throws: ``SearchConfigurationError`` naming the limit.
    public func validateLimits() throws {
        try limits.validate()
    }

    /// Ends the session as the loop's end says: journals it, prints the closing lines, and
    /// maps the loop's error to the outcome (a signal) or rethrows it (S20, S28).
    private func conclude(_ run: SearchRun, _ loopEnd: Result<SearchRun.LoopEnd, any Error>) throws -> SearchOutcome {
        let sessionID = run.session
        do {
            let end = try loopEnd.get()
            if !end.journaled { try store.endSession(sessionID, reason: end.reason, message: end.message) }
            store.consolidate()
            if verbose >= .progress {
                output.progress(nil)
                if let message = end.message { output.line(message) }
                // Each attempt's report ends with the total already; repeat it only after a
                // message, or when this session ran nothing.
                if end.message != nil || run.trialsThisSession == 0 {
                    output.line("Total elapsed time: \(formatElapsed(try totalElapsed()))")
                }
            }
            return SearchOutcome(
                stopReason: end.reason, message: end.message, session: sessionID,
                completedTrials: run.completedCount)
        } catch let interruption as SearchInterruptedError {
            store.consolidate()
            if verbose >= .progress {
                output.progress(nil)
                output.line(
                    "Search stopped: \(interruption). The running trial was journaled as interrupted; run the search " +
                        "again to resume."
                )
            }
            return SearchOutcome(
                stopReason: .interrupted, message: "stopped by \(interruption.signalName)",
                session: sessionID, signal: interruption.signal, completedTrials: run.completedCount)
        } catch let error as JournalError {
            try? store.abandon(session: sessionID, message: error.description)
            output.line("Search stopped: \(error)")
            throw error
        } catch let error where error is SearchEnvironmentError {
            let message = "\(describe(error).type): \(describe(error).message)"
            try? store.abandon(session: sessionID, message: message)
            store.consolidate()
            output.line("Search stopped: \(message)")
            throw error
        } catch {
            let text = "\(describe(error).type): \(describe(error).message)"
            // A fatal attempt ended the session in its own transaction (S20); any other error
            // is the search's own and ends it `error`.
            let fatal = run.stopJournaled
            if !fatal { try? store.abandon(session: sessionID, message: text) }
            store.consolidate()
            if verbose >= .progress || !fatal {
                output.line(fatal ? "Search stopped by a fatal error: \(text)" : "Search stopped: \(text)")
                if verbose >= .progress { output.line("Total elapsed time: \(formatElapsed(try totalElapsed()))") }
            }
            throw error
        }
    }

    /// The sum of the sessions' durations (S29), not the wall time since the first one.
    public func totalElapsed() throws -> Double {
        try store.sessions().totalTime()
    }
}

/// The state of one running session: the journaled trials mirrored in memory, updated by
/// this session's own writes only.
struct SearchRun {
    let tuner: Tuner
    let session: Int64
    let stop: StopSignal
    /// Whether a stop (limit or fatal) was journaled with the attempt that triggered it.
    var stopJournaled = false
    /// The trials by number (trial numbers are 0, 1, 2, … in the journal).
    var trials: [TrialRecord] = []
    var history = OracleHistory()
    /// Trials to run before any new one (STOPPED, INVALID), in order.
    var pending: [Int] = []
    var deaths: [Int: Int] = [:]
    var counted: [Int: Int] = [:]
    var best: (number: Int, score: Double)?
    var started = DispatchTime.now()
    var trialsThisSession = 0
    /// The trial ends this worker has seen (section 9).
    var knownEnds = 0
    /// The work claimed in the transaction that ended this worker's last attempt.
    var nextClaim: Claim?
    /// The grid's size for GridSearch without `maxTrials`, counted once per session (the
    /// progress line would otherwise walk the whole grid after every trial).
    var gridSize: Int?
    /// The attempt running now, and when it started.
    var running: (attempt: AttemptRecord, values: [String: HyperParameterValue], clock: DispatchTime)?
    /// A single process's retry of an INVALID attempt, journaled and run before anything else.
    var retryNext: (number: Int, attempt: AttemptRecord, values: [String: HyperParameterValue])?
    /// How long a worker waits before claiming again when others' trials must end first.
    var claimPause = 0.01

    /// The study's `trials` folder, where each trial has its own (computed once: every attempt
    /// names its trial's).
    let trialsDirectory: String

    init(tuner: Tuner, session: Int64, stop: StopSignal) {
        self.tuner = tuner
        self.session = session
        self.stop = stop
        trialsDirectory = StudyLayout.trialsDirectory(
            study: (tuner.store.location as NSString).deletingLastPathComponent)
    }

    mutating func load() throws {
        history = OracleHistory(direction: tuner.objective.direction)
        trials = try tuner.store.trials()
        for (index, trial) in trials.enumerated() {
            guard trial.number == index else {
                throw JournalError(
                    .corrupted, path: tuner.store.location,
                    "trial numbers are not contiguous: found \(trial.trialID) at position \(index)")
            }
            history.append(
                OracleTrial(number: trial.number, values: try trial.values(), status: trial.status, score: trial.score))
            if [.stopped, .invalid, .running].contains(trial.status) { pending.append(trial.number) }
            if trial.status == .completed, let score = trial.score, score.isFinite,
                best.map({ tuner.objective.isBetter(score, than: $0.score) }) ?? true
            {
                best = (trial.number, score)
            }
        }
        (counted, deaths) = try tuner.store.attemptCounts()
        if tuner.limits.maxTrials == nil, tuner.verbose >= .progress {
            gridSize = tuner.oracle.plannedTrials(space: tuner.space)
        }
    }

    /// How the loop ended: the reason, its message, and whether the transaction that ended the
    /// triggering trial already ended the session with it (S17).
    struct LoopEnd {
        var reason: StopReason
        var message: String?
        var journaled: Bool
    }

    /// What the search does next.
    enum Step {
        /// Run the trial body for this attempt, then hand its result to ``attemptEnded(_:_:)``.
        case attempt(TrialContext)
        /// Nothing to run yet (other workers' trials are running): ask again after this many seconds.
        case pause(Double)
        /// The search ended.
        case end(LoopEnd)
    }

    /// Runs trials until a stop, blocking on each attempt.
    mutating func drive(_ body: (TrialContext) throws -> TrialResult) throws -> LoopEnd {
        while true {
            switch try next() {
            case .end(let end): return end
            case .pause(let seconds): usleep(UInt32(seconds * 1e6))
            case .attempt(let context):
                let result: SearchRules.BodyResult
                do {
                    result = .success(try body(context))
                } catch let error where SearchRules.isSearchError(error) {
                    throw error
                } catch {
                    result = .failure(error)
                }
                if let end = try attemptEnded(context, result) { return end }
            }
        }
    }

    /// Runs trials until a stop, awaiting each attempt.
    mutating func drive(_ body: (TrialContext) async throws -> TrialResult) async throws -> LoopEnd {
        while true {
            switch try next() {
            case .end(let end): return end
            case .pause(let seconds): try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            case .attempt(let context):
                let result: SearchRules.BodyResult
                do {
                    result = .success(try await body(context))
                } catch let error where SearchRules.isSearchError(error) {
                    throw error
                } catch {
                    result = .failure(error)
                }
                if let end = try attemptEnded(context, result) { return end }
            }
        }
    }

    /// Advances the search to its next attempt (journaling the trial or attempt it starts), or
    /// to its end.
    mutating func next() throws -> Step {
        if let retry = retryNext {
            retryNext = nil
            return .attempt(begin(retry.number, retry.attempt, values: retry.values))
        }
        if tuner.store.workerID != nil { return try nextShared() }
        while true {
            if !pending.isEmpty {
                let number = pending.removeFirst()
                if let step = try startTrial(number, isNew: false) { return step }
                continue
            }
            if let maxTrials = tuner.limits.maxTrials, trials.count >= maxTrials {
                return .end(LoopEnd(reason: .completed, journaled: false))
            }
            let number = trials.count
            guard
                let proposal = tuner.oracle.propose(
                    trial: number, space: tuner.space, history: history,
                    seed: tuner.seed)
            else {
                return .end(LoopEnd(reason: .completed, journaled: false))
            }
            history.append(OracleTrial(number: number, values: proposal, status: .running, score: nil))
            if let step = try startTrial(number, isNew: true) { return step }
        }
    }

    /// The next step of one of many workers (section 9): each piece of work is claimed in one
    /// transaction — a queued trial first, else a new trial proposed from the journal as it
    /// is at that instant — until a stop is journaled or nothing is left.
    mutating func nextShared() throws -> Step {
        let store = tuner.store
        while true {
            let claim: Claim
            if let next = nextClaim {
                claim = next
                nextClaim = nil
            } else {
                claim = try store.claim(
                    claimRequest, propose: { number, refreshed in try proposeClaimed(number, refreshed) },
                    failureRule: { message in streakRule(lastError: message) })
            }
            apply(claim.refreshed)
            knownEnds = claim.ends
            if !claim.reaped.isEmpty, tuner.verbose >= .progress {
                tuner.output.line("Found \(claim.reaped.count) dead worker session(s); their trials run again first.")
            }
            switch claim.work {
            case .stopped(let stop):
                stopJournaled = true
                return .end(LoopEnd(reason: stop.reason, message: stop.message, journaled: true))
            case .exhausted:
                return .end(LoopEnd(reason: .completed, journaled: false))
            case .wait:
                // Others' trials are running and may need retries: ask again, less often.
                let pause = claimPause
                claimPause = min(claimPause * 2, 0.25)
                return .pause(pause)
            case .failed(let number, let message, let commit):
                if tuner.verbose >= .progress {
                    tuner.output.line("Trial \(trialID(number)) \(message). Marked FAILED.")
                }
                if let stop = stopped(commit) { return .end(stop) }
            case .run(let trial, let attempt, let isNew):
                claimPause = 0.01
                apply([trial])
                counted[trial.number] = claim.counted
                if isNew { console.announce(trial.number, history.trials[trial.number].values) }
                trialsThisSession += 1
                return .attempt(begin(trial.number, attempt))
            }
        }
    }

    /// This worker's next claim, as the journal's marks and the limits make it.
    var claimRequest: ClaimRequest {
        ClaimRequest(
            session: session, knownTrials: trials.count, knownEnds: knownEnds, maxTrials: tuner.limits.maxTrials,
            maxInterruptionsPerTrial: tuner.limits.maxInterruptionsPerTrial,
            lookahead: tuner.oracle.proposalsUseResults
                ? 0 : tuner.oracle.proposalsHoldBesideUnseenTrials(space: tuner.space) ? 64 : 1)
    }

    /// The oracle's proposal for trial `number`, inside the claim's transaction, once the
    /// trials other workers created or ended are mirrored.
    mutating func proposeClaimed(_ number: Int, _ refreshed: [TrialRecord]) throws -> ProposedTrial? {
        apply(refreshed)
        // Nothing now: the claim waits for the running trials (there are some, or the oracle
        // would not wait).
        if tuner.oracle.mustWait(trial: number, space: tuner.space, history: history) { return nil }
        guard let values = tuner.oracle.propose(trial: number, space: tuner.space, history: history, seed: tuner.seed)
        else {
            return nil
        }
        return ProposedTrial(values: values, seed: SplitMix64.mix(tuner.seed, UInt64(number)))
    }

    /// Mirrors trials read from the journal (other workers' among them) in memory.
    mutating func apply(_ records: [TrialRecord]) {
        for record in records {
            if record.number < trials.count {
                trials[record.number] = record
                history.update(at: record.number, status: record.status, score: record.score)
            } else if record.number == trials.count {
                trials.append(record)
                history.append(
                    OracleTrial(
                        number: record.number, values: (try? record.values()) ?? [:],
                        status: record.status, score: record.score))
            }
            if record.status == .completed, let score = record.score, score.isFinite,
                best.map({ tuner.objective.isBetter(score, than: $0.score) }) ?? true
            {
                best = (record.number, score)
            }
        }
    }

    /// Starts a trial: journals it (new) or its next attempt (queued), and returns the attempt
    /// to run. A queued trial that died too often is marked FAILED instead (S7): the step is
    /// then the stop that marking triggered, or `nil` to go on.
    mutating func startTrial(_ number: Int, isNew: Bool) throws -> Step? {
        let trialValues = history.trials[number].values
        let seed = SplitMix64.mix(tuner.seed, UInt64(number))
        if !isNew, let died = deaths[number],
            SearchRules.diedTooOften(deaths: died, limit: tuner.limits.maxInterruptionsPerTrial)
        {
            let message = "interrupted \(died) times: the process died while running this trial"
            let commit = try tuner.store.failTrial(
                number, errorType: "Interrupted", message: message, session: session,
                decide: streakRule(lastError: message))
            setStatus(number, .failed, message: message, endSeq: commit.endSeq)
            if tuner.verbose >= .progress { tuner.output.line("Trial \(trialID(number)) \(message). Marked FAILED.") }
            return stopped(commit).map(Step.end)
        }
        console.announce(number, trialValues)
        let attempt: AttemptRecord
        if isNew {
            let (trial, first) = try tuner.store.createTrial(
                number: number, values: trialValues, seed: seed, session: session)
            trials.append(trial)
            attempt = first
        } else {
            attempt = try tuner.store.startAttempt(trial: number, session: session)
            setStatus(number, .running, message: nil)
        }
        trialsThisSession += 1
        return .attempt(begin(number, attempt))
    }

    /// The context of a journaled attempt about to run; its clock starts now. A retry runs with
    /// the values its trial started with (`values`).
    mutating func begin(
        _ number: Int, _ attempt: AttemptRecord, values: [String: HyperParameterValue]? = nil
    ) -> TrialContext {
        let values = values ?? history.trials[number].values
        var context = TrialContext(
            number: number, attempt: attempt.number, retry: counted[number, default: 0],
            seed: SplitMix64.mix(tuner.seed, UInt64(number)),
            hyperparameters: HyperParameters(space: tuner.space, values: values))
        context.directory = trialsDirectory + "/trial_" + trialID(number)
        if tuner.verbose >= .progress {
            let line = console.progressText(number)
            let output = tuner.output
            context.reportEpoch = { epoch, epochs in output.progress(line + " · epoch \(epoch)/\(epochs)") }
        }
        context.stop = stop
        running = (attempt, values, DispatchTime.now())
        return context
    }

    /// Classifies and journals the end of the attempt ``begin(_:_:)`` started (S1–S11), with
    /// what follows it: a retry, FAILED and the streak, or a stop. Returns the stop when the
    /// attempt's end journaled one; a single process's retry of an INVALID attempt is started
    /// here and runs next.
    ///
    /// - Throws: the attempt's fatal error (or ``ObjectiveNotFoundError``) once journaled (S20).
    mutating func attemptEnded(_ context: TrialContext, _ result: SearchRules.BodyResult) throws -> LoopEnd? {
        guard let (attempt, values, clock) = running, attempt.trial == context.number else {
            throw JournalError(
                .writeFailed, path: tuner.store.location, "an attempt ended that this session did not start")
        }
        running = nil
        let number = context.number
        try extendSpace(with: context.hyperparameters, trial: number)
        let verdict = SearchRules.classify(result, objective: tuner.objective, duration: seconds(since: clock))
        var end = verdict.end
        if let stopMessage = verdict.stopMessage {
            try finish(attempt, end, fatal: stopMessage)
            if case .failure = result, tuner.verbose >= .progress {
                tuner.output.line("Trial \(trialID(number)) stopped the search: \(stopMessage)")
            }
            if case .failure(let error) = result { throw error }
            throw verdict.missingObjective ?? ObjectiveNotFoundError(objective: tuner.objective.name, available: [])
        }
        end.trialStatus = SearchRules.trialStatus(
            after: end.outcome, countedBefore: counted[number, default: 0],
            maxRetriesPerTrial: tuner.limits.maxRetriesPerTrial)
        let commit = try finish(attempt, end)
        if commit.fenced {
            if tuner.verbose >= .progress {
                tuner.output.line(
                    "Trial \(trialID(number)): another worker found this one dead and closed the attempt; its " +
                        "result was kept as a late result only."
                )
            }
            return nil
        }
        console.report(
            number, end, counted: counted[number, default: 0],
            totalElapsed: seconds(since: started) + ((try? tuner.totalElapsed()) ?? 0))
        // A worker's retry is queued work like any other (section 9); a single process runs it next.
        if end.trialStatus == .invalid, tuner.store.workerID != nil { return nil }
        if end.trialStatus == .invalid {
            retryNext = (number, try tuner.store.startAttempt(trial: number, session: session), values)
            setStatus(number, .running, message: nil)
            return nil
        }
        return stopped(commit)
    }

    /// Journals the hyperparameters an attempt defined while it ran (KerasTuner's `fit`
    /// defining one): the space grows and the next trials search it.
    mutating func extendSpace(with hp: HyperParameters, trial number: Int) throws {
        guard hp.space.definitions.count > tuner.space.definitions.count else { return }
        let values = hp.values.filter { !$0.key.hasPrefix("tuner/") }
        try tuner.store.extendSpace(hp.space, trial: number, values: values)
        tuner.space = hp.space
        history.update(at: number, values: values)
        trials[number].hyperparameters = encodeValues(values)
        if tuner.limits.maxTrials == nil, tuner.verbose >= .progress {
            gridSize = tuner.oracle.plannedTrials(space: tuner.space)
        }
    }

    /// The COMPLETED trials, as the journal holds them (mirrored in memory).
    var completedCount: Int { trials.filter { $0.status == .completed }.count }

    /// The stop a commit journaled, as the loop's end.
    mutating func stopped(_ commit: AttemptCommit) -> LoopEnd? {
        guard let stop = commit.stop else { return nil }
        stopJournaled = true
        return LoopEnd(reason: stop.reason, message: stop.message, journaled: true)
    }

    /// Journals an attempt's end and mirrors it in memory. The stop it triggers — the
    /// consecutive-failure limit for a FAILED trial, `fatal` for a fatal attempt — is decided
    /// and journaled in the same transaction (S17, S20).
    @discardableResult
    mutating func finish(_ attempt: AttemptRecord, _ end: AttemptEnd, fatal: String? = nil) throws -> AttemptCommit {
        let rule: (Int, () throws -> [Int]) throws -> SessionStop?
        if let fatal {
            rule = { _, _ in SessionStop(reason: .fatal, message: fatal) }
        } else if end.trialStatus == .failed {
            rule = streakRule(lastError: "\(end.errorType ?? "Error"): \(end.message ?? "")")
        } else {
            rule = { _, _ in nil }
        }
        let commit: AttemptCommit
        if tuner.store.workerID != nil, fatal == nil {
            let store = tuner.store
            let request = claimRequest
            (commit, nextClaim) = try store.finishAndClaim(
                attempt, end, session: session, decide: rule, next: request,
                propose: { number, refreshed in try proposeClaimed(number, refreshed) },
                failureRule: { message in streakRule(lastError: message) })
        } else {
            commit = try tuner.store.finishAttempt(attempt, end, session: session, decide: rule)
        }
        if commit.fenced { return commit }
        if commit.stop != nil { stopJournaled = true }
        if end.outcome.isCounted { counted[attempt.trial, default: 0] += 1 }
        setStatus(attempt.trial, end.trialStatus, message: end.message, endSeq: commit.endSeq)
        if end.trialStatus == .completed, let score = end.score {
            trials[attempt.trial].score = score
            history.update(at: attempt.trial, status: .completed, score: score)
            if best.map({ tuner.objective.isBetter(score, than: $0.score) }) ?? true { best = (attempt.trial, score) }
        }
        return commit
    }

    mutating func setStatus(_ number: Int, _ status: TrialStatus, message: String?, endSeq: Int? = nil) {
        guard trials.indices.contains(number) else { return }
        if let endSeq { trials[number].endSeq = endSeq }
        trials[number].status = status
        trials[number].message = message
        history.update(at: number, status: status, score: trials[number].score)
    }

    /// The stop rule for a trial that ended FAILED (S16, S19): the search stops when the streak
    /// reached the limit. Decided inside the transaction that ends the trial.
    func streakRule(lastError: String) -> (Int, () throws -> [Int]) throws -> SessionStop? {
        let limit = tuner.limits.maxConsecutiveFailedTrials
        return { streak, failedRun in
            try SearchRules.streakStop(
                streak: streak, limit: limit, failedRun: { try failedRun().map(trialID) },
                lastError: lastError)
        }
    }

    /// The console of this session, with the state its lines show.
    var console: SearchConsole {
        SearchConsole(
            output: tuner.output, verbose: tuner.verbose, objective: tuner.objective, space: tuner.space,
            maxRetriesPerTrial: tuner.limits.maxRetriesPerTrial, plannedTrials: tuner.limits.maxTrials ?? gridSize,
            best: best.map { (history.trials[$0.number].values, $0.score) }, started: started,
            trialsThisSession: trialsThisSession)
    }
}

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
