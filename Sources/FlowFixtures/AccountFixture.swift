import FlowCore

/// An asset of an account-model fixture.
public struct FixtureAsset: Sendable, Equatable {
    public var symbol: String
    public var decimals: Int
    public var chain: String
    public static let eth = FixtureAsset(symbol: "ETH", decimals: 18, chain: "ethereum")
    public static let usdc = FixtureAsset(symbol: "USDC", decimals: 6, chain: "ethereum")

    /// `whole` units plus `hundredths`/100, in base units (exact).
    public func units(_ whole: Int64, hundredths: Int64 = 0) -> Int128 {
        var one = Int128(1)
        for _ in 0..<decimals { one *= 10 }
        return Int128(whole) * one + Int128(hundredths) * one / 100
    }
}

/// One transfer of a fixture, as `transfers-csv` holds it.
public struct FixtureTransfer: Sendable {
    public var from: UInt64
    public var to: UInt64
    public var amount: Int128
    public var time: Int64
    /// The transaction id's number (written as 64 hex digits).
    public var tx: UInt64
}

/// Builds an account-model fixture: the scenario's own transfers (small, kept in memory and sorted), merged in
/// time order with streamed background traffic, written as `transfers.csv`, plus `labels.csv` and `truth.json`.
public struct AccountFixtureBuilder {
    public let asset: FixtureAsset
    public let start: Int64
    public let span: Int64
    public var random: SplitMix64
    public private(set) var events: [FixtureTransfer] = []
    public private(set) var labels: [FixtureLabel] = []
    public var ledger = TruthLedger()
    private var nextTx: UInt64 = 1

    public init(asset: FixtureAsset, start: Int64, span: Int64, seed: UInt64) {
        self.asset = asset; self.start = start; self.span = span
        random = SplitMix64(state: seed)
    }

    /// Address ids: a namespace (what the address is) and a number within it; written as 40 hex digits.
    public static func address(_ namespace: UInt64, _ i: UInt64) -> UInt64 { namespace << 40 | i }

    public static func addressText(_ id: UInt64) -> String {
        var out: [UInt8] = []
        appendAddress(id, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `0x` and 40 hex digits: the id's 16 digits (so the leading digits tell the kind of party, which helps
    /// reading a fixture), then 24 digits mixed from it; unique and stable.
    static func appendAddress(_ id: UInt64, to out: inout [UInt8]) {
        out.append(48); out.append(120)
        Bytes.appendHex(id, digits: 16, to: &out)
        var m = SplitMix64(state: id ^ 0x5151_5151)
        Bytes.appendHex(m.next(), digits: 16, to: &out)
        Bytes.appendHex(m.next() >> 32, digits: 8, to: &out)
    }

    static func appendTx(_ tx: UInt64, to out: inout [UInt8]) {
        out.append(48); out.append(120)
        var m = SplitMix64(state: tx)
        Bytes.appendHex(tx, digits: 16, to: &out)
        for _ in 0..<3 { Bytes.appendHex(m.next(), digits: 16, to: &out) }
    }

    public static func txText(_ tx: UInt64) -> String {
        var out: [UInt8] = []
        appendTx(tx, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Adds a scenario transfer; returns its transaction number. Scenario transactions are numbered from 1 with
    /// the top bit set, background ones without, so the two never collide.
    @discardableResult
    public mutating func transfer(_ from: UInt64, _ to: UInt64, _ amount: Int128, at time: Int64) -> UInt64 {
        let tx = 1 << 63 | nextTx
        nextTx += 1
        events.append(FixtureTransfer(from: from, to: to, amount: amount, time: time, tx: tx))
        return tx
    }

    public mutating func label(_ address: UInt64, _ category: String, _ name: String) {
        labels.append(FixtureLabel(address: Self.addressText(address), category: category, name: name))
    }

    /// Records that `amount` stolen base units ended at `entity` (adding to what it already has).
    public mutating func credit(_ entity: String, _ category: String, _ address: UInt64, _ amount: Int128) {
        ledger.credit(entity, category, Self.addressText(address), amount)
    }

    /// Splits `total` into `parts` positive amounts, each a multiple of `unit`, at random (exact: they add up).
    public mutating func split(_ total: Int128, into parts: Int, unit: Int128) -> [Int128] {
        let units = total / unit
        precondition(units >= Int128(parts), "cannot split \(total) into \(parts) parts of \(unit)")
        let weights = (0..<parts).map { _ in Int128(1 + random.below(1_000)) }
        let sum = weights.reduce(0, +)
        var out = weights.map { max(1, $0 * (units - Int128(parts)) / sum + 1) * unit }
        out[parts - 1] += total - out.reduce(0, +)
        return out
    }

    /// Writes `fileName` (scenario transfers merged with `background` in time order) into `directory` and adds
    /// the background's service labels to ``labels``.
    public mutating func write(to directory: String, fileName: String = "transfers.csv", background: inout BackgroundTraffic) throws -> FixtureTruth.File {
        events.sort { ($0.time, $0.tx) < ($1.time, $1.tx) }
        let file = try FixtureFile(path: directory + "/" + fileName)
        try file.write("from,to,amount,asset,timestamp,tx,decimals,chain,block\n")
        let suffix = Array(",\(asset.symbol),".utf8), tail = Array(",\(asset.decimals),\(asset.chain),".utf8)
        func row(_ t: FixtureTransfer, _ out: inout [UInt8]) {
            Self.appendAddress(t.from, to: &out); out.append(44)
            Self.appendAddress(t.to, to: &out)
            out.append(44)
            Bytes.appendDecimal(t.amount, to: &out)
            out.append(contentsOf: suffix)
            Bytes.appendDecimal(UInt64(t.time), to: &out); out.append(44)
            Self.appendTx(t.tx, to: &out)
            out.append(contentsOf: tail)
            // Ethereum-like blocks: one every 12 s from the fixture's start.
            Bytes.appendDecimal(UInt64(18_000_000 + (t.time - start) / 12), to: &out)
            out.append(10)
        }
        var next = 0
        while let b = background.next() {
            while next < events.count && events[next].time <= b.time {
                let e = events[next]
                try file.withBuffer { row(e, &$0) }
                next += 1
            }
            try file.withBuffer { row(b, &$0) }
        }
        while next < events.count {
            let e = events[next]
            try file.withBuffer { row(e, &$0) }
            next += 1
        }
        try file.close()

        labels += background.labels.map { FixtureLabel(address: Self.addressText($0.address), category: $0.category, name: $0.name) }
        return .init(path: fileName, format: "transfers-csv")
    }

    /// The truth of what this builder stole: `seedTransactions` as trace seeds, the credits as destinations.
    public func part(name: String, seedTransactions: [UInt64]) -> FixtureTruth.Part {
        FixtureTruth.Part(name: name, model: "account", asset: asset.symbol, decimals: asset.decimals, chain: asset.chain, stolen: String(ledger.total),
                          seeds: seedTransactions.map { "tx:" + Self.txText($0) }, destinations: ledger.destinations)
    }
}

/// Streamed background traffic with power-law activity: a few users make most transfers (Zipf weights over user
/// ids, integer arithmetic so every platform draws the same). Users pay each other, deposit to exchanges (through
/// per-user deposit addresses that are swept to the hot wallet later), withdraw from hot wallets, and use
/// fixed-denomination pools. Times rise evenly over the span, so the stream is already in time order.
public struct BackgroundTraffic {
    public struct Service { public var address: UInt64; public var category: String; public var name: String; public var denomination: Int128? }

    public let count: Int
    let users: Int
    let asset: FixtureAsset
    let start: Int64, span: Int64
    var random: SplitMix64
    let zipf: ZipfWeights
    public let exchanges: [Service]
    public let pools: [Service]
    var produced = 0
    var pending: [FixtureTransfer] = []  // sweeps, a min-heap by (time, tx)

    /// Background address namespaces.
    static let userSpace: UInt64 = 1, depositSpace: UInt64 = 2

    public init(count: Int, asset: FixtureAsset, start: Int64, span: Int64, seed: UInt64, exchanges: [Service], pools: [Service]) {
        self.count = count; self.asset = asset; self.start = start; self.span = span
        self.exchanges = exchanges; self.pools = pools
        users = max(50, min(count / 8, 20_000_000))
        random = SplitMix64(state: seed ^ 0xB4C6_0000_0000_0001)
        zipf = ZipfWeights(count: users)
    }

    public var labels: [(address: UInt64, category: String, name: String)] { (exchanges + pools).map { ($0.address, $0.category, $0.name) } }

    public static func user(_ i: Int) -> UInt64 { AccountFixtureBuilder.address(userSpace, UInt64(i)) }

    mutating func pickUser() -> Int { zipf.pick(&random) }

    /// A payment-sized amount: 1–999 times a power of ten spread over three orders of magnitude.
    mutating func amount() -> Int128 {
        var unit = Int128(1)
        for _ in 0..<max(0, asset.decimals - 3 + random.below(3)) { unit *= 10 }
        return Int128(1 + random.below(999)) * unit
    }

    public mutating func next() -> FixtureTransfer? {
        let due = produced < count ? start + Int64(Int128(produced) * Int128(span) / Int128(count)) : Int64.max
        if let first = pending.first, first.time <= due { return popPending() }
        guard produced < count else { return nil }
        produced += 1
        let tx = UInt64(produced)
        let kind = random.below(100)
        let u = pickUser()
        if kind < 62 || (exchanges.isEmpty && pools.isEmpty) {
            var v = pickUser()
            if v == u { v = (v + 1) % users }
            return FixtureTransfer(from: Self.user(u), to: Self.user(v), amount: amount(), time: due, tx: tx)
        }
        if kind < 82, !exchanges.isEmpty {
            // A deposit, swept to the hot wallet within the hour.
            let e = random.below(exchanges.count)
            let deposit = AccountFixtureBuilder.address(Self.depositSpace, UInt64(u) << 8 | UInt64(e))
            let a = amount()
            pushPending(FixtureTransfer(from: deposit, to: exchanges[e].address, amount: a, time: due + 60 + Int64(random.below(3_540)), tx: tx | 1 << 62))
            return FixtureTransfer(from: Self.user(u), to: deposit, amount: a, time: due, tx: tx)
        }
        if kind < 94, !exchanges.isEmpty {
            let e = random.below(exchanges.count)
            return FixtureTransfer(from: exchanges[e].address, to: Self.user(u), amount: amount(), time: due, tx: tx)
        }
        guard !pools.isEmpty else { return FixtureTransfer(from: Self.user(u), to: Self.user((u + 1) % users), amount: amount(), time: due, tx: tx) }
        let p = pools[random.below(pools.count)]
        let denomination = p.denomination ?? amount()
        // Pool deposits and withdrawals (to users, i.e. fresh-looking addresses) in equal measure.
        return random.below(2) == 0 ? FixtureTransfer(from: Self.user(u), to: p.address, amount: denomination, time: due, tx: tx)
            : FixtureTransfer(from: p.address, to: Self.user(u), amount: denomination, time: due, tx: tx)
    }

    mutating func pushPending(_ t: FixtureTransfer) {
        pending.append(t)
        var i = pending.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard (pending[i].time, pending[i].tx) < (pending[p].time, pending[p].tx) else { break }
            pending.swapAt(i, p); i = p
        }
    }

    mutating func popPending() -> FixtureTransfer {
        let top = pending[0]
        pending[0] = pending[pending.count - 1]
        pending.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < pending.count && (pending[l].time, pending[l].tx) < (pending[m].time, pending[m].tx) { m = l }
            if r < pending.count && (pending[r].time, pending[r].tx) < (pending[m].time, pending[m].tx) { m = r }
            if m == i { break }
            pending.swapAt(i, m); i = m
        }
        return top
    }
}
