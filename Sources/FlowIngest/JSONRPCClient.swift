import FlowCore
import Foundation

extension JSONValue {
    /// Compact JSON text of the value (numbers written as their exact text).
    public var jsonText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return JSONText.quoted(s)
        case .array(let a): return "[" + a.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.sorted { $0.key < $1.key }.map { JSONValue.string($0.key).jsonText + ":" + $0.value.jsonText }
                .joined(separator: ",") + "}"
        }
    }
}

/// A JSON-RPC 1.0/2.0 client over HTTP for Bitcoin Core-compatible and Ethereum nodes: basic or cookie
/// authentication, batched calls, and retries with exponential backoff while the node warms up, rate-limits
/// (HTTP 429) or the connection drops.
///
/// Format references: Bitcoin Core `doc/JSON-RPC-interface.md`; the JSON-RPC 2.0 specification.
public final class JSONRPCClient: @unchecked Sendable {
    public let url: URL
    private let authorization: String?
    private let http: HTTPClient
    public var retries = 6
    public var initialBackoff: TimeInterval = 0.25
    /// The `jsonrpc` member of requests: Bitcoin Core takes "1.0", Ethereum clients require "2.0".
    public var version = "1.0"
    private var nextID = 0

    /// - Parameters:
    ///   - cookieFile: Bitcoin Core's `.cookie` (`__cookie__:password`), used when no user is given.
    ///   - transport: how to reach the node; nil: a plain socket for `http`, the system curl for `https`.
    public init(url: URL, user: String? = nil, password: String? = nil, cookieFile: String? = nil, timeout: TimeInterval = 60,
                transport: HTTPClient.Transport? = nil) throws {
        self.url = url
        var credentials: String?
        if let user { credentials = "\(user):\(password ?? "")" }
        if credentials == nil, let cookieFile {
            guard let text = try? String(contentsOfFile: cookieFile, encoding: .utf8) else {
                throw IngestError(.missingFile, "cannot read the RPC cookie file", path: cookieFile)
            }
            credentials = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if credentials == nil, let u = url.user {
            credentials = "\(u):\(url.password ?? "")"
        }
        authorization = credentials.map { "Basic " + Data($0.utf8).base64EncodedString() }
        http = HTTPClient(timeout: timeout, transport: transport)
    }

    /// The endpoint without credentials, for logs and the ingest log.
    public var displayURL: String {
        var c = URLComponents(url: url, resolvingAgainstBaseURL: false)
        c?.user = nil
        c?.password = nil
        return c?.string ?? "rpc"
    }

    /// Calls one method and returns its `result`.
    /// - Throws: ``IngestError`` `rpc-failure` with the node's error message, or when the node cannot be reached.
    public func call(_ method: String, _ params: [JSONValue] = []) throws -> JSONValue {
        try batch([(method, params)])[0]
    }

    /// Calls several methods in one HTTP request; results come back in the order of `calls`.
    public func batch(_ calls: [(String, [JSONValue])]) throws -> [JSONValue] {
        guard !calls.isEmpty else { return [] }
        let firstID = nextID
        nextID += calls.count
        let body = JSONValue.array(calls.enumerated().map { i, c in
            .object(["jsonrpc": .string(version), "id": .number(String(firstID + i)), "method": .string(c.0), "params": .array(c.1)])
        })
        var attempt = 0
        var delay = initialBackoff
        while true {
            do {
                let reply = try post(Array(body.jsonText.utf8))
                let items = reply.arrayValue ?? [reply]
                var byID: [Int: JSONValue] = [:]
                for item in items {
                    guard let id = item["id"]?.int64Value else { continue }
                    if let e = item["error"], !e.isNull {
                        let code = e["code"]?.int64Value ?? 0
                        if code == -28 { throw Transient(message: e["message"]?.stringValue ?? "node warming up") }
                        let method = calls[safe: Int(id) - firstID]?.0 ?? "?"
                        var failure = IngestError(.rpcFailure, "\(method) failed: \(e["message"]?.stringValue ?? e.jsonText) (code \(code))",
                                                  path: displayURL)
                        failure.rpcCode = code
                        throw failure
                    }
                    byID[Int(id)] = item["result"] ?? .null
                }
                return try (0..<calls.count).map { i in
                    guard let r = byID[firstID + i] else {
                        throw IngestError(.rpcFailure, "no reply to \(calls[i].0)", path: displayURL)
                    }
                    return r
                }
            } catch let e as Transient {
                attempt += 1
                if attempt > retries {
                    throw IngestError(.unreachable, "node unreachable after \(retries) retries: \(e.message)", path: displayURL)
                }
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 8)
            }
        }
    }

    private struct Transient: Error { var message: String }

    private func post(_ body: [UInt8]) throws -> JSONValue {
        var headers = [("Content-Type", "application/json")]
        if let authorization { headers.append(("Authorization", authorization)) }
        let reply: HTTPClient.Reply
        do {
            reply = try http.post(url, body: body, headers: headers)
        } catch let e as HTTPClient.ConnectionError {
            throw Transient(message: e.description)
        }
        let status = reply.status, data = reply.body
        if status == 429 { throw Transient(message: "HTTP 429: the node is rate-limiting") }
        if status == 401 || status == 403 {
            throw IngestError(.rpcFailure, "the node refused the credentials (HTTP \(status))", path: displayURL)
        }
        // Bitcoin Core answers errors with HTTP 500 (or 404 for unknown methods) and a JSON body: read it anyway.
        guard !data.isEmpty else {
            if status == 503 || status == 500 { throw Transient(message: "HTTP \(status) with no body") }
            throw IngestError(.rpcFailure, "HTTP \(status) with no body", path: displayURL)
        }
        do {
            return try JSONParser.parse(data)
        } catch {
            if status >= 500 { throw Transient(message: "HTTP \(status)") }
            throw IngestError(.rpcFailure, "the node's reply is not JSON (HTTP \(status))", path: displayURL)
        }
    }

    /// Sends a call and retries while the node answers -28 (RPC in warm-up), up to `timeout` seconds.
    public func waitUntilReady(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            do {
                _ = try singleAttempt("getblockcount")
                return
            } catch where Date() < deadline {
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    private func singleAttempt(_ method: String) throws -> JSONValue {
        let saved = retries
        retries = 0
        defer { retries = saved }
        return try call(method)
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
