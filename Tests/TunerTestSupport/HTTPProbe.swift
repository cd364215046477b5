import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A minimal HTTP/1.1 client over a loopback socket, for the dashboard's tests: one request,
/// its answer read to its end or until a condition holds, every wait bounded.
///
/// ```swift
/// let page = try HTTPProbe.get(port: port, "/")
/// XCTAssertEqual(page.status, 200)
/// ```
public enum HTTPProbe {
    /// An answer.
    public struct Answer: Sendable {
        /// The status code.
        public var status: Int
        /// The headers, names in lower case.
        public var headers: [String: String]
        /// The body, chunked transfer decoded.
        public var body: String
    }

    /// What went wrong.
    public struct Failure: Error, CustomStringConvertible {
        /// What happened.
        public var description: String

        /// Makes a failure.
        public init(description: String) { self.description = description }
    }

    /// Sends `GET path` to 127.0.0.1:`port` and reads the answer until the server closes the
    /// connection, `until` holds for the text received, or `timeout` seconds pass.
    public static func get(
        port: Int, _ path: String, headers: [String: String] = [:], timeout: Double = 20,
        until: ((String) -> Bool)? = nil
    ) throws -> Answer {
        let raw = try exchange(port: port, request: request(path, headers: headers), timeout: timeout, until: until)
        return try parse(raw)
    }

    /// Sends bytes as they are (a malformed or hostile request) and returns what came back.
    public static func send(port: Int, raw: String, timeout: Double = 10) throws -> String {
        String(
            decoding: try exchange(port: port, request: Array(raw.utf8), timeout: timeout, until: nil), as: UTF8.self)
    }

    static func request(_ path: String, headers: [String: String]) -> [UInt8] {
        var text = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    static func exchange(port: Int, request: [UInt8], timeout: Double, until: ((String) -> Bool)?) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "connect: \(String(cString: strerror(errno)))") }
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
            sent += n
        }
        let deadline = Date().addingTimeInterval(timeout)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                if until == nil { throw Failure(description: "no complete answer within \(timeout) s") }
                break
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left, 1) * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
            if let until, until(String(decoding: received, as: UTF8.self)) { break }
        }
        return received
    }

    static func parse(_ raw: [UInt8]) throws -> Answer {
        let text = String(decoding: raw, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else {
            throw Failure(description: "no header end in \(text.prefix(200))")
        }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let parts = head.first?.split(separator: " ") ?? []
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw Failure(description: "bad status line: \(head.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Answer(status: status, headers: headers, body: body)
    }

    /// Chunked transfer decoded; an unfinished last chunk is kept as far as it came.
    static func dechunk(_ text: String) -> String {
        var bytes = Substring(text).utf8[...]
        var output: [UInt8] = []
        while let end = bytes.firstRange(of: "\r\n".utf8) {
            let sizeText = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
            let start = end.upperBound
            let available = bytes.distance(from: start, to: bytes.endIndex)
            let stop = bytes.index(start, offsetBy: min(size, available))
            output += bytes[start..<stop]
            guard available >= size + 2 else { break }
            bytes = bytes[bytes.index(stop, offsetBy: 2)...]
        }
        return String(decoding: output, as: UTF8.self)
    }
}
