/// A small, portable, seeded random number generator (SplitMix64).
///
/// Every random draw of a search — sampled hyperparameters, trial seeds — comes from it, so
/// the same seed gives the same bits on every machine.
///
/// ```swift
/// var rng = SplitMix64(seed: 42)
/// let u = rng.nextDouble()   // in [0, 1)
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's state.
    public private(set) var state: UInt64

    /// Makes a generator from a seed.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double uniformly drawn from [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// An integer uniformly drawn from `0..<bound` (Lemire's method, unbiased).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Mixes two numbers into one well-spread seed, such as a study seed and a trial number.
    public static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var g = SplitMix64(seed: a ^ (b &* 0xD1B5_4A32_D192_ED03))
        _ = g.next()
        return g.next()
    }
}
