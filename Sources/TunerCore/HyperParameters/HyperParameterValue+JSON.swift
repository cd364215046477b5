extension HyperParameterValue {
    /// Decodes a configuration written by `JSONEncoder` from `[String: HyperParameterValue]`
    /// (a flat object whose floats are tagged `{"float": x}`), many times faster than
    /// `JSONDecoder`: resuming a study decodes every trial's values.
    ///
    /// ```swift
    /// HyperParameterValue.decodeConfiguration(#"{"lr":{"float":0.01},"units":32}"#)
    /// // ["lr": .float(0.01), "units": .int(32)]
    /// ```
    /// - Returns: `nil` when the text is not such an object.
    public static func decodeConfiguration(_ json: String) -> [String: HyperParameterValue]? {
        var json = json
        return json.withUTF8 { buffer in
            var parser = FlatJSONParser(buffer)
            return parser.configuration()
        }
    }
}

/// A parser of the one JSON shape configurations are journaled in.
private struct FlatJSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func configuration() -> [String: HyperParameterValue]? {
        skipSpace()
        guard consume(UInt8(ascii: "{")) else { return nil }
        var result: [String: HyperParameterValue] = [:]
        skipSpace()
        if consume(UInt8(ascii: "}")) { return atEnd() ? result : nil }
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard consume(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            guard let value = value() else { return nil }
            result[key] = value
            skipSpace()
            if consume(UInt8(ascii: ",")) { continue }
            guard consume(UInt8(ascii: "}")) else { return nil }
            return atEnd() ? result : nil
        }
    }

    mutating func value() -> HyperParameterValue? {
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return string().map { .string($0) }
        case UInt8(ascii: "t"):
            return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "{"):
            index += 1
            skipSpace()
            guard string() == "float" else { return nil }
            skipSpace()
            guard consume(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            guard let text = numberText(), let v = Double(text) else { return nil }
            skipSpace()
            guard consume(UInt8(ascii: "}")) else { return nil }
            return .float(v)
        default:
            guard let text = numberText() else { return nil }
            if let i = Int(text) { return .int(i) }
            return Double(text).map { .float($0) }
        }
    }

    mutating func numberText() -> String? {
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                index += 1
            default:
                return index > start
                    ? String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self) : nil
            }
        }
        return index > start
            ? String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self) : nil
    }

    mutating func string() -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        // Fast path: no escape before the closing quote.
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self)
            index = end + 1
            return text
        }
        var scalars: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return String(decoding: scalars, as: UTF8.self) }
            guard byte == UInt8(ascii: "\\") else { scalars.append(byte); continue }
            guard index < bytes.count else { return nil }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "n"): scalars.append(0x0A)
            case UInt8(ascii: "t"): scalars.append(0x09)
            case UInt8(ascii: "r"): scalars.append(0x0D)
            case UInt8(ascii: "b"): scalars.append(0x08)
            case UInt8(ascii: "f"): scalars.append(0x0C)
            case UInt8(ascii: "u"):
                guard let unit = hex4() else { return nil }
                var code = UInt32(unit)
                if (0xD800..<0xDC00).contains(unit) {
                    guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")), let low = hex4(),
                        (0xDC00..<0xE000).contains(low)
                    else { return nil }
                    code = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { return nil }
                scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: scalars.append(escaped)  // \" \\ \/
            }
        }
        return nil
    }

    mutating func hex4() -> UInt16? {
        guard index + 4 <= bytes.count,
            let v = UInt16(
                String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<index + 4]), as: UTF8.self), radix: 16)
        else { return nil }
        index += 4
        return v
    }

    mutating func literal(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, bytes[index..<index + w.count].elementsEqual(w) else { return false }
        index += w.count
        return true
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func skipSpace() {
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
    }

    func atEnd() -> Bool {
        var i = index
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        return i == bytes.count
    }

    func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
