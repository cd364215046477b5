import Foundation
import TunerJournal
import TunerCore
import TunerStore
import XCTest

/// Metrics are journaled as `JSONSerialization` writes them, without going through it.
final class MetricsEncodingTests: XCTestCase {
    static func reference(_ metrics: [String: Double]) -> String {
        var object: [String: Any] = [:]
        for (k, v) in metrics { object[k] = v.isFinite ? v : (v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf")) }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func testTheTextIsJSONSerializationsForAnyMetrics() throws {
        let names = [
            "loss", "val_loss", "accuracy", "val_accuracy", "a/b", "q\"uote", "back\\slash", "tab\there", "nl\nx",
            "\u{1}ctl", "\u{1F}", "é", "日本", "🎛", "", "Z", "_", "0", "a b",
        ]
        let values: [Double] = [
            0, -0.0, 1, -1, 0.1, 0.30000000000000004, 1e-7, 1e21, 1e300, .leastNonzeroMagnitude, 123456789.123, 2.5,
            100, .nan, .infinity, -.infinity, 1e16, 12345678901234567168, 0.000123,
        ]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var metrics: [String: Double] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                let value =
                    Bool.random(using: &rng)
                    ? values.randomElement(using: &rng)! : Double.random(in: -1e6...1e6, using: &rng)
                metrics[names.randomElement(using: &rng)!] = value
            }
            // The same object (JSONSerialization orders keys by its own collation, the journal by
            // code point), and the same text where the keys are plain metric names.
            let text = encodeMetrics(metrics), reference = Self.reference(metrics)
            let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary
            let expected = try JSONSerialization.jsonObject(with: Data(reference.utf8)) as? NSDictionary
            XCTAssertEqual(parsed, expected, text)
            if metrics.keys.allSatisfy({ $0.allSatisfy { $0.isASCII && ($0.isLowercase || $0 == "_") } }) {
                XCTAssertEqual(text, reference)
            }
            let decoded = decodeMetrics(text), decodedReference = decodeMetrics(reference)
            XCTAssertEqual(decoded.count, metrics.count)
            for (key, value) in decodedReference {
                XCTAssert(value.isNaN ? decoded[key]?.isNaN == true : decoded[key] == value, key)
            }
        }
    }
}

/// Configurations are journaled as the text `JSONEncoder` writes, without going through it.
final class ValuesEncodingTests: XCTestCase {
    static func reference(_ values: [String: HyperParameterValue]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(values)) ?? Data("{}".utf8), as: UTF8.self)
    }

    func testTheTextIsJSONEncodersForAnyValues() throws {
        let names = ["lr", "units", "a/b", "q\"", "back\\", "t\tab", "\u{2}", "é", "🎛", "", "Z", "tuner/epochs"]
        let samples: [HyperParameterValue] = [
            .int(0), .int(-3), .int(Int.max), .int(Int.min), .float(0.1), .float(2), .float(-0.0), .float(1e-7),
            .float(1e21), .float(.nan), .float(.infinity), .string("relu"), .string("a\"b\\c/d\n\u{1}é"),
            .string(""), .bool(true), .bool(false), .float(0.30000000000000004), .float(123456.5),
        ]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var values: [String: HyperParameterValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                values[names.randomElement(using: &rng)!] =
                    Bool.random(using: &rng)
                    ? samples.randomElement(using: &rng)! : .float(Double.random(in: -1e4...1e4, using: &rng))
            }
            let text = encodeValues(values)
            XCTAssertEqual(text, Self.reference(values), "\(values)")
            if text != "{}" { XCTAssertEqual(HyperParameterValue.decodeConfiguration(text), values) }
        }
    }
}
