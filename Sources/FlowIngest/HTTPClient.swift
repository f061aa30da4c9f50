import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 POST client for JSON-RPC endpoints.
///
/// `http://` goes over a plain socket (one connection per request, `Connection: close`); the reply may be sized by
/// `Content-Length`, chunked, or end at close. `https://` goes through the system `curl` (TLS is not ours to
/// write), so FlowTrace does not link libcurl and its TLS stack into every command: linked, they cost each run of
/// the CLI about 16 ms at start-up.
///
/// Format reference: RFC 9112 (HTTP/1.1 message syntax, chunked transfer coding).
public struct HTTPClient: Sendable {
    public enum Transport: Sendable { case socket, curl }

    public struct Reply: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    /// A failure to talk to the server at all (as opposed to an HTTP error status), worth retrying.
    public struct ConnectionError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public var timeout: TimeInterval
    /// Which transport to use; nil picks by scheme (socket for `http`, curl for `https`).
    public var transport: Transport?

    public init(timeout: TimeInterval = 60, transport: Transport? = nil) {
        self.timeout = timeout; self.transport = transport
    }

    public func post(_ url: URL, body: [UInt8], headers: [(String, String)]) throws -> Reply {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw ConnectionError(description: "unsupported URL scheme in \(url.absoluteString) (use http or https)")
        }
        switch transport ?? (scheme == "https" ? .curl : .socket) {
        case .socket:
            guard scheme == "http" else { throw ConnectionError(description: "https needs the curl transport") }
            return try postOverSocket(url, body: body, headers: headers)
        case .curl:
            return try postWithCurl(url, body: body, headers: headers)
        }
    }

    // MARK: Plain sockets

    private func postOverSocket(_ url: URL, body: [UInt8], headers: [(String, String)]) throws -> Reply {
        guard let host = url.host, !host.isEmpty else { throw ConnectionError(description: "no host in \(url.absoluteString)") }
        let port = url.port ?? 80
        let fd = try connect(host: host, port: port)
        defer { close(fd) }
        var path = url.path.isEmpty ? "/" : url.path
        if let q = url.query { path += "?" + q }
        let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var head = "POST \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try sendAll(fd, Array(head.utf8) + body)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConnectionError(description: errno == EAGAIN ? "timed out waiting for \(host):\(port)" : "reading from \(host):\(port): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            received += buffer[0..<n]
            // Stop as soon as a sized or chunked reply is complete (a server may keep the connection open).
            if Self.mayBeComplete(received), let reply = try? Self.parseResponse(received, complete: false) { return reply }
        }
        return try Self.parseResponse(received, complete: true)
    }

    private func connect(host: String, port: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw ConnectionError(description: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let a = entry {
            entry = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return fd }
            lastError = String(cString: strerror(errno))
            close(fd)
        }
        throw ConnectionError(description: "cannot connect to \(host):\(port): \(lastError)")
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConnectionError(description: "sending: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    /// Cheap test before a full parse: a chunked reply ends with the last chunk, a sized one has its length.
    private static func mayBeComplete(_ bytes: [UInt8]) -> Bool {
        guard let headEnd = bytes.firstRange(of: [13, 10, 13, 10] as [UInt8])?.lowerBound else { return false }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self).lowercased()
        if head.contains("transfer-encoding:") && head.contains("chunked") { return bytes.suffix(5).elementsEqual("0\r\n\r\n".utf8) }
        if let r = head.range(of: "content-length:") {
            let digits = head[r.upperBound...].drop { $0 == " " }.prefix { $0.isNumber }
            return Int(digits).map { bytes.count - headEnd - 4 >= $0 } ?? false
        }
        return false
    }

    /// Parses an HTTP/1.1 response. With `complete: false` it throws unless the bytes hold a whole sized or chunked
    /// message; with `complete: true` (the server closed) a reply without length ends at the last byte.
    public static func parseResponse(_ bytes: [UInt8], complete: Bool) throws -> Reply {
        let crlfcrlf: [UInt8] = [13, 10, 13, 10]
        guard let headEnd = bytes.firstRange(of: crlfcrlf)?.lowerBound else {
            throw ConnectionError(description: bytes.isEmpty ? "the server closed the connection without a reply" : "truncated HTTP reply header")
        }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
            throw ConnectionError(description: "not an HTTP reply: \(lines[0].prefix(80))")
        }
        var contentLength: Int?
        var chunked = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased(), value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { contentLength = Int(value) }
            if name == "transfer-encoding" && value.lowercased().contains("chunked") { chunked = true }
        }
        let bodyStart = headEnd + 4
        if status == 100 {  // "Continue": the real reply follows.
            return try parseResponse(Array(bytes[bodyStart...]), complete: complete)
        }
        if chunked {
            var body: [UInt8] = []
            var i = bodyStart
            while true {
                guard let lineEnd = bytes[i...].firstRange(of: [13, 10])?.lowerBound else { throw ConnectionError(description: "truncated chunked reply") }
                let sizeText = String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";")[0].trimmingCharacters(in: .whitespaces)
                guard let size = Int(sizeText, radix: 16), size >= 0 else { throw ConnectionError(description: "bad chunk size '\(sizeText)' in the reply") }
                let dataStart = lineEnd + 2
                if size == 0 { return Reply(status: status, body: body) }
                guard dataStart + size + 2 <= bytes.count else { throw ConnectionError(description: "truncated chunked reply") }
                body += bytes[dataStart..<(dataStart + size)]
                i = dataStart + size + 2
            }
        }
        if let contentLength {
            guard bytes.count - bodyStart >= contentLength else {
                throw ConnectionError(description: "truncated reply: \(bytes.count - bodyStart) of \(contentLength) bytes")
            }
            return Reply(status: status, body: Array(bytes[bodyStart..<(bodyStart + contentLength)]))
        }
        guard complete else { throw ConnectionError(description: "reply still arriving") }
        return Reply(status: status, body: Array(bytes[bodyStart...]))
    }

    // MARK: curl, for https

    private func postWithCurl(_ url: URL, body: [UInt8], headers: [(String, String)]) throws -> Reply {
        let curl = ["/usr/bin/curl", "/usr/local/bin/curl", "/bin/curl"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let curl else { throw ConnectionError(description: "https endpoints need curl installed (apt-get install curl)") }
        // Credentials and the body go through files readable only by us, never on the command line.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowtrace-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        let bodyFile = dir.appendingPathComponent("body"), configFile = dir.appendingPathComponent("config")
        try Data(body).write(to: bodyFile)
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        var config = "url = \(quoted(url.absoluteString))\nrequest = \"POST\"\ndata-binary = \(quoted("@" + bodyFile.path))\n"
        for (name, value) in headers + [("Expect", "")] { config += "header = \(quoted("\(name): \(value)"))\n" }
        config += "silent\nshow-error\nmax-time = \(Int(timeout.rounded(.up)))\nwrite-out = \"\\n%{http_code}\"\n"
        try Data(config.utf8).write(to: configFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: curl)
        process.arguments = ["--config", configFile.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw ConnectionError(description: message.isEmpty ? "curl failed (exit \(process.terminationStatus))" : message)
        }
        let bytes = [UInt8](output)
        guard let newline = bytes.lastIndex(of: 10), let status = Int(String(decoding: bytes[(newline + 1)...], as: UTF8.self)) else {
            throw ConnectionError(description: "curl gave no HTTP status")
        }
        return Reply(status: status, body: Array(bytes[..<newline]))
    }
}
