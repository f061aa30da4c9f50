/// A failure to read on-chain or label input, located as precisely as the input allows.
///
/// An investigator must see *where* the input was bad: the file, and the byte offset, line, or block.
public struct IngestError: Error, CustomStringConvertible, Sendable {
    /// An extensible error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public var name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let missingFile = Code("missing-file")
        public static let unreadable = Code("unreadable")
        public static let truncated = Code("truncated")
        public static let corrupt = Code("corrupt")
        public static let badMagic = Code("bad-magic")
        public static let badXORKey = Code("bad-xor-key")
        public static let badJSON = Code("bad-json")
        public static let unexpectedShape = Code("unexpected-shape")
        public static let inconsistent = Code("inconsistent")
        public static let unknownFormat = Code("unknown-format")
        public static let rpcFailure = Code("rpc-failure")
        /// A node that could not be reached (after the retries).
        public static let unreachable = Code("unreachable")
    }

    public var code: Code
    public var message: String
    public var path: String?
    public var byteOffset: Int?
    public var line: Int?
    /// Which block of the input (0-based position in the file, or a height/hash description).
    public var block: String?
    public var underlying: String?
    /// The JSON-RPC error code when a node answered a call with an error (-32601: no such method).
    public var rpcCode: Int64?

    public init(_ code: Code, _ message: String, path: String? = nil, byteOffset: Int? = nil, line: Int? = nil,
                block: String? = nil, underlying: String? = nil) {
        self.code = code; self.message = message; self.path = path; self.byteOffset = byteOffset
        self.line = line; self.block = block; self.underlying = underlying
    }

    /// The same error with the file it came from filled in.
    public func at(path: String) -> IngestError {
        var copy = self
        if copy.path == nil { copy.path = path }
        return copy
    }

    public var description: String {
        var location: [String] = []
        if let path { location.append(path) }
        if let line { location.append("line \(line)") }
        if let byteOffset { location.append("byte offset \(byteOffset)") }
        if let block { location.append("block \(block)") }
        var text = location.isEmpty ? "" : location.joined(separator: ", ") + ": "
        text += "\(message) [\(code)]"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
