import Crypto

/// The hash functions Bitcoin uses: SHA-256d for ids and checksums, HASH160 for key and script hashes.
public enum Hashing {
    /// SHA-256 of SHA-256 of `bytes`.
    public static func sha256d(_ bytes: UnsafeRawBufferPointer) -> Hash256 {
        let first = Hashing.digest(bytes)
        return first.withUnsafeBytes { inner in
            Hashing.digest(inner).withUnsafeBytes { Hash256(loading: $0) }
        }
    }

    /// SHA-256 of SHA-256 of `bytes`.
    public static func sha256d<C: Collection>(_ bytes: C) -> Hash256 where C.Element == UInt8 {
        Array(bytes).withUnsafeBytes { sha256d($0) }
    }

    /// SHA-256 of raw bytes through swift-crypto's non-generic buffer path.
    @inline(__always)
    static func digest(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return hasher.finalize()
    }

    /// Plain SHA-256 as bytes.
    public static func sha256<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        Array(SHA256.hash(data: Array(bytes)))
    }

    /// RIPEMD-160 of SHA-256: the 20-byte hash inside P2PKH, P2SH and P2WPKH scripts.
    public static func hash160<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        RIPEMD160.hash(sha256(bytes))
    }
}

/// An incremental double SHA-256, for hashing a transaction's non-witness serialisation in pieces.
public struct DoubleSHA256Hasher {
    private var inner = SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        inner.update(bufferPointer: bytes)
    }

    public mutating func finalize() -> Hash256 {
        inner.finalize().withUnsafeBytes { first in
            Hashing.digest(first).withUnsafeBytes { Hash256(loading: $0) }
        }
    }
}
