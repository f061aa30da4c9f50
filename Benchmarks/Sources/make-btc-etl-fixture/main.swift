import FlowFixtures
import Foundation

// A synthetic bitcoin-etl export (JSON lines, one transaction a line) for the clustering benchmark, with the
// true owner of every address in a side file. --wallets wallets; each block starts with a coinbase paying a new
// address of a random wallet; a transaction picks its sender by Zipf(1.0), spends 1–4 of the sender's coins,
// pays a new or reused address of another wallet and returns change to a new address of the sender. 2% of
// transactions are 5-party CoinJoins (five 0.1 BTC outputs and five change outputs), which a clusterer must not
// merge. 1,000 transactions a block. Same seed, same bytes.
// Usage: make-btc-etl-fixture [--transactions N] [--wallets W] [--seed S] --out DIR
// Writes DIR/transactions.json and DIR/owners.csv (hash160 of each P2PKH address, its wallet).

var transactions = 1_000_000, walletCount = 100_000
var seed: UInt64 = 11
var out = ""
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    switch a {
    case "--transactions": transactions = Int(args.next() ?? "") ?? transactions
    case "--wallets": walletCount = Int(args.next() ?? "") ?? walletCount
    case "--seed": seed = UInt64(args.next() ?? "") ?? seed
    case "--out": out = args.next() ?? ""
    default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(64)
    }
}
guard !out.isEmpty, transactions > 0, walletCount > 10 else {
    FileHandle.standardError.write(Data("usage: make-btc-etl-fixture [--transactions N] [--wallets W] [--seed S] --out DIR\n".utf8)); exit(64)
}
try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

struct Coin { var tx: Int; var vout: Int; var sats: Int64 }
struct State {
    var rng: SplitMix64
    var coins: [[Coin]]
    var addressesOf: [[Int]]
    var addressCount = 0

    mutating func hex(_ words: Int) -> String {
        var s = ""
        for _ in 0..<words {
            let w = String(rng.next(), radix: 16)
            s += String(repeating: "0", count: 16 - w.count) + w
        }
        return s
    }
    /// A new address of `wallet`: its number.
    mutating func newAddress(_ wallet: Int) -> Int {
        addressCount += 1
        addressesOf[wallet].append(addressCount)
        return addressCount
    }
    /// The P2PKH script of address number `n` (its hash is a fixed function of `n`).
    func script(_ n: Int) -> String { "76a914" + hash160(n) + "88ac" }
    func hash160(_ n: Int) -> String {
        var z = UInt64(n) &* 0x9e37_79b9_7f4a_7c15
        var h = ""
        for _ in 0..<3 {
            z = (z ^ (z >> 31)) &* 0xbf58_476d_1ce4_e5b9
            let w = String(z, radix: 16)
            h += String(repeating: "0", count: 16 - w.count) + w
        }
        return String(h.prefix(40))
    }
}

var state = State(rng: SplitMix64(state: seed), coins: Array(repeating: [], count: walletCount),
                  addressesOf: Array(repeating: [], count: walletCount))
// Zipf(1.0) over wallets by inverse CDF on the harmonic numbers.
let harmonic: [Double] = {
    var h = [Double](repeating: 0, count: walletCount)
    var s = 0.0
    for i in 0..<walletCount { s += 1.0 / Double(i + 1); h[i] = s }
    return h
}()
@MainActor func zipf() -> Int {
    let u = state.rng.unit() * harmonic[walletCount - 1]
    var lo = 0, hi = walletCount - 1
    while lo < hi { let mid = (lo + hi) / 2; if harmonic[mid] < u { lo = mid + 1 } else { hi = mid } }
    return lo
}

let txPath = out + "/transactions.json"
FileManager.default.createFile(atPath: txPath, contents: nil)
guard let file = FileHandle(forWritingAtPath: txPath) else { FileHandle.standardError.write(Data("cannot write \(txPath)\n".utf8)); exit(73) }
var buffer = ""
var txids: [String] = []
txids.reserveCapacity(transactions)

@MainActor func emit(block: Int, index: Int, coinbase: Bool, inputs: [Coin], outputs: [(address: Int, sats: Int64)]) {
    let txid = state.hex(4)
    txids.append(txid)
    let ins = inputs.enumerated().map { n, c in
        "{\"index\": \(n), \"spent_transaction_hash\": \"\(txids[c.tx])\", \"spent_output_index\": \(c.vout)}"
    }.joined(separator: ", ")
    let outs = outputs.enumerated().map { n, o in "{\"index\": \(n), \"script_hex\": \"\(state.script(o.address))\", \"value\": \(o.sats)}" }
        .joined(separator: ", ")
    buffer += "{\"type\": \"transaction\", \"hash\": \"\(txid)\", \"size\": 250, \"version\": 2, \"lock_time\": 0, \"block_number\": \(block), "
        + "\"block_hash\": \"\(String(format: "%064x", block + 1))\", \"block_timestamp\": \(1_600_000_000 + block * 600), \"index\": \(index), "
        + "\"is_coinbase\": \(coinbase), \"inputs\": [\(ins)], \"outputs\": [\(outs)]}\n"
    if buffer.utf8.count > 1 << 22 { file.write(Data(buffer.utf8)); buffer = "" }
}

var block = 0, index = 0
while txids.count < transactions {
    if index == 0 || index == 1_000 {
        if index == 1_000 { block += 1 }
        let w = state.rng.below(walletCount)
        let a = state.newAddress(w)
        state.coins[w].append(Coin(tx: txids.count, vout: 0, sats: 5_000_000_000))
        emit(block: block, index: 0, coinbase: true, inputs: [], outputs: [(a, 5_000_000_000)])
        index = 1
        continue
    }
    if state.rng.below(50) == 0 {
        // A 5-party CoinJoin: each party spends one coin of at least 0.11 BTC.
        var parties: [(wallet: Int, coin: Coin)] = []
        for _ in 0..<40 where parties.count < 5 {
            let w = zipf()
            guard !parties.contains(where: { $0.wallet == w }), let k = state.coins[w].firstIndex(where: { $0.sats >= 11_000_000 }) else { continue }
            parties.append((w, state.coins[w].remove(at: k)))
        }
        if parties.count == 5 {
            var outputs: [(address: Int, sats: Int64)] = []
            for p in parties { outputs.append((state.newAddress(p.wallet), 10_000_000)) }
            for p in parties { outputs.append((state.newAddress(p.wallet), p.coin.sats - 10_000_000 - 1_000)) }
            let tx = txids.count
            for (n, o) in outputs.enumerated() { state.coins[parties[n % 5].wallet].append(Coin(tx: tx, vout: n, sats: o.sats)) }
            emit(block: block, index: index, coinbase: false, inputs: parties.map(\.coin), outputs: outputs)
            index += 1
            continue
        }
        for p in parties { state.coins[p.wallet].append(p.coin) }  // not enough parties: put the coins back
    }
    let sender = zipf()
    guard !state.coins[sender].isEmpty else { continue }
    let take = min(state.coins[sender].count, 1 + state.rng.below(4))
    var inputs: [Coin] = []
    for _ in 0..<take { inputs.append(state.coins[sender].remove(at: state.rng.below(state.coins[sender].count))) }
    let total = inputs.reduce(Int64(0)) { $0 + $1.sats }
    let fee: Int64 = 1_000
    guard total > fee + 10_000 else { state.coins[sender] += inputs; continue }
    var receiver = zipf()
    if receiver == sender { receiver = (receiver + 1) % walletCount }
    let reuse = !state.addressesOf[receiver].isEmpty && state.rng.below(10) < 3
    let to = reuse ? state.addressesOf[receiver][state.rng.below(state.addressesOf[receiver].count)] : state.newAddress(receiver)
    let pay = Int64(Double(total - fee) * (0.1 + 0.8 * state.rng.unit()))
    let change = total - fee - pay
    let tx = txids.count
    var outputs = [(address: to, sats: pay)]
    state.coins[receiver].append(Coin(tx: tx, vout: 0, sats: pay))
    if change > 0 {
        outputs.append((state.newAddress(sender), change))
        state.coins[sender].append(Coin(tx: tx, vout: 1, sats: change))
    }
    emit(block: block, index: index, coinbase: false, inputs: inputs, outputs: outputs)
    index += 1
}
file.write(Data(buffer.utf8))
try file.close()

var owners = "hash160,wallet\n"
for (w, list) in state.addressesOf.enumerated() { for a in list { owners += "\(state.hash160(a)),\(w)\n" } }
try owners.write(toFile: out + "/owners.csv", atomically: true, encoding: .utf8)
FileHandle.standardError.write(Data("\(transactions) transactions, \(state.addressCount) addresses, \(walletCount) wallets -> \(out)\n".utf8))
