import FlowCore
import Foundation

/// One block read from a raw block file, with where it was found.
public struct RawBlockRecord: Sendable {
    /// Position of the block in its file (0-based).
    public var index: Int
    /// Byte offset of the block's first header byte in the file.
    public var byteOffset: Int
    public var network: BitcoinNetwork
    public var block: BitcoinBlock
}

/// Reads blocks from a file holding either one consensus-serialised block or Bitcoin Core `blk*.dat` framing
/// (`magic | size u32 LE | block`, repeated), detected by the magic bytes.
///
/// The file is memory-mapped and read block by block, so a 128 MiB blk file never sits in memory whole.
/// Bitcoin Core 28+ obfuscates blk files with the 8-byte key in `blocks/xor.dat`:
/// `byte[offset] ^= key[offset % 8]`; an all-zero key means no obfuscation.
///
/// Format reference: Bitcoin Core `node/blockstorage.cpp` (framing) and PR #28052 (XOR obfuscation).
public struct BlockFileReader: Sequence, IteratorProtocol {
    public let path: String
    public let isFramed: Bool
    public let network: BitcoinNetwork
    private let data: Data
    private let xorKey: [UInt8]?
    private var offset = 0
    private var index = 0
    private var done = false
    /// Set when the file held one transaction rather than a block; read it after iteration ends.
    public private(set) var looseTransaction: BitcoinTransaction?

    /// Opens `path`.
    ///
    /// - Parameters:
    ///   - xorKey: an explicit 8-byte key; when `nil`, `xor.dat` next to the file is used if present.
    ///   - defaultNetwork: the network of an unframed single block (framed files name theirs by magic).
    /// - Throws: ``IngestError`` `missing-file`, `unreadable`, `bad-xor-key`, `bad-magic`.
    public init(path: String, xorKey: [UInt8]? = nil, defaultNetwork: BitcoinNetwork = .mainnet) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw IngestError(.missingFile, "no such file", path: path)
        }
        guard !isDirectory.boolValue else {
            throw IngestError(.unreadable, "is a directory; name the block files inside it", path: path)
        }
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw IngestError(.unreadable, "cannot read the file", path: path, underlying: "\(error)")
        }
        var key = xorKey
        if key == nil {
            let sibling = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("xor.dat").path
            if FileManager.default.fileExists(atPath: sibling) {
                key = try BlockFileReader.loadXORKey(path: sibling)
            }
        }
        if let k = key, k.count != 8 {
            throw IngestError(.badXORKey, "XOR key must be exactly 8 bytes, got \(k.count)", path: path)
        }
        if let k = key, k.allSatisfy({ $0 == 0 }) { key = nil }
        self.xorKey = key

        var head = [UInt8](data.prefix(4))
        if let k = key { for i in 0..<head.count { head[i] ^= k[i % 8] } }
        if head.count == 4, let net = BitcoinNetwork.from(magic: head) {
            isFramed = true
            network = net
        } else if data.count >= 80 {
            isFramed = false
            network = defaultNetwork
        } else {
            throw IngestError(.badMagic, "neither blk*.dat framing (no known magic) nor a block (\(data.count) bytes)",
                              path: path, byteOffset: 0)
        }
    }

    /// Reads an `xor.dat` key file, which must hold exactly 8 bytes.
    public static func loadXORKey(path: String) throws -> [UInt8] {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw IngestError(.missingFile, "XOR key file not found", path: path)
        }
        guard bytes.count == 8 else {
            throw IngestError(.badXORKey, "XOR key file must hold exactly 8 bytes, it holds \(bytes.count)", path: path)
        }
        return [UInt8](bytes)
    }

    /// Total bytes in the file.
    public var byteCount: Int { data.count }
    /// Bytes consumed so far.
    public var bytesRead: Int { offset }

    /// Copies `count` bytes at file offset `at`, undoing XOR obfuscation.
    private func bytes(at start: Int, count: Int) -> [UInt8] {
        var out = [UInt8](data[data.startIndex + start ..< data.startIndex + start + count])
        if let k = xorKey {
            for i in 0..<out.count { out[i] ^= k[(start + i) & 7] }
        }
        return out
    }

    public mutating func next() -> Result<RawBlockRecord, IngestError>? {
        do {
            guard let record = try nextBlock() else { return nil }
            return .success(record)
        } catch let e as IngestError {
            done = true
            return .failure(e.at(path: path))
        } catch {
            done = true
            return .failure(IngestError(.unreadable, "\(error)", path: path))
        }
    }

    /// Reads up to `maxBlocks` framed blocks and parses them on all cores, returned in file order.
    ///
    /// Parsing is independent per block, so a batch parses in parallel while the caller stores the previous one
    /// in order. When a block is bad, the blocks before it are returned with the error, and reading stops.
    /// - Complexity: O(bytes in the batch), spread over the available cores.
    public mutating func nextBatch(maxBlocks: Int) -> (records: [RawBlockRecord], error: IngestError?) {
        guard isFramed else {
            do {
                guard let one = try nextBlock() else { return ([], nil) }
                return ([one], nil)
            } catch let e as IngestError {
                return ([], e.at(path: path))
            } catch {
                return ([], IngestError(.unreadable, "\(error)", path: path))
            }
        }
        var frames: [(index: Int, offset: Int, bytes: [UInt8])] = []
        var frameError: IngestError?
        while frames.count < maxBlocks {
            do {
                guard let frame = try nextFrame() else { break }
                frames.append(frame)
            } catch let e as IngestError {
                frameError = e.at(path: path)
                done = true
                break
            } catch {
                frameError = IngestError(.unreadable, "\(error)", path: path)
                done = true
                break
            }
        }
        let parser = RawBlockParser(network: network)
        let path = self.path
        let results = ParallelMap.map(frames) { frame -> Result<BitcoinBlock, IngestError> in
            do {
                return .success(try frame.bytes.withUnsafeBytes { try parser.parseBlock($0, baseOffset: frame.offset) })
            } catch let e as IngestError {
                var located = e.at(path: path)
                located.block = located.block ?? "#\(frame.index)"
                return .failure(located)
            } catch {
                return .failure(IngestError(.unreadable, "\(error)", path: path))
            }
        }
        var records: [RawBlockRecord] = []
        for (frame, result) in zip(frames, results) {
            switch result {
            case .success(let block):
                records.append(RawBlockRecord(index: frame.index, byteOffset: frame.offset, network: network, block: block))
            case .failure(let e):
                done = true
                return (records, e)
            }
        }
        return (records, frameError)
    }

    /// The next block, or `nil` at the end of the file (or at Bitcoin Core's zero pre-allocation padding).
    public mutating func nextBlock() throws -> RawBlockRecord? {
        guard !done else { return nil }
        let parser = RawBlockParser(network: network)
        if !isFramed {
            done = true
            offset = data.count
            let all = bytes(at: 0, count: data.count)
            do {
                let block = try all.withUnsafeBytes { try parser.parseBlock($0, baseOffset: 0) }
                return RawBlockRecord(index: 0, byteOffset: 0, network: network, block: block)
            } catch let blockError as IngestError {
                // Not a block: it may be one serialised transaction (e.g. `getrawtransaction` output saved raw).
                guard let tx = try? all.withUnsafeBytes({ try parser.parseTransaction($0, baseOffset: 0) }) else { throw blockError }
                looseTransaction = tx
                return nil
            }
        }
        guard let frame = try nextFrame() else { return nil }
        let block = try frame.bytes.withUnsafeBytes { try parser.parseBlock($0, baseOffset: frame.offset) }
        return RawBlockRecord(index: frame.index, byteOffset: frame.offset, network: network, block: block)
    }

    /// The next frame's block bytes (de-obfuscated), its index and file offset; `nil` at the end or the zero padding.
    private mutating func nextFrame() throws -> (index: Int, offset: Int, bytes: [UInt8])? {
        guard !done else { return nil }
        let remaining = data.count - offset
        if remaining == 0 { done = true; return nil }
        if remaining < 8 {
            let tail = bytes(at: offset, count: remaining)
            if tail.allSatisfy({ $0 == 0 }) { done = true; offset = data.count; return nil }
            throw IngestError(.truncated, "frame header cut short (\(remaining) bytes left)", byteOffset: offset, block: "#\(index)")
        }
        let frame = bytes(at: offset, count: 8)
        let magic = Array(frame[0..<4])
        if magic == [0, 0, 0, 0] {
            // Bitcoin Core pre-allocates blk files with zeros; the rest of the file holds no block.
            done = true
            offset = data.count
            return nil
        }
        guard magic == network.magic else {
            throw IngestError(.badMagic, "expected magic \(Hex.encode(network.magic)), found \(Hex.encode(magic))",
                              byteOffset: offset, block: "#\(index)")
        }
        let size = Int(UInt32(frame[4]) | UInt32(frame[5]) << 8 | UInt32(frame[6]) << 16 | UInt32(frame[7]) << 24)
        let start = offset + 8
        guard size <= remaining - 8 else {
            throw IngestError(.truncated, "block frame says \(size) bytes but only \(remaining - 8) remain",
                              byteOffset: start, block: "#\(index)")
        }
        let result = (index: index, offset: start, bytes: bytes(at: start, count: size))
        offset = start + size
        index += 1
        return result
    }
}
