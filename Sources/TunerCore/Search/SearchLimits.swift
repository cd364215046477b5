import Foundation

/// The limits of a search, journaled with each session and read back by reports: adding a
/// limit touches this type only.
///
/// ```swift
/// var limits = SearchLimits(maxTrials: 50, maxRetriesPerTrial: 2)
/// limits.maxConsecutiveFailedTrials = nil      // never stop on a streak
/// try limits.validate()
/// ```
public struct SearchLimits: Codable, Sendable, Equatable {
    /// The maximum number of trials (retries take no slot, S10); `nil`: until exhausted.
    public var maxTrials: Int?
    /// Retries of a trial that throws or returns a non-finite objective (S8).
    public var maxRetriesPerTrial: Int
    /// Stop when this many trials in a row end FAILED (S16); `nil` disables.
    public var maxConsecutiveFailedTrials: Int?
    /// Mark a trial FAILED once its process was found dead this many times (S7); `nil` disables.
    public var maxInterruptionsPerTrial: Int?

    /// Makes limits; the defaults are KerasTuner's (no retry, three failed trials in a row).
    public init(
        maxTrials: Int? = nil, maxRetriesPerTrial: Int = 0, maxConsecutiveFailedTrials: Int? = 3,
        maxInterruptionsPerTrial: Int? = 3
    ) {
        self.maxTrials = maxTrials
        self.maxRetriesPerTrial = maxRetriesPerTrial
        self.maxConsecutiveFailedTrials = maxConsecutiveFailedTrials
        self.maxInterruptionsPerTrial = maxInterruptionsPerTrial
    }

    /// The limits by their journaled names, in the order reports list them; `nil` is "none".
    public var entries: [(name: String, value: Int?)] {
        [
            ("maxTrials", maxTrials), ("maxRetriesPerTrial", maxRetriesPerTrial),
            ("maxConsecutiveFailedTrials", maxConsecutiveFailedTrials),
            ("maxInterruptionsPerTrial", maxInterruptionsPerTrial),
        ]
    }

    /// The limits a session's journaled form records, by name, in the order of ``entries``;
    /// a limit it does not record (an older or imported journal) is `nil`, as is "none".
    public static func recorded(json: String) -> [(name: String, value: Int?)] {
        let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
        let limits = (try? SearchLimits(json: json)) ?? SearchLimits()
        return limits.entries.map { entry in (entry.name, object[entry.name] == nil ? nil : entry.value) }
    }

    /// Refuses limits no search can keep: a limit of 0 or less, negative or countless retries.
    ///
    /// - Throws: ``SearchConfigurationError`` naming the limit and its value.
    public func validate() throws {
        if let maxTrials, maxTrials <= 0 {
            throw SearchConfigurationError("maxTrials must be positive or nil, got \(maxTrials)")
        }
        if maxRetriesPerTrial < 0 {
            throw SearchConfigurationError("maxRetriesPerTrial must be 0 or more, got \(maxRetriesPerTrial)")
        }
        if maxRetriesPerTrial > Self.maxRetriesLimit {
            throw SearchConfigurationError(
                "maxRetriesPerTrial must be at most \(Self.maxRetriesLimit), got \(maxRetriesPerTrial)")
        }
        if let limit = maxConsecutiveFailedTrials, limit <= 0 {
            throw SearchConfigurationError(
                "maxConsecutiveFailedTrials must be positive, or nil to disable the limit; got \(limit)")
        }
        if let limit = maxInterruptionsPerTrial, limit <= 0 {
            throw SearchConfigurationError(
                "maxInterruptionsPerTrial must be positive, or nil to disable the limit; got \(limit)")
        }
    }

    /// The largest `maxRetriesPerTrial` accepted: a trial's attempts stay countable.
    public static let maxRetriesLimit = 1_000_000

    enum CodingKeys: String, CodingKey {
        case maxTrials, maxRetriesPerTrial, maxConsecutiveFailedTrials, maxInterruptionsPerTrial
    }

    /// Decodes limits; a limit missing from an older journal is "none" (retries: 0).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxTrials = try container.decodeIfPresent(Int.self, forKey: .maxTrials)
        maxRetriesPerTrial = try container.decodeIfPresent(Int.self, forKey: .maxRetriesPerTrial) ?? 0
        maxConsecutiveFailedTrials = try container.decodeIfPresent(Int.self, forKey: .maxConsecutiveFailedTrials)
        maxInterruptionsPerTrial = try container.decodeIfPresent(Int.self, forKey: .maxInterruptionsPerTrial)
    }

    /// Encodes every limit, "none" as `null`, so the journal says each one.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(maxTrials, forKey: .maxTrials)
        try container.encode(maxRetriesPerTrial, forKey: .maxRetriesPerTrial)
        try container.encode(maxConsecutiveFailedTrials, forKey: .maxConsecutiveFailedTrials)
        try container.encode(maxInterruptionsPerTrial, forKey: .maxInterruptionsPerTrial)
    }

    /// The journaled form: JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Four optional integers always encode.
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads the journaled form.
    public init(json: String) throws {
        self = try JSONDecoder().decode(SearchLimits.self, from: Data(json.utf8))
    }
}
