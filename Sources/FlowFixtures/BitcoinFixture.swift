import FlowCore

/// A coin (unspent output) of a Bitcoin fixture.
public struct FixtureCoin: Sendable, Hashable {
    /// The creating transaction's number (its txid is derived from it).
    public var tx: UInt64
    public var vout: UInt32
    public var sats: Int64
    public var address: UInt64

    /// `txid:vout`, as `flowtrace trace --from` takes it.
    public var outpoint: String { BitcoinFixtureText.txid(tx) + ":" + String(vout) }
}

/// An output of a fixture transaction: a payment to an address, or an OP_RETURN carrying data (no value).
public enum BitcoinFixtureOutput: Sendable {
    case pay(UInt64, Int64)
    case data([UInt8])

    var sats: Int64 { if case .pay(_, let s) = self { return s } else { return 0 } }
}

/// Text of fixture ids: P2WPKH addresses and txids, both stable functions of a number.
public enum BitcoinFixtureText {
    /// The 20-byte witness program of address id `id`: its 8 bytes (so ids never collide), then 12 mixed bytes.
    static func program(_ id: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(20)
        for k in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: id >> UInt64(k))) }
        var m = SplitMix64(state: id ^ 0xB7C0_1234_5678_9ABC)
        let a = m.next(), b = m.next()
        for k in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: a >> UInt64(k))) }
        for k in stride(from: 56, through: 32, by: -8) { out.append(UInt8(truncatingIfNeeded: b >> UInt64(k))) }
        return out
    }

    /// The mainnet bech32 address (`bc1q…`) of address id `id`.
    public static func address(_ id: UInt64) -> String { Bech32.encodeSegwit(hrp: "bc", version: 0, program: program(id)) }

    /// The scriptPubKey of address id `id`, in hex: `0014` and the program.
    static func appendScriptHex(_ id: UInt64, to out: inout [UInt8]) {
        out.append(contentsOf: Array("0014".utf8))
        for byte in program(id) { Bytes.appendHex(UInt64(byte), digits: 2, to: &out) }
    }

    /// 64 hex digits for transaction number `n` (the first 16 are a bijection of `n`, so txids never collide).
    public static func txid(_ n: UInt64) -> String {
        var out: [UInt8] = []
        appendTxid(n, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendTxid(_ n: UInt64, to out: inout [UInt8]) {
        var m = SplitMix64(state: n)
        for _ in 0..<4 { Bytes.appendHex(m.next(), digits: 16, to: &out) }
    }
}

/// Writes transactions as bitcoin-etl `transactions.json` lines (JSON Lines, enriched inputs, satoshi integers),
/// block by block. Blocks are 600 s apart from `start`; heights start at `firstHeight`.
final class BitcoinETLWriter {
    let file: FixtureFile
    let start: Int64
    let firstHeight: Int
    private(set) var block = 0
    private var index = 0
    private(set) var transactions = 0

    init(path: String, start: Int64, firstHeight: Int) throws {
        file = try FixtureFile(path: path)
        self.start = start; self.firstHeight = firstHeight
    }

    static let interval: Int64 = 600
    func time(ofBlock b: Int) -> Int64 { start + Int64(b) * Self.interval }

    func begin(block b: Int) { block = b; index = 0 }

    func write(tx: UInt64, coinbase: Bool, inputs: [FixtureCoin], outputs: [BitcoinFixtureOutput]) throws {
        let inputValue = inputs.reduce(Int64(0)) { $0 + $1.sats }
        let outputValue = outputs.reduce(Int64(0)) { $0 + $1.sats }
        precondition(coinbase || inputValue >= outputValue, "fixture transaction \(tx) spends more than its inputs")
        let height = firstHeight + block, time = time(ofBlock: block), position = index
        index += 1
        transactions += 1
        try file.withBuffer { o in
            func text(_ s: String) { o.append(contentsOf: s.utf8) }
            func number(_ v: Int64) { Bytes.appendDecimal(UInt64(v), to: &o) }
            let vsize = 11 + 68 * inputs.count + 31 * outputs.count
            text("{\"type\": \"transaction\", \"hash\": \""); BitcoinFixtureText.appendTxid(tx, to: &o)
            text("\", \"size\": "); number(Int64(vsize + 2 + 108 * inputs.count))
            text(", \"virtual_size\": "); number(Int64(vsize))
            text(", \"version\": 2, \"lock_time\": 0, \"block_number\": "); number(Int64(height))
            // Block hashes: 64 hex digits, the height in the last 16.
            text(", \"block_hash\": \"000000000000000000000000000000000000000000000000"); Bytes.appendHex(UInt64(height), digits: 16, to: &o)
            text("\", \"block_timestamp\": "); number(time)
            text(", \"index\": "); number(Int64(position))
            text(coinbase ? ", \"is_coinbase\": true, \"inputs\": [" : ", \"is_coinbase\": false, \"inputs\": [")
            for (n, c) in inputs.enumerated() {
                if n > 0 { text(", ") }
                text("{\"index\": "); number(Int64(n))
                text(", \"spent_transaction_hash\": \""); BitcoinFixtureText.appendTxid(c.tx, to: &o)
                text("\", \"spent_output_index\": "); number(Int64(c.vout))
                text(", \"sequence\": 4294967293, \"type\": \"witness_v0_keyhash\", \"addresses\": [\"")
                text(BitcoinFixtureText.address(c.address))
                text("\"], \"value\": "); number(c.sats)
                text("}")
            }
            text("], \"outputs\": [")
            for (n, out) in outputs.enumerated() {
                if n > 0 { text(", ") }
                text("{\"index\": "); number(Int64(n))
                switch out {
                case .pay(let address, let sats):
                    text(", \"script_hex\": \""); BitcoinFixtureText.appendScriptHex(address, to: &o)
                    text("\", \"required_signatures\": 1, \"type\": \"witness_v0_keyhash\", \"addresses\": [\"")
                    text(BitcoinFixtureText.address(address))
                    text("\"], \"value\": "); number(sats)
                case .data(let bytes):
                    precondition(bytes.count <= 75, "OP_RETURN payloads of a fixture fit one direct push")
                    text(", \"script_hex\": \"6a"); Bytes.appendHex(UInt64(bytes.count), digits: 2, to: &o)
                    for b in bytes { Bytes.appendHex(UInt64(b), digits: 2, to: &o) }
                    text("\", \"required_signatures\": 0, \"type\": \"nulldata\", \"addresses\": [], \"value\": 0")
                }
                text("}")
            }
            text("], \"input_count\": "); number(Int64(inputs.count))
            text(", \"output_count\": "); number(Int64(outputs.count))
            text(", \"input_value\": "); number(inputValue)
            text(", \"output_value\": "); number(outputValue)
            text(coinbase ? ", \"fee\": 0}\n" : ", \"fee\": "); if !coinbase { number(inputValue - outputValue); text("}\n") }
        }
    }

    func close() throws { try file.close() }
}

/// Streamed Bitcoin background traffic with power-law activity (Zipf weights over users, integer arithmetic).
/// Every block starts with a coinbase to a miner; users pay each other (1–3 coins in, payment and change out),
/// deposit to services through per-user deposit addresses that each service sweeps to its wallet every six
/// blocks, and services pay withdrawals from their wallet with change back to it. Block 0 holds the coins that
/// exist before the fixture starts (one coinbase paying the services' and the first users' balances).
/// Memory is bounded by the number of users and their coins, never by the number of transactions.
public struct BitcoinBackground {
    public let count: Int
    public let blocks: Int
    public let services: [BackgroundTraffic.Service]
    let users: Int
    var random: SplitMix64
    let zipf: ZipfWeights
    var coins: [[FixtureCoin]]
    var addressCounter: [UInt32]
    var serviceCoins: [[FixtureCoin]]
    var deposits: [[FixtureCoin]]
    var nextTx: UInt64 = openingTx
    var produced = 0
    /// Scenario parties' coins from before the fixture starts: the first outputs of the opening coinbase.
    var opening: [(address: UInt64, sats: Int64)] = []

    /// The opening coinbase's transaction number.
    static let openingTx: UInt64 = 1

    static let userSpace: UInt64 = 1, depositSpace: UInt64 = 2
    static let sweepEvery = 6

    public init(count: Int, blocks: Int, seed: UInt64, services: [BackgroundTraffic.Service]) {
        self.count = count; self.blocks = max(1, blocks); self.services = services
        users = max(100, min(count / 6, 1 << 24))
        random = SplitMix64(state: seed ^ 0xB17C_0000_0000_0002)
        zipf = ZipfWeights(count: users)
        coins = Array(repeating: [], count: users)
        addressCounter = Array(repeating: 0, count: users)
        serviceCoins = Array(repeating: [], count: services.count)
        deposits = Array(repeating: [], count: services.count)
    }

    public var labels: [FixtureLabel] {
        services.map { FixtureLabel(address: BitcoinFixtureText.address($0.address), category: $0.category, name: $0.name) }
    }

    /// The deposit address `owner` uses at service `s` (owners above 2³⁰ are scenario parties).
    public static func depositAddress(service s: Int, owner: UInt64) -> UInt64 { AccountFixtureBuilder.address(depositSpace, owner << 8 | UInt64(s)) }

    mutating func newAddress(_ u: Int) -> UInt64 {
        addressCounter[u] &+= 1
        return AccountFixtureBuilder.address(Self.userSpace, UInt64(u) << 16 | UInt64(addressCounter[u] & 0xFFFF))
    }

    mutating func pickUser() -> Int { zipf.pick(&random) }

    /// A payment-sized amount: 1–999 times 10⁵, 10⁶ or 10⁷ sat (0.001 to ~100 BTC).
    mutating func amount() -> Int64 {
        var unit: Int64 = 100_000
        for _ in 0..<random.below(3) { unit *= 10 }
        return Int64(1 + random.below(999)) * unit
    }

    static func fee(inputs: Int, outputs: Int) -> Int64 { Int64(1_000 + 700 * inputs + 300 * outputs) }

    /// Writes the background of block `b`: block 0's opening balances or a coinbase, then this block's share of
    /// the transactions. Sweeps come from ``sweeps(block:writer:)`` after the scenario's transactions.
    mutating func transactions(block b: Int, writer: BitcoinETLWriter) throws {
        if b == 0 {
            var outputs: [BitcoinFixtureOutput] = opening.map { .pay($0.address, $0.sats) }
            for s in services { for _ in 0..<10 { outputs.append(.pay(s.address, 100_000_000_000)) } }  // 10 × 1,000 BTC each
            for u in 0..<min(users, 2_000) { outputs.append(.pay(newAddress(u), Int64(10 + random.below(1_990)) * 1_000_000)) }
            let tx = nextTx; nextTx += 1
            try writer.write(tx: tx, coinbase: true, inputs: [], outputs: outputs)
            for (vout, o) in outputs.enumerated().dropFirst(opening.count) {
                guard case .pay(let address, let sats) = o else { continue }
                let coin = FixtureCoin(tx: tx, vout: UInt32(vout), sats: sats, address: address)
                let k = vout - opening.count
                if k < services.count * 10 { serviceCoins[k / 10].append(coin) } else { coins[k - services.count * 10].append(coin) }
            }
        } else {
            let miner = pickUser(), address = newAddress(miner), tx = nextTx
            nextTx += 1
            try writer.write(tx: tx, coinbase: true, inputs: [], outputs: [.pay(address, 312_500_000)])
            coins[miner].append(FixtureCoin(tx: tx, vout: 0, sats: 312_500_000, address: address))
        }
        let due = Int(Int128(count) * Int128(b + 1) / Int128(blocks))
        while produced < due {
            produced += 1
            try one(writer: writer)
        }
    }

    private mutating func one(writer: BitcoinETLWriter) throws {
        let kind = random.below(100)
        let u = pickUser()
        if kind < 60, !coins[u].isEmpty {
            // A payment: the sender's oldest 1–3 coins, a share of them to another user, change to a new address.
            let take = min(coins[u].count, 1 + random.below(3))
            let inputs = Array(coins[u].prefix(take))
            let total = inputs.reduce(Int64(0)) { $0 + $1.sats }
            let fee = Self.fee(inputs: take, outputs: 2)
            guard total > fee + 20_000 else { return }
            coins[u].removeFirst(take)
            var v = pickUser()
            if v == u { v = (v + 1) % users }
            let pay = max(10_000, Int64(Int128(total - fee) * Int128(10 + random.below(81)) / 100))
            let change = total - fee - pay
            let to = newAddress(v), back = newAddress(u), tx = nextTx
            nextTx += 1
            var outputs: [BitcoinFixtureOutput] = [.pay(to, pay)]
            if change > 0 { outputs.append(.pay(back, change)) }
            try writer.write(tx: tx, coinbase: false, inputs: inputs, outputs: outputs)
            coins[v].append(FixtureCoin(tx: tx, vout: 0, sats: pay, address: to))
            if change > 0 { coins[u].append(FixtureCoin(tx: tx, vout: 1, sats: change, address: back)) }
            return
        }
        guard !services.isEmpty else { return }
        let s = random.below(services.count)
        if kind < 80, !coins[u].isEmpty {
            // A deposit of one whole coin to the user's deposit address at the service.
            let fee = Self.fee(inputs: 1, outputs: 1)
            guard coins[u][0].sats > fee + 10_000 else { return }
            let coin = coins[u].removeFirst()
            let deposit = Self.depositAddress(service: s, owner: UInt64(u)), tx = nextTx
            nextTx += 1
            try writer.write(tx: tx, coinbase: false, inputs: [coin], outputs: [.pay(deposit, coin.sats - fee)])
            deposits[s].append(FixtureCoin(tx: tx, vout: 0, sats: coin.sats - fee, address: deposit))
            return
        }
        // A withdrawal from the service's wallet to a new address of the user, change back to the wallet.
        let want = amount()
        var inputs: [FixtureCoin] = [], total: Int64 = 0
        while total < want + Self.fee(inputs: inputs.count + 1, outputs: 2) + 10_000, !serviceCoins[s].isEmpty {
            let c = serviceCoins[s].removeFirst()
            inputs.append(c); total += c.sats
        }
        let fee = Self.fee(inputs: inputs.count, outputs: 2)
        guard total >= want + fee + 10_000 else { serviceCoins[s].insert(contentsOf: inputs, at: 0); return }
        let to = newAddress(u), tx = nextTx
        nextTx += 1
        let wallet = services[s].address
        try writer.write(tx: tx, coinbase: false, inputs: inputs, outputs: [.pay(to, want), .pay(wallet, total - want - fee)])
        coins[u].append(FixtureCoin(tx: tx, vout: 0, sats: want, address: to))
        serviceCoins[s].append(FixtureCoin(tx: tx, vout: 1, sats: total - want - fee, address: wallet))
    }

    /// Each service sweeps its pending deposits (up to 100 a transaction) to its wallet, every six blocks and in
    /// the last block.
    mutating func sweeps(block b: Int, writer: BitcoinETLWriter) throws {
        guard b % Self.sweepEvery == Self.sweepEvery - 1 || b == blocks - 1 else { return }
        for s in services.indices {
            while !deposits[s].isEmpty {
                let inputs = Array(deposits[s].prefix(100))
                deposits[s].removeFirst(inputs.count)
                let total = inputs.reduce(Int64(0)) { $0 + $1.sats }
                let fee = Self.fee(inputs: inputs.count, outputs: 1)
                let tx = nextTx
                nextTx += 1
                try writer.write(tx: tx, coinbase: false, inputs: inputs, outputs: [.pay(services[s].address, total - fee)])
                serviceCoins[s].append(FixtureCoin(tx: tx, vout: 0, sats: total - fee, address: services[s].address))
            }
        }
    }

    /// A coin that arrived at a service's deposit address from outside the background (a scenario's deposit).
    mutating func deposited(_ coin: FixtureCoin, service s: Int) { deposits[s].append(coin) }

    /// Takes one coin of at least `minimum` sat from each of `count` different users (for a CoinJoin round).
    mutating func takeCoins(count: Int, minimum: Int64) -> [(user: Int, coin: FixtureCoin)] {
        var out: [(user: Int, coin: FixtureCoin)] = []
        var tried = 0
        while out.count < count && tried < 50 * count + 1_000 {
            tried += 1
            let u = pickUser()
            guard !out.contains(where: { $0.user == u }), let k = coins[u].firstIndex(where: { $0.sats >= minimum }) else { continue }
            out.append((u, coins[u].remove(at: k)))
        }
        return out
    }

    mutating func give(_ coin: FixtureCoin, to user: Int) { coins[user].append(coin) }
}

/// Builds a Bitcoin fixture: the scenario's own transactions (small, planned in memory with their block) merged
/// block by block with streamed ``BitcoinBackground`` traffic into bitcoin-etl `transactions.json`.
public struct BitcoinFixtureBuilder {
    public static let btc = FixtureAsset(symbol: "BTC", decimals: 8, chain: "bitcoin")
    public let start: Int64
    public let firstHeight: Int
    public var random: SplitMix64
    public var ledger = TruthLedger()
    public private(set) var labels: [FixtureLabel] = []
    var opening: [(address: UInt64, sats: Int64)] = []
    private var planned: [Planned] = []
    private var nextTx: UInt64 = 1

    struct CoinJoinRound { var participants: Int; var denomination: Int64; var coordinator: UInt64; var feeBasisPoints: Int64; var feeShare: Int64 }
    struct Planned {
        var block: Int
        var tx: UInt64
        var inputs: [FixtureCoin]
        var outputs: [BitcoinFixtureOutput]
        var deposits: [(vout: Int, service: Int)]
        var coinJoin: CoinJoinRound?
    }

    public init(start: Int64, firstHeight: Int, seed: UInt64) {
        self.start = start; self.firstHeight = firstHeight
        random = SplitMix64(state: seed ^ 0xD33D_0000_0000_0003)
    }

    public static func sats(_ whole: Int64, hundredths: Int64 = 0) -> Int64 { Int64(btc.units(whole, hundredths: hundredths)) }

    public mutating func label(_ address: UInt64, _ category: String, _ name: String) {
        labels.append(FixtureLabel(address: BitcoinFixtureText.address(address), category: category, name: name))
    }

    public mutating func credit(_ entity: String, _ category: String, _ address: UInt64, _ sats: Int64) {
        ledger.credit(entity, category, BitcoinFixtureText.address(address), Int128(sats))
    }

    public mutating func creditFee(_ sats: Int64) { ledger.credit("miners' fees", "fee", "(fee)", Int128(sats)) }

    /// A coin `address` holds before the fixture starts (an output of block 0's opening coinbase).
    public mutating func fund(_ address: UInt64, _ sats: Int64) -> FixtureCoin {
        opening.append((address, sats))
        return FixtureCoin(tx: BitcoinBackground.openingTx, vout: UInt32(opening.count - 1), sats: sats, address: address)
    }

    /// Plans a transaction in block `b`; returns the coins it creates by output index (data outputs give none).
    /// Outputs listed in `deposits` (output index, service) are deposits the service sweeps with its own.
    /// Scenario transactions are numbered from 1 with the top bit set, so they never collide with the background's.
    @discardableResult
    public mutating func transaction(in b: Int, spending inputs: [FixtureCoin], to outputs: [BitcoinFixtureOutput],
                                     deposits: [(vout: Int, service: Int)] = []) -> [FixtureCoin] {
        let tx = 1 << 63 | nextTx
        nextTx += 1
        planned.append(Planned(block: b, tx: tx, inputs: inputs, outputs: outputs, deposits: deposits, coinJoin: nil))
        return Self.coins(of: tx, outputs)
    }

    static func coins(of tx: UInt64, _ outputs: [BitcoinFixtureOutput]) -> [FixtureCoin] {
        outputs.enumerated().compactMap { n, o in
            guard case .pay(let address, let sats) = o else { return nil }
            return FixtureCoin(tx: tx, vout: UInt32(n), sats: sats, address: address)
        }
    }

    /// What a scenario party gets from a CoinJoin round and what it paid.
    public struct CoinJoinShare { public var coins: [FixtureCoin]; public var coordinatorFee: Int64; public var miningFee: Int64 }

    /// Plans a CoinJoin round in block `b`: the party's `inputs` join one coin each of `participants` background
    /// users. Everyone pays the coordinator `feeBasisPoints` of what they bring and `feeShare` sat of mining fee;
    /// each user gets one `denomination` output and change, the party as many denominations as its rest covers
    /// (to `partyAddress`, `partyAddress + 1`, …) and its change. Output order: the party's denominations, the
    /// users', the party's change, the users' changes, the coordinator's fee; inputs are shuffled.
    public mutating func coinJoin(in b: Int, party inputs: [FixtureCoin], partyAddress: UInt64, participants: Int, denomination: Int64,
                                  coordinator: UInt64, feeBasisPoints: Int64, feeShare: Int64) -> CoinJoinShare {
        let brought = inputs.reduce(Int64(0)) { $0 + $1.sats }
        let coordinatorFee = brought * feeBasisPoints / 10_000
        let rest = brought - coordinatorFee - feeShare
        let count = Int(rest / denomination), change = rest - Int64(count) * denomination
        var outputs: [BitcoinFixtureOutput] = (0..<count).map { .pay(partyAddress + UInt64($0), denomination) }
        // The users' outputs are filled in when the round is written (their coins come from the background).
        outputs += Array(repeating: BitcoinFixtureOutput.data([]), count: participants)
        if change > 0 { outputs.append(.pay(partyAddress + UInt64(count), change)) }
        let tx = 1 << 63 | nextTx
        nextTx += 1
        planned.append(Planned(block: b, tx: tx, inputs: inputs, outputs: outputs, deposits: [],
                               coinJoin: CoinJoinRound(participants: participants, denomination: denomination, coordinator: coordinator,
                                                       feeBasisPoints: feeBasisPoints, feeShare: feeShare)))
        let mine = Self.coins(of: tx, outputs)
        return CoinJoinShare(coins: mine, coordinatorFee: coordinatorFee, miningFee: feeShare)
    }

    /// Writes `fileName` (background and scenario merged block by block, `blocks` blocks) into `directory` and adds
    /// the background's service labels to ``labels``.
    public mutating func write(to directory: String, fileName: String = "transactions.json", background: inout BitcoinBackground) throws -> FixtureTruth.File {
        if let late = planned.first(where: { $0.block >= background.blocks || $0.block < 1 }) {
            throw FixtureError("scenario transaction planned in block \(late.block), outside blocks 1..<\(background.blocks)")
        }
        planned.sort { ($0.block, $0.tx) < ($1.block, $1.tx) }
        background.opening = opening
        let writer = try BitcoinETLWriter(path: directory + "/" + fileName, start: start, firstHeight: firstHeight)
        var next = 0
        for b in 0..<background.blocks {
            writer.begin(block: b)
            try background.transactions(block: b, writer: writer)
            while next < planned.count && planned[next].block == b {
                try emit(planned[next], background: &background, writer: writer)
                next += 1
            }
            try background.sweeps(block: b, writer: writer)
        }
        try writer.close()
        labels += background.labels
        return .init(path: fileName, format: "btc-etl")
    }

    private mutating func emit(_ p: Planned, background: inout BitcoinBackground, writer: BitcoinETLWriter) throws {
        guard let round = p.coinJoin else {
            try writer.write(tx: p.tx, coinbase: false, inputs: p.inputs, outputs: p.outputs)
            for (vout, s) in p.deposits {
                guard case .pay(let address, let sats) = p.outputs[vout] else { continue }
                background.deposited(FixtureCoin(tx: p.tx, vout: UInt32(vout), sats: sats, address: address), service: s)
            }
            return
        }
        let d = round.denomination
        let minimum = d + d * round.feeBasisPoints / 5_000 + round.feeShare + 100_000
        let users = background.takeCoins(count: round.participants, minimum: minimum)
        guard users.count == round.participants else {
            throw FixtureError("a CoinJoin round needs \(round.participants) background users holding \(minimum) sat or more; found \(users.count) (raise --scale)")
        }
        var outputs = p.outputs
        let first = outputs.firstIndex { if case .data = $0 { return true } else { return false } }!
        var coordinatorFee = p.inputs.reduce(Int64(0)) { $0 + $1.sats } * round.feeBasisPoints / 10_000
        var changes: [BitcoinFixtureOutput] = []
        var given: [(user: Int, vout: Int, address: UInt64, sats: Int64)] = []
        for (k, u) in users.enumerated() {
            let fee = u.coin.sats * round.feeBasisPoints / 10_000
            coordinatorFee += fee
            let a = background.newAddress(u.user), c = background.newAddress(u.user)
            outputs[first + k] = .pay(a, d)
            given.append((u.user, first + k, a, d))
            let change = u.coin.sats - d - fee - round.feeShare
            changes.append(.pay(c, change))
            given.append((u.user, outputs.count + k, c, change))
        }
        outputs += changes
        outputs.append(.pay(round.coordinator, coordinatorFee))
        var inputs = p.inputs + users.map(\.coin)
        for i in stride(from: inputs.count - 1, to: 0, by: -1) { inputs.swapAt(i, random.below(i + 1)) }
        try writer.write(tx: p.tx, coinbase: false, inputs: inputs, outputs: outputs)
        for g in given { background.give(FixtureCoin(tx: p.tx, vout: UInt32(g.vout), sats: g.sats, address: g.address), to: g.user) }
    }

    /// The truth of this builder's thefts: `seeds` (the stolen outputs) and the credits.
    public func part(name: String, seeds: [FixtureCoin]) -> FixtureTruth.Part {
        FixtureTruth.Part(name: name, model: "utxo", asset: "BTC", decimals: 8, chain: "bitcoin", stolen: String(ledger.total),
                          seeds: seeds.map(\.outpoint), destinations: ledger.destinations)
    }
}
