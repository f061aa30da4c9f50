import FlowCore

/// The account-model case scenarios, at the magnitudes reported for the real incidents, and `random` (background
/// only). Each writes `transfers.csv`, `labels.csv` and returns the truth (the caller writes `truth.json`).
public enum Scenario: String, CaseIterable, Sendable {
    case dmm, cryptocom, usg, m2, random

    public var summary: String {
        switch self {
        case .dmm: return "DMM Bitcoin 2024: 4,502.9 BTC stolen, nine peel chains from 499 BTC down to ~39 BTC by the third hop, CoinJoin rounds, a bridge (lock on Bitcoin, WBTC minted on Ethereum) and exchange cash-out"
        case .cryptocom: return "Crypto.com 2022: 483 victim accounts drained of 4,836.26 ETH, sent to Tornado-style pools in 100-ETH batches; 443.93 BTC consolidated and sent to a custodial mixer (4 × 67.75 BTC, then the rest)"
        case .usg: return "US-government wallet 2024: 20,000,000 USDC drained; 700,000 through instant exchanges, 19,300,000 returned within a day"
        case .m2: return "M2 2024 (ETH part): 1,378 ETH drained from the hot wallet, split to a pool, an instant exchange and a peel chain ending at a bridge"
        case .random: return "background traffic only (power-law activity), for performance"
        }
    }

    /// Background transfers when `--scale` is not given: enough to hide the case in, small enough to commit.
    public var defaultScale: Int { self == .random ? 1_000_000 : 2_000 }

    public func generate(seed: UInt64, scale: Int?, directory: String) throws -> FixtureTruth {
        let count = scale ?? defaultScale
        switch self {
        case .dmm: return try Self.dmm(seed: seed, count: count, directory: directory)
        case .cryptocom: return try Self.cryptocom(seed: seed, count: count, directory: directory)
        case .usg: return try Self.usg(seed: seed, count: count, directory: directory)
        case .m2: return try Self.m2(seed: seed, count: count, directory: directory)
        case .random: return try Self.random(seed: seed, count: count, directory: directory)
        }
    }

    // Address namespaces of scenario parties.
    static let thieves: UInt64 = 16, victims: UInt64 = 17, services: UInt64 = 20
    static func thief(_ i: UInt64) -> UInt64 { AccountFixtureBuilder.address(thieves, i) }
    static func service(_ i: UInt64) -> UInt64 { AccountFixtureBuilder.address(services, i) }
    static let day: Int64 = 86_400

    /// Writes `labels.csv` and assembles the truth; the labels file is ingested last.
    static func truth(_ scenario: String, seed: UInt64, scale: Int, directory: String, parts: [FixtureTruth.Part], files: [FixtureTruth.File],
                      labels: [FixtureLabel], bridges: [FixtureTruth.BridgeLink] = [], notes: [String]) throws -> FixtureTruth {
        for p in parts {
            let total = p.destinations.reduce(Int128(0)) { $0 + (Int128($1.amount) ?? 0) }
            guard String(total) == p.stolen else { throw FixtureError("\(scenario) \(p.name): the truth's destinations add up to \(total), not \(p.stolen)") }
        }
        let labelFile = try FixtureLabel.write(labels, scenario: scenario, to: directory)
        return FixtureTruth(scenario: scenario, seed: seed, scale: scale, parts: parts, bridges: bridges, files: files + [labelFile], notes: notes)
    }

    static func pools(_ asset: FixtureAsset, _ denominations: [(Int64, Int64, String)]) -> [BackgroundTraffic.Service] {
        denominations.enumerated().map { i, d in
            .init(address: service(10 + UInt64(i)), category: "mixer", name: "Tornado-style pool \(d.2) \(asset.symbol)", denomination: asset.units(d.0, hundredths: d.1))
        }
    }

    static func cryptocom(seed: UInt64, count: Int, directory: String) throws -> FixtureTruth {
        let eth = FixtureAsset.eth
        let start: Int64 = 1_642_291_200  // 2022-01-16T00:00:00Z
        let theft: Int64 = 1_642_381_200  // 2022-01-17T01:00:00Z
        var b = AccountFixtureBuilder(asset: eth, start: start, span: 7 * day, seed: seed)
        let hot = BackgroundTraffic.Service(address: service(1), category: "exchange", name: "Crypto.com hot wallet", denomination: nil)
        let other = BackgroundTraffic.Service(address: service(2), category: "exchange", name: "Exchange B hot wallet", denomination: nil)
        let pools = pools(eth, [(100, 0, "100"), (10, 0, "10"), (1, 0, "1"), (0, 10, "0.1")])
        // 483 victims hold their stolen part plus some clean ETH, paid out by the exchange beforehand.
        let parts = b.split(eth.units(4_836, hundredths: 26), into: 483, unit: eth.units(0, hundredths: 1))
        let collector = thief(1)
        var seeds: [UInt64] = []
        for (i, part) in parts.enumerated() {
            let victim = AccountFixtureBuilder.address(victims, UInt64(i + 1))
            b.transfer(hot.address, victim, part + eth.units(Int64(b.random.below(5)), hundredths: Int64(b.random.below(100))), at: start + Int64(i) * 120)
            seeds.append(b.transfer(victim, collector, part, at: theft + Int64(i) * 5))
        }
        // Gas money from a clean user reaches the thief's wallets before the theft.
        b.transfer(BackgroundTraffic.user(3), collector, eth.units(0, hundredths: 10), at: theft - 7_200)
        let wallets = (2...5).map { thief(UInt64($0)) }
        for w in wallets { b.transfer(BackgroundTraffic.user(5), w, eth.units(0, hundredths: 5), at: theft - 3_600) }
        var t = theft + 483 * 5 + 600
        let shares = [eth.units(1_200), eth.units(1_200), eth.units(1_200), eth.units(1_236, hundredths: 26)]
        for (w, share) in zip(wallets, shares) { b.transfer(collector, w, share, at: t); t += 300 }
        // Each wallet feeds the pools in their fixed denominations, largest first; what is left stays put.
        for (w, share) in zip(wallets, shares) {
            var left = share
            for p in pools {
                let d = p.denomination!
                while left >= d {
                    t += 90 + Int64(b.random.below(600))
                    b.transfer(w, p.address, d, at: t)
                    b.credit(p.name, "mixer", p.address, d)
                    left -= d
                }
            }
            if left > 0 { b.credit("thief wallet (left over)", "unlabelled", w, left) }
        }
        var background = BackgroundTraffic(count: count, asset: eth, start: start, span: 7 * day, seed: seed, exchanges: [hot, other], pools: pools)
        let transfers = try b.write(to: directory, background: &background)
        let (bitcoin, btcFile) = try cryptocomBitcoin(seed: seed, count: count, directory: directory)
        return try truth("cryptocom", seed: seed, scale: count, directory: directory,
                         parts: [b.part(name: "ETH", seedTransactions: seeds), bitcoin.part], files: [transfers, btcFile],
                         labels: b.labels + bitcoin.labels, notes: [
                             "The thief's wallets hold clean gas money from before the theft, as real ones do.",
                             "BTC: the reports give 443.93 BTC stolen and mixer deposits of 4 × 67.75 BTC; the fixture sends those four and then the rest (less fees) to the same custodial mixer.",
                             "Coins that exist before the fixture starts are outputs of block 0's opening coinbase.",
                         ])
    }

    static func usg(seed: UInt64, count: Int, directory: String) throws -> FixtureTruth {
        let usdc = FixtureAsset.usdc
        let start: Int64 = 1_729_468_800  // 2024-10-21T00:00:00Z
        let theft: Int64 = 1_729_792_800  // 2024-10-24T18:00:00Z
        var b = AccountFixtureBuilder(asset: usdc, start: start, span: 7 * day, seed: seed)
        let wallet = AccountFixtureBuilder.address(victims, 1)
        b.label(wallet, "law-enforcement", "US government seized-funds wallet")
        let instant = (5...7).map { BackgroundTraffic.Service(address: service(UInt64($0)), category: "exchange", name: "instant exchange \($0 - 4)", denomination: nil) }
        let exchange = BackgroundTraffic.Service(address: service(1), category: "exchange", name: "Exchange A hot wallet", denomination: nil)
        // The wallet was funded (clean) days before; it does not spend after the return.
        b.transfer(AccountFixtureBuilder.address(victims, 2), wallet, usdc.units(20_500_000), at: start + 3_600)
        let (t1, t2) = (thief(1), thief(2))
        let seedTx = b.transfer(wallet, t1, usdc.units(20_000_000), at: theft)
        b.transfer(t1, t2, usdc.units(700_000), at: theft + 1_800)
        for (i, (s, amount)) in zip(instant, [250_000, 250_000, 200_000] as [Int64]).enumerated() {
            b.transfer(t2, s.address, usdc.units(amount), at: theft + 3_600 + Int64(i) * 1_800)
            b.credit(s.name, "exchange", s.address, usdc.units(amount))
        }
        b.transfer(t1, wallet, usdc.units(19_300_000), at: theft + 20 * 3_600)
        b.credit("returned to the wallet", "law-enforcement", wallet, usdc.units(19_300_000))
        var background = BackgroundTraffic(count: count, asset: usdc, start: start, span: 7 * day, seed: seed, exchanges: [exchange] + instant, pools: [])
        let transfers = try b.write(to: directory, background: &background)
        return try truth("usg", seed: seed, scale: count, directory: directory, parts: [b.part(name: "USDC", seedTransactions: [seedTx])],
                         files: [transfers], labels: b.labels, notes: [
                             "Modelled in USDC only: the real drain also took USDT, aUSDC and ETH and swapped part to ETH.",
                         ])
    }

    static func m2(seed: UInt64, count: Int, directory: String) throws -> FixtureTruth {
        let eth = FixtureAsset.eth
        let start: Int64 = 1_730_073_600  // 2024-10-28T00:00:00Z
        let theft: Int64 = 1_730_332_800  // 2024-10-31T00:00:00Z
        var b = AccountFixtureBuilder(asset: eth, start: start, span: 7 * day, seed: seed)
        let hot = BackgroundTraffic.Service(address: service(1), category: "exchange", name: "M2 hot wallet", denomination: nil)
        let other = BackgroundTraffic.Service(address: service(2), category: "exchange", name: "Exchange B hot wallet", denomination: nil)
        let instant = BackgroundTraffic.Service(address: service(5), category: "exchange", name: "instant exchange", denomination: nil)
        let bridge = BackgroundTraffic.Service(address: service(6), category: "bridge", name: "bridge deposit contract", denomination: nil)
        let pool = pools(eth, [(100, 0, "100")])[0]
        b.transfer(other.address, hot.address, eth.units(2_000), at: start + 3_600)
        let collector = thief(1)
        let seedTx = b.transfer(hot.address, collector, eth.units(1_378), at: theft)
        let (a1, a2, a3) = (thief(2), thief(3), thief(4))
        for w in [a1, a2, a3] { b.transfer(BackgroundTraffic.user(7), w, eth.units(0, hundredths: 2), at: theft - 3_600) }
        b.transfer(collector, a1, eth.units(500), at: theft + 600)
        b.transfer(collector, a2, eth.units(400), at: theft + 900)
        b.transfer(collector, a3, eth.units(478), at: theft + 1_200)
        for k in 0..<5 {
            b.transfer(a1, pool.address, eth.units(100), at: theft + 3_600 + Int64(k) * 400)
            b.credit(pool.name, "mixer", pool.address, eth.units(100))
        }
        for (k, amount) in ([250, 150] as [Int64]).enumerated() {
            b.transfer(a2, instant.address, eth.units(amount), at: theft + 5_400 + Int64(k) * 900)
            b.credit(instant.name, "exchange", instant.address, eth.units(amount))
        }
        // A peel chain from a3: each hop pays 10% of what it holds to the instant exchange and passes the rest on;
        // the third wallet also holds 50 ETH of clean money (an OTC payment) that goes along; the last hop bridges.
        var holder = a3, held = eth.units(478), t = theft + 7_200
        let otc = thief(20)
        b.transfer(BackgroundTraffic.user(11), otc, eth.units(50), at: theft - 7_200)
        for hop in 1...5 {
            let next = thief(10 + UInt64(hop))
            let peel = held / 10
            b.transfer(holder, instant.address, peel, at: t)
            b.credit(instant.name, "exchange", instant.address, peel)
            held -= peel
            t += 600
            if next == thief(13) {
                // The stolen rest joins the clean 50 ETH at the OTC wallet, which forwards both.
                b.transfer(holder, otc, held, at: t)
                t += 600
                b.transfer(otc, next, held + eth.units(50), at: t)
            } else {
                b.transfer(holder, next, held, at: t)
            }
            t += 600
            holder = next
        }
        b.transfer(holder, bridge.address, held + eth.units(50), at: t)
        b.credit(bridge.name, "bridge", bridge.address, held)
        var background = BackgroundTraffic(count: count, asset: eth, start: start, span: 7 * day, seed: seed, exchanges: [hot, other, instant],
                                           pools: [pool, bridge])
        let transfers = try b.write(to: directory, background: &background)
        return try truth("m2", seed: seed, scale: count, directory: directory, parts: [b.part(name: "ETH", seedTransactions: [seedTx])],
                         files: [transfers], labels: b.labels, notes: [
                             "Modelled in ETH only: the real hot wallet also lost stablecoins and tokens that were swapped into ETH.",
                         ])
    }

    static func random(seed: UInt64, count: Int, directory: String) throws -> FixtureTruth {
        let eth = FixtureAsset.eth
        var b = AccountFixtureBuilder(asset: eth, start: 1_704_067_200, span: 30 * day, seed: seed)
        let exchanges = (1...3).map { BackgroundTraffic.Service(address: service(UInt64($0)), category: "exchange", name: "Exchange \($0) hot wallet", denomination: nil) }
        var background = BackgroundTraffic(count: count, asset: eth, start: b.start, span: b.span, seed: seed, exchanges: exchanges,
                                           pools: pools(eth, [(100, 0, "100"), (10, 0, "10")]))
        let transfers = try b.write(to: directory, background: &background)
        return try truth("random", seed: seed, scale: count, directory: directory, parts: [], files: [transfers], labels: b.labels,
                         notes: ["Background only: nothing is stolen."])
    }
}
