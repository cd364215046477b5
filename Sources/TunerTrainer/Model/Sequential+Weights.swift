import Foundation

extension Sequential {
    /// Writes the weights and biases to a file: a small header, then each Dense layer's
    /// shape and its values as little-endian `Float`s.
    ///
    /// ```swift
    /// try model.saveWeights(to: "checkpoints/trial_0007.weights")
    /// ```
    public func saveWeights(to path: String) throws {
        var data = Data("STWEIGHTS1".utf8)
        func append(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        append(UInt32(dense.count))
        for layer in dense {
            append(UInt32(layer.inputs))
            append(UInt32(layer.units))
            let (w, b) = layer.weights
            for v in w + b { append(v.bitPattern) }
        }
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    }

    /// Reads weights written by ``saveWeights(to:)`` into a model of the same shape.
    ///
    /// - Throws: ``TrainerError`` when the file is not a weights file or its shapes differ.
    public func loadWeights(from path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainerError.configuration("cannot read the weights file \(path)")
        }
        let bytes = [UInt8](data)
        var offset = 10
        guard bytes.count >= 14, String(decoding: bytes[0..<10], as: UTF8.self) == "STWEIGHTS1" else {
            throw TrainerError.configuration("\(path) is not a weights file")
        }
        func read() throws -> UInt32 {
            guard offset + 4 <= bytes.count else { throw TrainerError.configuration("\(path) is cut short") }
            let value =
                UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(
                    bytes[offset + 3]) << 24
            offset += 4
            return value
        }
        let count = Int(try read())
        guard count == dense.count else {
            throw TrainerError.shape("\(path) holds \(count) layers, the model has \(dense.count)")
        }
        var all: [(w: [Float], b: [Float])] = []
        for layer in dense {
            let inputs = Int(try read()), units = Int(try read())
            guard inputs == layer.inputs, units == layer.units else {
                throw TrainerError.shape(
                    "\(path) holds a \(inputs)×\(units) layer where the model has \(layer.inputs)×\(layer.units)")
            }
            var w: [Float] = [], b: [Float] = []
            for _ in 0..<(inputs * units) { w.append(Float(bitPattern: try read())) }
            for _ in 0..<units { b.append(Float(bitPattern: try read())) }
            all.append((w, b))
        }
        try setWeights(all)
    }
}
