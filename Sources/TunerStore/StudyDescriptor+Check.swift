import Foundation
import TunerCore

extension StudyDescriptor {
    /// Refuses a stored study that is not this one: another name, tuner kind or objective, or a
    /// changed space or trial definition that `options` does not accept (S25).
    package func check(_ study: StudyRecord, path: String, options: JournalOptions) throws {
        let descriptor = self
        if study.name != descriptor.name {
            throw JournalError(
                .mismatch, path: path,
                "this journal belongs to the study \"\(study.name)\", not \"\(descriptor.name)\": it was copied or " +
                    "renamed from another study. Use that study's name, or another project name or overwrite to " +
                    "start a new search."
            )
        }
        if study.tunerKind != descriptor.tunerKind {
            throw JournalError(
                .mismatch, path: path,
                "this study was run by \(study.tunerKind), not \(descriptor.tunerKind). Use \(study.tunerKind) to " +
                    "resume it, or another project name or overwrite to start a new search."
            )
        }
        if study.objectiveName != descriptor.objective.name || study.direction != descriptor.objective.direction {
            throw JournalError(
                .mismatch, path: path,
                "this study optimizes \(study.objective), not \(descriptor.objective). Use the same objective to " +
                    "resume it, or another project name or overwrite to start a new search."
            )
        }
        let stored = try? study.searchSpace()
        // Hyperparameters that trials defined were journaled as extensions: still the same study.
        let extended = stored?.extends(descriptor.space) ?? false
        if stored != descriptor.space && !extended && !options.acceptSpaceChange {
            let storedNames = stored?.names ?? []
            let newNames = descriptor.space.names
            var differences: [String] = []
            for name in newNames where !storedNames.contains(name) { differences.append("'\(name)' is new") }
            for name in storedNames where !newNames.contains(name) { differences.append("'\(name)' is gone") }
            for name in newNames where storedNames.contains(name) && stored?[name] != descriptor.space[name] {
                differences.append("'\(name)' changed")
            }
            if differences.isEmpty { differences.append("the order of the hyperparameters changed") }
            throw JournalError(
                .mismatch, path: path,
                "the search space differs from the journaled one (\(differences.joined(separator: ", "))). Restore " +
                    "the original space to resume, accept the change explicitly (`tuner search " +
                    "--accept-space-change`, or JournalOptions.acceptSpaceChange; the change is journaled), or use " +
                    "another project name or overwrite."
            )
        }
        if let stored = study.trialDefinition, let current = descriptor.trialDefinition, stored != current,
            !options.acceptTrialChange
        {
            throw JournalError(
                .mismatch, path: path,
                "the trial definition differs from the journaled one (\(Self.trialDifferences(stored, current))): " +
                    "resuming would mix two kinds of trial in one study. Restore the original to resume, accept the " +
                    "change explicitly (`tuner search --accept-trial-change`, or JournalOptions.acceptTrialChange; " +
                    "the change is journaled), or use another project name or overwrite."
            )
        }
    }

    /// The parts of a trial definition that changed, with their old and new values.
    static func trialDifferences(_ stored: String, _ current: String) -> String {
        let old = (try? JSONSerialization.jsonObject(with: Data(stored.utf8))) as? [String: Any] ?? [:]
        let new = (try? JSONSerialization.jsonObject(with: Data(current.utf8))) as? [String: Any] ?? [:]
        func text(_ value: Any?) -> String {
            guard let value else { return "absent" }
            guard
                let data = try? JSONSerialization.data(
                    withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
            else { return "?" }
            let string = String(decoding: data, as: UTF8.self)
            return string.count > 120 ? String(string.prefix(117)) + "…" : string
        }
        var parts: [String] = []
        for key in Set(old.keys).union(new.keys).sorted() where text(old[key]) != text(new[key]) {
            parts.append("\(key): \(text(old[key])) → \(text(new[key]))")
        }
        return parts.isEmpty ? "its form changed" : parts.joined(separator: "; ")
    }
}
