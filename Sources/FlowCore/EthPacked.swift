/// Fixed-width hex values as ethereum-etl exports write them — `0x` and lower-case digits — held inline, without a
/// string: a bulk export's rows then cost no heap allocation to read, hand between threads or write. Anything else
/// (upper or mixed case, other lengths, blanks) is not parsed here: such a row takes the general, string-based path.
public enum EthPlainHex {
    /// The value of 8 lower-case hex digits at `p`, or nil when one is not `0-9a-f`. All eight at once: each byte's
    /// range is told by the top bit of the byte plus a constant (no byte above 0x7F, so no carry crosses bytes),
    /// then the nibbles are gathered pairwise into 32 bits.
    @inline(__always)
    static func word8(_ p: UnsafeRawPointer) -> UInt32? {
        let x = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))  // digit i in byte i
        let high: UInt64 = 0x8080_8080_8080_8080, ones: UInt64 = 0x0101_0101_0101_0101
        guard x & high == 0 else { return nil }
        let atLeast0 = (x &+ ones &* 0x50) & high, above9 = (x &+ ones &* 0x46) & high
        let atLeastA = (x &+ ones &* 0x1f) & high, aboveF = (x &+ ones &* 0x19) & high
        let letter = atLeastA & ~aboveF
        guard (atLeast0 & ~above9) | letter == high else { return nil }
        let nibbles = (x & (ones &* 0x0f)) &+ (letter >> 7) &* 9
        let pairs = ((nibbles << 4) | (nibbles >> 8)) & 0x00ff_00ff_00ff_00ff
        let quads = ((pairs << 8) | (pairs >> 16)) & 0x0000_ffff_0000_ffff
        return UInt32(truncatingIfNeeded: (quads << 16) | (quads >> 32))
    }

    /// The value of 16 lower-case hex digits at `p`, or nil.
    @inline(__always)
    static func word16(_ p: UnsafeRawPointer) -> UInt64? {
        guard let hi = word8(p), let lo = word8(p + 8) else { return nil }
        return UInt64(hi) << 32 | UInt64(lo)
    }

    /// Writes `digits` lower-case hex digits of `v` (its low `digits × 4` bits) at `p`.
    @inline(__always)
    static func write(_ v: UInt64, _ digits: Int, to p: UnsafeMutablePointer<UInt8>) {
        var v = v
        var i = digits - 1
        while i >= 0 {
            let n = UInt8(truncatingIfNeeded: v & 0x0f)
            p[i] = n < 10 ? n &+ UInt8(ascii: "0") : n &+ (UInt8(ascii: "a") &- 10)
            v >>= 4
            i -= 1
        }
    }

    /// Whether `b` starts with `0x` and is `count` bytes long.
    @inline(__always)
    static func prefixed(_ b: UnsafeBufferPointer<UInt8>, _ count: Int) -> Bool {
        b.count == count && b[0] == UInt8(ascii: "0") && b[1] == UInt8(ascii: "x")
    }
}

/// A fixed-width hex value held inline: parsed from its plain text, written back as it.
public protocol EthPlainHexValue {
    /// Bytes of its text: `0x` and the digits.
    static var textLength: Int { get }
    /// Parses exactly `0x` and ``textLength`` − 2 lower-case hex digits.
    init?(plain b: UnsafeBufferPointer<UInt8>)
    /// Writes the ``textLength`` bytes of its text at `p`.
    func write(to p: UnsafeMutablePointer<UInt8>)
}

extension EthPlainHexValue {
    public init?(plain text: String) {
        var text = text
        guard let v = text.withUTF8({ Self(plain: $0) }) else { return nil }
        self = v
    }

    public var text: String {
        String(unsafeUninitializedCapacity: Self.textLength) { b in write(to: b.baseAddress!); return Self.textLength }
    }
}

/// A 32-byte value written as `0x` and 64 lower-case hex digits: a transaction or block hash.
public struct EthHash32: Hashable, Sendable, EthPlainHexValue {
    /// The digits, 16 per word, in written order.
    public var w0, w1, w2, w3: UInt64
    public static let textLength = 66
    public static let zero = EthHash32(w0: 0, w1: 0, w2: 0, w3: 0)

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) { self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3 }

    public init?(plain b: UnsafeBufferPointer<UInt8>) {
        guard EthPlainHex.prefixed(b, 66), let base = b.baseAddress else { return nil }
        let p = UnsafeRawPointer(base)
        guard let a = EthPlainHex.word16(p + 2), let c = EthPlainHex.word16(p + 18), let d = EthPlainHex.word16(p + 34),
              let e = EthPlainHex.word16(p + 50) else { return nil }
        w0 = a; w1 = c; w2 = d; w3 = e
    }

    public func write(to p: UnsafeMutablePointer<UInt8>) {
        p[0] = UInt8(ascii: "0"); p[1] = UInt8(ascii: "x")
        EthPlainHex.write(w0, 16, to: p + 2); EthPlainHex.write(w1, 16, to: p + 18)
        EthPlainHex.write(w2, 16, to: p + 34); EthPlainHex.write(w3, 16, to: p + 50)
    }
}

/// A 20-byte value written as `0x` and 40 lower-case hex digits: an address as the store keeps it.
public struct EthAddress20: Hashable, Sendable, EthPlainHexValue {
    /// The digits: 16, 16 and 8, in written order.
    public var w0, w1: UInt64, w2: UInt32
    public static let textLength = 42
    public static let zero = EthAddress20(w0: 0, w1: 0, w2: 0)

    public init(w0: UInt64, w1: UInt64, w2: UInt32) { self.w0 = w0; self.w1 = w1; self.w2 = w2 }

    public init?(plain b: UnsafeBufferPointer<UInt8>) {
        guard EthPlainHex.prefixed(b, 42), let base = b.baseAddress else { return nil }
        let p = UnsafeRawPointer(base)
        guard let a = EthPlainHex.word16(p + 2), let c = EthPlainHex.word16(p + 18), let d = EthPlainHex.word8(p + 34) else { return nil }
        w0 = a; w1 = c; w2 = d
    }

    public func write(to p: UnsafeMutablePointer<UInt8>) {
        p[0] = UInt8(ascii: "0"); p[1] = UInt8(ascii: "x")
        EthPlainHex.write(w0, 16, to: p + 2); EthPlainHex.write(w1, 16, to: p + 18); EthPlainHex.write(UInt64(w2), 8, to: p + 34)
    }
}

/// A transaction and its receipt (same block, position and hash) as a bulk export gives them, every text field in
/// its plain form: the same values as an ``EthRow/transactionWithReceipt(_:_:)`` row (see ``transaction`` and
/// ``receipt``), without a string. The receipt's sender is its own column's, which the store does not use when the
/// transaction names one.
public struct EthPackedTransaction: Sendable, Equatable {
    public var block: Int64
    public var index: Int64
    public var hash: EthHash32
    public var blockTimestamp: Int64?
    public var blockHash: EthHash32?
    public var from: EthAddress20
    public var to: EthAddress20?
    public var value: UInt256?
    public var gas: Int64?
    public var gasPrice: UInt256?
    public var receiptFrom: EthAddress20?
    public var status: Int64?
    public var gasUsed: Int64?
    public var effectiveGasPrice: UInt256?
    public var contractAddress: EthAddress20?

    public init(block: Int64, index: Int64, hash: EthHash32, blockTimestamp: Int64?, blockHash: EthHash32?, from: EthAddress20,
                to: EthAddress20?, value: UInt256?, gas: Int64?, gasPrice: UInt256?, receiptFrom: EthAddress20? = nil, status: Int64? = nil,
                gasUsed: Int64? = nil, effectiveGasPrice: UInt256? = nil, contractAddress: EthAddress20? = nil) {
        self.block = block; self.index = index; self.hash = hash; self.blockTimestamp = blockTimestamp; self.blockHash = blockHash
        self.from = from; self.to = to; self.value = value; self.gas = gas; self.gasPrice = gasPrice; self.receiptFrom = receiptFrom
        self.status = status; self.gasUsed = gasUsed; self.effectiveGasPrice = effectiveGasPrice; self.contractAddress = contractAddress
    }

    /// A value to read rows into (block 0, every optional field unset).
    public static let blank = EthPackedTransaction(block: 0, index: 0, hash: .zero, blockTimestamp: nil, blockHash: nil, from: .zero, to: nil,
                                                   value: nil, gas: nil, gasPrice: nil)

    /// The transaction's fields, with strings.
    public var transaction: EthTransactionFields {
        EthTransactionFields(block: block, blockTimestamp: blockTimestamp, blockHash: blockHash?.text, hash: hash.text, index: index,
                             from: from.text, to: to?.text, value: value, gas: gas, gasPrice: gasPrice)
    }

    /// The receipt's fields, with strings.
    public var receipt: EthReceiptFields {
        EthReceiptFields(block: block, transactionHash: hash.text, index: index, from: receiptFrom?.text, status: status, gasUsed: gasUsed,
                         effectiveGasPrice: effectiveGasPrice, contractAddress: contractAddress?.text)
    }
}

/// A token transfer as a bulk export gives it, every text field in its plain form: the same values as an
/// ``EthRow/tokenTransfer(_:)`` row with every field but the time present (see ``fields``), without a string.
public struct EthPackedTokenTransfer: Sendable, Equatable {
    public var block: Int64
    public var logIndex: Int64
    public var transactionHash: EthHash32
    public var blockTimestamp: Int64?
    public var token: EthAddress20
    public var from: EthAddress20
    public var to: EthAddress20
    public var value: UInt256

    public init(block: Int64, logIndex: Int64, transactionHash: EthHash32, blockTimestamp: Int64?, token: EthAddress20, from: EthAddress20,
                to: EthAddress20, value: UInt256) {
        self.block = block; self.logIndex = logIndex; self.transactionHash = transactionHash; self.blockTimestamp = blockTimestamp
        self.token = token; self.from = from; self.to = to; self.value = value
    }

    /// The transfer's fields, with strings.
    public var fields: EthTokenTransferFields {
        EthTokenTransferFields(block: block, blockTimestamp: blockTimestamp, transactionHash: transactionHash.text, logIndex: logIndex,
                               token: token.text, from: from.text, to: to.text, value: value)
    }
}

extension UInt256 {
    /// The most bytes ``writeDecimal(to:)`` writes (2²⁵⁶ − 1 has 78 digits).
    public static let maxDecimalLength = 78

    /// Writes the value's decimal digits at `p` (at most ``maxDecimalLength``), as ``description`` gives them,
    /// without a string; returns how many.
    public func writeDecimal(to p: UnsafeMutablePointer<UInt8>) -> Int {
        var v = self
        // Chunks of 19 digits, least significant first, then written most significant first.
        var chunks: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &chunks) { raw in
            let c = raw.bindMemory(to: UInt64.self)
            repeat {
                c[n] = v.divide(by: 10_000_000_000_000_000_000)
                n += 1
            } while !v.isZero
        }
        return withUnsafeBytes(of: &chunks) { raw in
            let c = raw.bindMemory(to: UInt64.self)
            var at = 0
            // The leading chunk without leading zeros, the others padded to 19 digits.
            var lead = c[n - 1], digits = 1
            while lead >= 10 { lead /= 10; digits += 1 }
            EthPlainDecimal.write(c[n - 1], digits, to: p)
            at = digits
            var i = n - 2
            while i >= 0 {
                EthPlainDecimal.write(c[i], 19, to: p + at)
                at += 19
                i -= 1
            }
            return at
        }
    }
}

enum EthPlainDecimal {
    /// Writes the low `digits` decimal digits of `v` at `p`, zero-padded.
    @inline(__always)
    static func write(_ v: UInt64, _ digits: Int, to p: UnsafeMutablePointer<UInt8>) {
        var v = v
        var i = digits - 1
        while i >= 0 {
            p[i] = UInt8(truncatingIfNeeded: v % 10) &+ UInt8(ascii: "0")
            v /= 10
            i -= 1
        }
    }
}
