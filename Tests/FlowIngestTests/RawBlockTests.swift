import FlowCore
import FlowIngest
import Foundation
import Testing
import TestSupport

@Suite("Raw blocks and blk files")
struct RawBlockTests {
    @Test(arguments: RealData.rawBlocks.map(\.file))
    func realRawBlockParsesWithTheKnownHashAndMerkleRoot(file: String) throws {
        let known = try #require(RealData.rawBlocks.first { $0.file == file })
        var reader = try BlockFileReader(path: Paths.shared("btc/raw-blocks/\(file)"))
        let record = try #require(try reader.nextBlock())
        #expect(!reader.isFramed)
        #expect(record.block.hash.displayHex == known.hash)
        #expect(record.block.transactions.count == known.transactions)
        #expect(record.block.computedMerkleRoot == record.block.header.merkleRoot)
        #expect(record.block.header.hash == record.block.hash)
        #expect(try reader.nextBlock() == nil)
        // Every coinbase of a BIP 34 block (version ≥ 2 after activation) states the height.
        if let h = known.height, h >= 227_931 {
            #expect(record.block.transactions[0].bip34Height == h)
        }
    }

    @Test func blkFileOfBlocks0To438IsContiguousFromGenesis() throws {
        var reader = try BlockFileReader(path: Paths.shared("btc/blk-files/blocks-0-438.blk"))
        #expect(reader.isFramed && reader.network == .mainnet)
        var hashes: [Hash256] = []
        var previous = Hash256.zero
        while let r = try reader.nextBlock() {
            #expect(r.block.header.previousHash == previous)
            #expect(r.block.computedMerkleRoot == r.block.header.merkleRoot)
            previous = r.block.hash
            hashes.append(r.block.hash)
        }
        #expect(hashes.count == 439)
        #expect(hashes.first == BitcoinNetwork.mainnet.genesisHash)
    }

    @Test func block170CarriesTheFirstPersonToPersonTransfer() throws {
        var reader = try BlockFileReader(path: Paths.shared("btc/blk-files/blocks-0-438.blk"))
        var block170: BitcoinBlock?
        for _ in 0...170 { block170 = try reader.nextBlock()?.block }
        let tx = try #require(block170?.transactions.first { $0.txid.displayHex.hasPrefix("f4184fc5") })
        #expect(tx.outputs[0].valueSats == 1_000_000_000)
        #expect(tx.outputs[0].address.text == "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3")
        #expect(tx.outputs[0].address.scriptType == .p2pk)
        #expect(tx.inputs.count == 1)
    }

    @Test func segwitTransactionsHashWithoutWitnessData() throws {
        var reader = try BlockFileReader(path: Paths.shared("btc/raw-blocks/block-481829.raw"))
        let block = try #require(try reader.nextBlock()?.block)
        let segwit = block.transactions.filter { $0.weight < $0.size * 4 }
        #expect(segwit.count > 0, "block 481829 holds the first segwit spends")
        // The merkle root commits to txids (not wtxids): recomputing it proves every txid is right.
        #expect(block.computedMerkleRoot == block.header.merkleRoot)
        #expect(block.weight <= 4_000_000)
    }

    @Test func megaTransactionFileIsOneTransaction() throws {
        var reader = try BlockFileReader(path: Paths.shared("btc/raw-blocks/tx-megatx-5569-inputs.bin"))
        #expect(try reader.nextBlock() == nil)
        let tx = try #require(reader.looseTransaction)
        #expect(tx.inputs.count == 5569)
        #expect(tx.outputs.count == 1)
        #expect(tx.txid.displayHex.hasPrefix("bb41a757"))
        #expect(tx.txid.displayHex.hasSuffix("3e08"))
    }

    @Test func xorObfuscatedCopyReadsTheSameWithXorDatOrExplicitKey() throws {
        try withTemporaryDirectory { dir in
            let original = try Data(contentsOf: URL(fileURLWithPath: Paths.shared("btc/blk-files/blocks-1-255.blk")))
            let key: [UInt8] = [0x5a, 0x13, 0xc7, 0x00, 0xfe, 0x21, 0x88, 0x9d]
            var bytes = [UInt8](original)
            for i in bytes.indices { bytes[i] ^= key[i % 8] }
            let blocksDir = dir.appendingPathComponent("blocks")
            try FileManager.default.createDirectory(at: blocksDir, withIntermediateDirectories: true)
            let blk = blocksDir.appendingPathComponent("blk00000.dat")
            try Data(bytes).write(to: blk)

            // Without the key the file is garbage: no magic, not a block.
            #expect(throws: IngestError.self) {
                var r = try BlockFileReader(path: blk.path)
                while try r.nextBlock() != nil {}
            }
            // With xor.dat beside it, and with an explicit key, it reads exactly as the original.
            let keyFile = dir.appendingPathComponent("key.bin")
            try Data(key).write(to: keyFile)
            let plain = try hashes(BlockFileReader(path: Paths.shared("btc/blk-files/blocks-1-255.blk")))
            let explicit = try hashes(BlockFileReader(path: blk.path, xorKey: BlockFileReader.loadXORKey(path: keyFile.path)))
            try Data(key).write(to: blocksDir.appendingPathComponent("xor.dat"))
            let automatic = try hashes(BlockFileReader(path: blk.path))
            #expect(plain.count == 255)
            #expect(explicit == plain)
            #expect(automatic == plain)
        }
    }

    @Test func xorKeyOfTheWrongSizeIsRejected() throws {
        try withTemporaryDirectory { dir in
            let keyFile = dir.appendingPathComponent("xor.dat")
            try Data([1, 2, 3]).write(to: keyFile)
            let error = try #require(throws: IngestError.self) { try BlockFileReader.loadXORKey(path: keyFile.path) }
            #expect(error.code == .badXORKey)
            #expect(error.description.contains("xor.dat"))
        }
    }

    @Test func truncatedBlkFileFailsAtTheBadBlockWithItsOffset() throws {
        try withTemporaryDirectory { dir in
            let original = try Data(contentsOf: URL(fileURLWithPath: Paths.shared("btc/blk-files/blocks-0-438.blk")))
            let cut = dir.appendingPathComponent("cut.blk")
            try original.prefix(original.count - 100).write(to: cut)
            var reader = try BlockFileReader(path: cut.path)
            var good = 0
            let error = try #require(throws: IngestError.self) {
                while try reader.nextBlock() != nil { good += 1 }
            }
            #expect(good == 438)
            #expect(error.code == .truncated)
            #expect(error.byteOffset != nil)
            #expect(error.block == "#438")
        }
    }

    @Test func corruptBytesAreReportedWithTheirOffset() throws {
        try withTemporaryDirectory { dir in
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Paths.shared("btc/raw-blocks/block-227836.raw"))))
            bytes[80] = 0xff  // transaction count becomes an 8-byte CompactSize
            let bad = dir.appendingPathComponent("bad.raw")
            try Data(bytes).write(to: bad)
            var reader = try BlockFileReader(path: bad.path)
            let error = try #require(throws: IngestError.self) { _ = try reader.nextBlock() }
            #expect(error.byteOffset != nil)
            #expect(error.description.contains("bad.raw") || error.path == nil)

            let wrongMagic = dir.appendingPathComponent("magic.blk")
            var framed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Paths.shared("btc/blk-files/blocks-1-255.blk"))))
            let firstSize = Int(framed[4]) | Int(framed[5]) << 8 | Int(framed[6]) << 16 | Int(framed[7]) << 24
            framed[8 + firstSize] = 0x12  // second frame's magic
            try Data(framed).write(to: wrongMagic)
            var r2 = try BlockFileReader(path: wrongMagic.path)
            #expect(try r2.nextBlock() != nil)
            let e2 = try #require(throws: IngestError.self) { _ = try r2.nextBlock() }
            #expect(e2.code == .badMagic)
            #expect(e2.byteOffset == 8 + firstSize)
        }
    }

    @Test func batchesParsedInParallelEqualSequentialReading() throws {
        for path in Paths.blkFiles {
            var sequential = try BlockFileReader(path: path)
            var expected: [BitcoinBlock] = []
            while let r = try sequential.nextBlock() { expected.append(r.block) }
            var batched = try BlockFileReader(path: path)
            var got: [BitcoinBlock] = []
            while true {
                let (records, error) = batched.nextBatch(maxBlocks: 17)
                #expect(error == nil)
                if records.isEmpty { break }
                got += records.map(\.block)
            }
            #expect(got.map(\.hash) == expected.map(\.hash), "\(path)")
            #expect(got.map(\.transactions) == expected.map(\.transactions))
        }
    }

    @Test func aBadBlockInABatchReturnsTheBlocksBeforeIt() throws {
        try withTemporaryDirectory { dir in
            var blocks = try StoreBuilder.rawBlocks(ofBlkFile: Paths.shared("btc/blk-files/blocks-0-438.blk"))
            blocks[30][81] ^= 0xff  // first transaction's version/marker area: parses wrong or not at all
            blocks[30] = Array(blocks[30].prefix(100))
            let url = dir.appendingPathComponent("bad.blk")
            try StoreBuilder.writeBlkFile(blocks, to: url)
            var reader = try BlockFileReader(path: url.path)
            let first = reader.nextBatch(maxBlocks: 20)
            #expect(first.records.count == 20 && first.error == nil)
            let second = reader.nextBatch(maxBlocks: 20)
            #expect(second.records.count == 10)
            let error = try #require(second.error)
            #expect(error.block == "#30")
            #expect(error.path == url.path)
            #expect(error.byteOffset != nil)
            #expect(reader.nextBatch(maxBlocks: 20).records.isEmpty)
        }
    }

    @Test func missingFileIsNamed() {
        let error = #expect(throws: IngestError.self) { try BlockFileReader(path: "/nonexistent/blk00000.dat") }
        #expect(error?.code == .missingFile)
    }

    private func hashes(_ reader: BlockFileReader) throws -> [Hash256] {
        var r = reader
        var out: [Hash256] = []
        while let b = try r.nextBlock() { out.append(b.block.hash) }
        return out
    }
}
