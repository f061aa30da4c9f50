import FlowFixtures
import Foundation

// A synthetic ethereum-etl CSV export for the Ethereum ingest benchmark: blocks.csv, transactions.csv,
// receipts.csv and token_transfers.csv with ethereum-etl's column names and order, in block order as the exporter
// writes them. 150 transactions a block 12 s apart; senders and recipients drawn Zipf(1.0) over --addresses
// accounts; values 0 (a third of transactions), or up to 2^70 wei; 3% of receipts failed; 40% of successful
// transactions carry an ERC-20 transfer of one of 300 tokens with a value up to 2^80. Same seed, same bytes.
// Usage: make-eth-etl-fixture [--transactions N] [--addresses A] [--seed S] --out DIR

var transactions = 1_000_000, addressCount = 500_000
var seed: UInt64 = 7
var out = ""
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    switch a {
    case "--transactions": transactions = Int(args.next() ?? "") ?? transactions
    case "--addresses": addressCount = Int(args.next() ?? "") ?? addressCount
    case "--seed": seed = UInt64(args.next() ?? "") ?? seed
    case "--out": out = args.next() ?? ""
    default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(64)
    }
}
guard !out.isEmpty, transactions > 0, addressCount > 1 else {
    FileHandle.standardError.write(Data("usage: make-eth-etl-fixture [--transactions N] [--addresses A] [--seed S] --out DIR\n".utf8)); exit(64)
}
try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
var rng = SplitMix64(state: seed)

@MainActor func hex(_ words: Int) -> String {
    var s = "0x"
    for _ in 0..<words {
        let w = String(rng.next(), radix: 16)
        s += String(repeating: "0", count: 16 - w.count) + w
    }
    return s
}
let addresses = (0..<addressCount).map { _ in String(hex(3).prefix(42)) }
let tokens = (0..<300).map { _ in String(hex(3).prefix(42)) }
// Zipf(1.0) ranks by inverse CDF.
var cumulative = [Double](repeating: 0, count: addressCount)
var total = 0.0
for k in 0..<addressCount { total += 1 / Double(k + 1); cumulative[k] = total }
@MainActor func account() -> String {
    let u = rng.unit() * total
    var lo = 0, hi = addressCount - 1
    while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < u { lo = mid + 1 } else { hi = mid } }
    return addresses[lo]
}
@MainActor func bigValue(bits: Int) -> String {
    // A decimal of up to `bits` bits, exact, from two 64-bit words.
    let hi = bits > 64 ? rng.next() >> UInt64(128 - bits) : 0
    let lo = bits >= 64 ? rng.next() : rng.next() >> UInt64(64 - bits)
    return String((UInt128(hi) << 64) | UInt128(lo))
}

final class Sink {
    let handle: FileHandle
    var buffer: [UInt8] = []
    init(_ path: String, header: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        write(header)
    }
    func write(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(10)
        if buffer.count > 1 << 20 { flush() }
    }
    func flush() { handle.write(Data(buffer)); buffer.removeAll(keepingCapacity: true) }
}

let perBlock = 150, firstBlock = 17_000_000, firstTime = 1_680_000_000
let blockCount = (transactions + perBlock - 1) / perBlock
let blocks = try Sink("\(out)/blocks.csv", header: "number,hash,parent_hash,nonce,sha3_uncles,logs_bloom,transactions_root,state_root,receipts_root,miner,difficulty,total_difficulty,size,extra_data,gas_limit,gas_used,timestamp,transaction_count,base_fee_per_gas")
let txs = try Sink("\(out)/transactions.csv", header: "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price,input,block_timestamp,max_fee_per_gas,max_priority_fee_per_gas,transaction_type")
let receipts = try Sink("\(out)/receipts.csv", header: "transaction_hash,transaction_index,block_hash,block_number,cumulative_gas_used,gas_used,contract_address,root,status,effective_gas_price")
let tokenTransfers = try Sink("\(out)/token_transfers.csv", header: "token_address,from_address,to_address,value,transaction_hash,log_index,block_number")
var parent = hex(4)
var written = 0, tokenRows = 0
for b in 0..<blockCount {
    let number = firstBlock + b, time = firstTime + 12 * b, hash = hex(4)
    let count = min(perBlock, transactions - written)
    blocks.write("\(number),\(hash),\(parent),0x0000000000000000,,,,,,\(account()),0,0,50000,0x,30000000,\(21000 * count),\(time),\(count),20000000000")
    parent = hash
    var logIndex = 0
    for i in 0..<count {
        let tx = hex(4), price = 20_000_000_000 + rng.below(5_000_000_000)
        let value = rng.below(3) == 0 ? "0" : bigValue(bits: 40 + rng.below(31))
        let status = rng.unit() < 0.97 ? 1 : 0
        txs.write("\(tx),\(written),\(hash),\(number),\(i),\(account()),\(account()),\(value),60000,\(price),0x,\(time),\(price),1000000000,2")
        receipts.write("\(tx),\(i),\(hash),\(number),\(21000 * (i + 1)),21000,,,\(status),\(price)")
        if status == 1 && rng.unit() < 0.4 {
            tokenTransfers.write("\(tokens[rng.below(tokens.count)]),\(account()),\(account()),\(bigValue(bits: 80)),\(tx),\(logIndex),\(number)")
            logIndex += 1
            tokenRows += 1
        }
        written += 1
    }
}
for s in [blocks, txs, receipts, tokenTransfers] { s.flush() }
print("\(blockCount) blocks, \(written) transactions and receipts, \(tokenRows) token transfers: \(blockCount + 2 * written + tokenRows) rows")
