/// An exact amount in an asset's base units (satoshi, wei, token units).
///
/// Backed by a signed 128-bit integer: wide enough for every BTC amount, for wei balances, and for
/// ordinary token supplies; net effects may be negative. Never converted through floating point:
/// ``init(decimal:decimals:)`` parses decimal text digit by digit and ``formatted(decimals:)`` prints
/// it back exactly.
public struct Amount: Hashable, Sendable, Comparable, AdditiveArithmetic, CustomStringConvertible, Codable {
    public var baseUnits: Int128

    public init(baseUnits: Int128) { self.baseUnits = baseUnits }
    public init(_ baseUnits: Int64) { self.baseUnits = Int128(baseUnits) }

    public static let zero = Amount(baseUnits: 0)

    public static func + (a: Amount, b: Amount) -> Amount { Amount(baseUnits: a.baseUnits + b.baseUnits) }
    public static func - (a: Amount, b: Amount) -> Amount { Amount(baseUnits: a.baseUnits - b.baseUnits) }
    public static func < (a: Amount, b: Amount) -> Bool { a.baseUnits < b.baseUnits }

    /// The base units as a decimal integer string (how JSON output carries amounts).
    public var description: String { String(baseUnits) }

    /// Parses a base-unit integer string (optionally signed), e.g. `"5000000000"`.
    public init?(baseUnitString text: String) {
        guard let v = Int128(text) else { return nil }
        self.baseUnits = v
    }

    /// Why decimal text could not be turned into base units.
    public enum ParseFailure: Error, Equatable, Sendable {
        case notANumber
        case tooManyDecimals
        case outOfRange
    }

    /// Parses decimal text such as `"50.00000000"`, `"-0.5"`, `"1e-8"` or `"12"` into base units.
    ///
    /// Exact: digits beyond `decimals` places must be zeros, otherwise the value is rejected
    /// (``ParseFailure/tooManyDecimals``) rather than rounded.
    public static func parse(decimal text: Substring, decimals: Int) -> Result<Amount, ParseFailure> {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var exponent = 0
        if let e = bytes.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            guard let exp = Int(String(decoding: bytes[(e + 1)...], as: UTF8.self)), abs(exp) < 100 else {
                return .failure(.notANumber)
            }
            exponent = exp
            bytes = bytes[..<e]
        }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var seenPoint = false
        for c in bytes {
            if c == UInt8(ascii: ".") {
                if seenPoint { return .failure(.notANumber) }
                seenPoint = true
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                digits.append(c - UInt8(ascii: "0"))
                if seenPoint { fractionDigits += 1 }
            } else {
                return .failure(.notANumber)
            }
        }
        guard !digits.isEmpty else { return .failure(.notANumber) }
        // value = digits × 10^(exponent - fractionDigits); we want value × 10^decimals.
        var shift = decimals + exponent - fractionDigits
        while shift < 0 {
            guard let last = digits.last, last == 0 else { return .failure(.tooManyDecimals) }
            digits.removeLast()
            shift += 1
            if digits.isEmpty { digits = [0]; shift = 0 }
        }
        var value: Int128 = 0
        for d in digits {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int128(d))
            if o1 || o2 { return .failure(.outOfRange) }
            value = s
        }
        for _ in 0..<shift {
            let (m, o) = value.multipliedReportingOverflow(by: 10)
            if o { return .failure(.outOfRange) }
            value = m
        }
        return .success(Amount(baseUnits: negative ? -value : value))
    }

    /// Convenience wrapper of ``parse(decimal:decimals:)``.
    public init?(decimal text: String, decimals: Int) {
        guard case .success(let a) = Amount.parse(decimal: text[...], decimals: decimals) else { return nil }
        self = a
    }

    /// Prints the amount as a decimal with exactly `decimals` fraction digits, e.g. `"10.00000000"`.
    public func formatted(decimals: Int) -> String {
        Amount.formatted(baseUnits: String(baseUnits), decimals: decimals)
    }

    /// Prints base units given as decimal digits (optionally `-`-signed, of any size) with exactly `decimals`
    /// fraction digits.
    public static func formatted(baseUnits text: String, decimals: Int) -> String {
        let negative = text.hasPrefix("-")
        var digits = negative ? String(text.dropFirst()) : text
        if decimals > 0 {
            if digits.count <= decimals {
                digits = String(repeating: "0", count: decimals - digits.count + 1) + digits
            }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
        }
        return negative ? "-" + digits : digits
    }

    // Codable as a base-unit string, so JSON never carries a lossy number.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let v = Amount(baseUnitString: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a base-unit integer: \(text)"))
        }
        self = v
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
