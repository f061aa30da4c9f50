import FlowIngest
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A JSON-RPC server on 127.0.0.1 that answers with recorded replies: a call is answered from the file named the
/// way ethereum-etl's test suite names its recorded replies, `web3_response.<method>_<params>.json` (each parameter
/// in lower case, objects as `key_value` in key order, joined by `_`), found in the given folders (earlier folders
/// win). A method no file records is answered with JSON-RPC error -32601, a missing reply with -32000.
///
/// For failure tests it can answer the first requests with HTTP 503, and leave the request holding a given call
/// unanswered (the client hangs there, e.g. until the test kills it).
public final class ReplayServer: @unchecked Sendable {
    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)/" }
    private let listener: Int32
    private let files: [String: String]
    private let lock = NSLock()
    private var calls: [String] = []
    private var httpRequests = 0
    private var failFirst: Int
    private var hangOn: String?
    private var held: [Int32] = []
    private var stopped = false
    /// Signalled when the request holding the `hangOn` call has arrived (and will never be answered).
    public let hung = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - failFirst: answer this many HTTP requests with 503 and no body before serving.
    ///   - hangOn: the reply file name of a call whose request is never answered (once; later ones are served).
    public init(folders: [String], failFirst: Int = 0, hangOn: String? = nil) throws {
        var files: [String: String] = [:]
        for folder in folders {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasPrefix("web3_response.") && files[name] == nil {
                files[name] = "\(folder)/\(name)"
            }
        }
        self.files = files
        self.failFirst = failFirst
        self.hangOn = hangOn
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw IngestError(.unreadable, "cannot listen on 127.0.0.1") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting and closes every connection.
    public func stop() {
        lock.lock()
        // Once only: a second close could hit a descriptor number some other socket has been given since.
        guard !stopped else { lock.unlock(); return }
        stopped = true
        let toClose = held
        held.removeAll()
        lock.unlock()
        // Wakes the accept loop, which closes the listener itself (closing it here could let the loop accept on
        // a reused descriptor number).
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in toClose { close(fd) }
    }

    /// The reply files asked for so far, one per call, in order.
    public var requestedFiles: [String] {
        lock.lock(); defer { lock.unlock() }
        return calls
    }

    /// The recorded-reply file name of a call, in ethereum-etl's convention.
    public static func fileName(method: String, params: [JSONValue]) -> String {
        func text(_ v: JSONValue) -> String {
            switch v {
            case .null: return "none"
            case .bool(let b): return b ? "true" : "false"
            case .number(let n): return n.lowercased()
            case .string(let s): return s.lowercased()
            case .array(let a): return a.map(text).joined(separator: "_")
            case .object(let o): return o.keys.sorted().map { "\($0)_\(text(o[$0]!))" }.joined(separator: "_")
            }
        }
        return "web3_response.\(method)_\(params.map(text).joined(separator: "_")).json"
    }

    private func serve() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                close(listener)
                return
            }
            lock.lock()
            let done = stopped
            lock.unlock()
            if done { close(fd); close(listener); return }
            handle(fd)
        }
    }

    private func handle(_ fd: Int32) {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let body = readRequest(fd) else { close(fd); return }
        lock.lock()
        httpRequests += 1
        let refuse = httpRequests <= failFirst
        lock.unlock()
        if refuse {
            respond(fd, status: "503 Service Unavailable", body: [])
            return
        }
        guard let request = try? JSONParser.parse(body) else {
            respond(fd, status: "200 OK", body: Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}"#.utf8))
            return
        }
        let batch = request.arrayValue
        var replies: [String] = []
        var rawBody: [UInt8]?
        var hang = false
        for call in batch ?? [request] {
            let method = call["method"]?.stringValue ?? ""
            let name = ReplayServer.fileName(method: method, params: call["params"]?.arrayValue ?? [])
            let id = call["id"]?.jsonText ?? "null"
            lock.lock()
            calls.append(name)
            if name == hangOn { hang = true; hangOn = nil }
            lock.unlock()
            guard let path = files[name] else {
                let known = files.keys.contains { $0.hasPrefix("web3_response.\(method)_") }
                let error = known ? #"{"code":-32000,"message":"no recorded reply \#(name)"}"#
                    : #"{"code":-32601,"message":"the method \#(method) does not exist/is not available"}"#
                replies.append(#"{"jsonrpc":"2.0","id":\#(id),"error":\#(error)}"#)
                continue
            }
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: path))).map { Array($0) } ?? []
            guard let recorded = try? JSONParser.parse(bytes) else {
                rawBody = bytes  // a damaged recording goes out as it is
                continue
            }
            if let error = recorded["error"], !error.isNull {
                replies.append(#"{"jsonrpc":"2.0","id":\#(id),"error":\#(error.jsonText)}"#)
            } else {
                let result = recorded["jsonrpc"] != nil ? (recorded["result"] ?? .null) : recorded
                replies.append(#"{"jsonrpc":"2.0","id":\#(id),"result":\#(result.jsonText)}"#)
            }
        }
        if hang {
            lock.lock(); held.append(fd); lock.unlock()
            hung.signal()
            return
        }
        let text = batch == nil ? (replies.first ?? "null") : "[" + replies.joined(separator: ",") + "]"
        respond(fd, status: "200 OK", body: rawBody ?? Array(text.utf8))
    }

    private func readRequest(_ fd: Int32) -> [UInt8]? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var expected: Int?
        var headerEnd = 0
        while true {
            if let expected, data.count >= headerEnd + expected { return Array(data[headerEnd..<headerEnd + expected]) }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            data += buffer[0..<n]
            if expected == nil, let end = data.firstRange(of: [13, 10, 13, 10]) {
                headerEnd = end.upperBound
                let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
                expected = length ?? 0
            }
        }
    }

    private func respond(_ fd: Int32, status: String, body: [UInt8]) {
        let head = "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        close(fd)
    }
}
