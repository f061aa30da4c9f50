import FlowCore

extension Scenario {
    /// A Bitcoin part of a case: its truth and labels.
    struct BitcoinPart { var part: FixtureTruth.Part; var labels: [FixtureLabel] }

    static func sats(_ whole: Int64, hundredths: Int64 = 0) -> Int64 { BitcoinFixtureBuilder.sats(whole, hundredths: hundredths) }

    /// The background's services of a Bitcoin case, indexed as the scenarios use them.
    static func bitcoinServices(_ names: [(String, String)]) -> [BackgroundTraffic.Service] {
        names.enumerated().map { i, n in .init(address: service(40 + UInt64(i)), category: n.1, name: n.0, denomination: nil) }
    }

    /// DMM Bitcoin, 31 May 2024: 4,502.9 BTC left the exchange's wallet in one transaction. The thief split it
    /// into nine 499-BTC peel chains (plus 11.9 BTC left in a wallet); each chain peels ~285, ~122 and ~53 BTC to
    /// a custodial mixer, exchanges and an OTC desk, so ~39 BTC remain after the third hop. Three tails go through
    /// CoinJoin rounds and then a bridge, three go straight to the bridge (locked on Bitcoin with an OP_RETURN
    /// naming the Ethereum recipient; WBTC minted there and cashed out), three peel on to exchanges.
    static func dmm(seed: UInt64, count: Int, directory: String) throws -> FixtureTruth {
        let start: Int64 = 1_717_027_200  // 2024-05-30T00:00:00Z
        var b = BitcoinFixtureBuilder(start: start, firstHeight: 846_500, seed: seed)
        let services = bitcoinServices([("Exchange A hot wallet", "exchange"), ("Exchange B hot wallet", "exchange"),
                                        ("OTC desk (Huione-style)", "exchange"), ("custodial mixer", "mixer")])
        let (exchangeA, exchangeB, otc, mixer) = (0, 1, 2, 3)
        let victim = service(1), vault = service(30), coordinator = service(31)
        b.label(victim, "exchange", "DMM Bitcoin hot wallet")
        b.label(vault, "bridge", "BTC bridge vault (lock for WBTC on Ethereum)")
        b.label(coordinator, "mixer", "CoinJoin coordinator")

        let funds = (0..<4).map { _ in b.fund(victim, sats(1_200)) }
        let stolen = sats(4_502, hundredths: 90)
        let fee1: Int64 = 3_000
        let theft = b.transaction(in: 170, spending: funds, to: [.pay(thief(1), stolen), .pay(victim, sats(4_800) - stolen - fee1)])[0]
        let heads = (0..<9).map { thief(100 + UInt64($0)) }
        let splitFee = BitcoinBackground.fee(inputs: 1, outputs: 10)
        let leftover = thief(2)
        var outputs: [BitcoinFixtureOutput] = heads.map { .pay($0, sats(499)) }
        outputs.append(.pay(leftover, stolen - 9 * sats(499) - splitFee))
        let split = b.transaction(in: 172, spending: [theft], to: outputs)
        b.creditFee(splitFee)
        b.credit("thief wallet (unspent)", "unlabelled", leftover, split[9].sats)

        var links: [FixtureTruth.BridgeLink] = []
        var mints: [(amount: Int64, to: UInt64, time: Int64, identifier: String, lock: FixtureCoin)] = []
        /// Pays `coin` less fee to the bridge vault with an OP_RETURN naming the Ethereum recipient.
        func bridge(_ inputs: [FixtureCoin], in block: Int, chain i: Int) {
            let fee = BitcoinBackground.fee(inputs: inputs.count, outputs: 2)
            let amount = inputs.reduce(Int64(0)) { $0 + $1.sats } - fee
            let recipient = AccountFixtureBuilder.address(thieves, 200 + UInt64(i))
            var id = SplitMix64(state: (seed &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(i + 1) << 40) ^ 0xB41D_6E00)
            var identifier: [UInt8] = []
            Bytes.appendHex(id.next(), digits: 16, to: &identifier)
            let memo = Array("MINT:ETH:".utf8) + Array(AccountFixtureBuilder.addressText(recipient).utf8) + [58] + identifier
            let lock = b.transaction(in: block, spending: inputs, to: [.pay(vault, amount), .data(memo)])[0]
            b.creditFee(fee)
            b.credit("BTC bridge vault (lock for WBTC on Ethereum)", "bridge", vault, amount)
            mints.append((amount, recipient, start + Int64(block) * 600 + 1_800, String(decoding: identifier, as: UTF8.self), lock))
        }
        /// Pays `peel` of `coin` to `owner`'s deposit address at service `s` and the rest (less fee) to `next`.
        func peel(_ coin: FixtureCoin, _ amount: Int64, to s: Int, owner: UInt64, next: UInt64, in block: Int) -> FixtureCoin {
            let fee = BitcoinBackground.fee(inputs: 1, outputs: 2)
            let deposit = BitcoinBackground.depositAddress(service: s, owner: 1 << 30 | owner)
            let made = b.transaction(in: block, spending: [coin], to: [.pay(deposit, amount), .pay(next, coin.sats - amount - fee)], deposits: [(0, s)])
            b.creditFee(fee)
            b.credit(services[s].name, services[s].category, services[s].address, amount)
            return made[1]
        }
        func jitter(_ whole: Int64, _ spread: Int) -> Int64 { sats(whole) + Int64(b.random.below(2 * spread + 1) - spread) * 1_000_000 }

        for i in 0..<9 {
            let s0 = 174 + 2 * i
            var coin = split[i]
            let owner = UInt64(i) * 16
            // Three big peels: ~285, ~122 and ~53 BTC, leaving ~39 BTC.
            coin = peel(coin, jitter(285, 200), to: i < 3 ? mixer : [exchangeA, otc][i % 2], owner: owner + 1, next: thief(300 + UInt64(i) * 16), in: s0)
            coin = peel(coin, jitter(122, 100), to: [exchangeA, exchangeB, otc][i % 3], owner: owner + 2, next: thief(301 + UInt64(i) * 16), in: s0 + 3)
            coin = peel(coin, jitter(53, 50), to: [exchangeB, otc, exchangeA][i % 3], owner: owner + 3, next: thief(302 + UInt64(i) * 16), in: s0 + 6)
            switch i {
            case 0..<3:
                // A CoinJoin round with 20 background users (1-BTC denominations), then everything to the bridge.
                let share = b.coinJoin(in: s0 + 9, party: [coin], partyAddress: thief(1_000 + UInt64(i) * 100), participants: 20,
                                       denomination: sats(1), coordinator: coordinator, feeBasisPoints: 30, feeShare: 5_000)
                b.credit("CoinJoin coordinator", "mixer", coordinator, share.coordinatorFee)
                b.creditFee(share.miningFee)
                bridge(share.coins, in: s0 + 12, chain: i)
            case 3..<6:
                bridge([coin], in: s0 + 9, chain: i)
            default:
                // A small peel chain to the exchanges; the last ~9 BTC to the OTC desk.
                for k in 0..<3 {
                    coin = peel(coin, jitter(10, 150), to: [exchangeA, exchangeB][k % 2], owner: owner + 4 + UInt64(k),
                                next: thief(303 + UInt64(i) * 16 + UInt64(k)), in: s0 + 9 + 3 * k)
                }
                let fee = BitcoinBackground.fee(inputs: 1, outputs: 1)
                let deposit = BitcoinBackground.depositAddress(service: otc, owner: 1 << 30 | (owner + 8))
                b.transaction(in: s0 + 18, spending: [coin], to: [.pay(deposit, coin.sats - fee)], deposits: [(0, otc)])
                b.creditFee(fee)
                b.credit(services[otc].name, "exchange", services[otc].address, coin.sats - fee)
            }
        }
        var background = BitcoinBackground(count: count, blocks: 432, seed: seed, services: services)
        let transactions = try b.write(to: directory, background: &background)
        let bitcoin = b.part(name: "BTC", seeds: [theft])

        // The Ethereum side of the bridge: WBTC minted to the thief (bridge fee 0.1%), then cashed out.
        let wbtc = FixtureAsset(symbol: "WBTC", decimals: 8, chain: "ethereum")
        var e = AccountFixtureBuilder(asset: wbtc, start: start, span: 3 * day, seed: seed)
        let minter = service(32)
        e.label(minter, "bridge", "WBTC bridge minter")
        let exchangeE = BackgroundTraffic.Service(address: service(33), category: "exchange", name: "Exchange E hot wallet (Ethereum)", denomination: nil)
        let instant = BackgroundTraffic.Service(address: service(34), category: "exchange", name: "instant exchange (Ethereum)", denomination: nil)
        var mintTxs: [UInt64] = []
        for m in mints {
            let minted = Int128(m.amount) - Int128(m.amount) * 10 / 10_000
            let tx = e.transfer(minter, m.to, minted, at: m.time)
            mintTxs.append(tx)
            links.append(.init(identifier: m.identifier, fromChain: "bitcoin", lock: m.lock.outpoint, locked: String(m.amount), toChain: "ethereum",
                               mintTx: AccountFixtureBuilder.txText(tx), mintedTo: AccountFixtureBuilder.addressText(m.to), minted: String(minted),
                               asset: "WBTC"))
            let half = minted / 2
            e.transfer(m.to, exchangeE.address, half, at: m.time + 3_600)
            e.credit(exchangeE.name, "exchange", exchangeE.address, half)
            e.transfer(m.to, instant.address, minted - half, at: m.time + 5_400)
            e.credit(instant.name, "exchange", instant.address, minted - half)
        }
        var ethBackground = BackgroundTraffic(count: count / 2, asset: wbtc, start: start, span: 3 * day, seed: seed, exchanges: [exchangeE, instant], pools: [])
        let transfers = try e.write(to: directory, background: &ethBackground)
        return try truth("dmm", seed: seed, scale: count, directory: directory,
                         parts: [bitcoin, e.part(name: "WBTC minted by the bridge", seedTransactions: mintTxs)],
                         files: [transactions, transfers], labels: b.labels + e.labels, bridges: links, notes: [
                             "Coins that exist before the fixture starts are outputs of block 0's opening coinbase; blocks are 600 s apart from 2024-05-30T00:00:00Z.",
                             "A deposit to a service's deposit address is credited whole to the service, whose wallet sweeps it every six blocks.",
                             "CoinJoin: the thief's share of the coordinator fee and of the mining fee is credited to them; what the thief takes out goes on to the bridge.",
                             "The bridge links a lock (bitcoin output to the vault plus OP_RETURN 'MINT:ETH:<recipient>:<identifier>') to a WBTC mint on Ethereum (bridge-links in truth.json); a trace picks the funds up again from the mint.",
                             "The Ethereum side carries \(count / 2) background transfers.",
                         ])
    }

    /// Crypto.com, 17 January 2022, the BTC part: 443.93 BTC paid out of the hot wallet to the thief in twelve
    /// withdrawals, consolidated, and sent to a custodial mixer as 4 × 67.75 BTC and then the rest.
    static func cryptocomBitcoin(seed: UInt64, count: Int, directory: String) throws -> (BitcoinPart, FixtureTruth.File) {
        let start: Int64 = 1_642_291_200  // 2022-01-16T00:00:00Z
        var b = BitcoinFixtureBuilder(start: start, firstHeight: 718_800, seed: seed)
        let services = bitcoinServices([("Exchange B hot wallet (BTC)", "exchange"), ("custodial mixer", "mixer")])
        let mixer = 1
        let hot = service(3)
        b.label(hot, "exchange", "Crypto.com BTC hot wallet")
        let funds = (0..<3).map { _ in b.fund(hot, sats(200)) }
        let stolen = sats(443, hundredths: 93)
        var parts: [Int64] = []
        var left = stolen
        for k in 0..<12 {
            let part = k == 11 ? left : sats(20) + Int64(b.random.below(2_000)) * 1_000_000
            parts.append(part); left -= part
        }
        let fee0: Int64 = 9_000
        var outputs: [BitcoinFixtureOutput] = parts.enumerated().map { .pay(thief(500 + UInt64($0.offset)), $0.element) }
        outputs.append(.pay(hot, sats(600) - stolen - fee0))
        let thefts = Array(b.transaction(in: 150, spending: funds, to: outputs).prefix(12))
        let consolidationFee = BitcoinBackground.fee(inputs: 12, outputs: 1)
        var coin = b.transaction(in: 153, spending: thefts, to: [.pay(thief(520), stolen - consolidationFee)])[0]
        b.creditFee(consolidationFee)
        for k in 0..<4 {
            let fee = BitcoinBackground.fee(inputs: 1, outputs: 2)
            let deposit = BitcoinBackground.depositAddress(service: mixer, owner: 1 << 30 | UInt64(k))
            coin = b.transaction(in: 155 + 3 * k, spending: [coin], to: [.pay(deposit, sats(67, hundredths: 75)), .pay(thief(521 + UInt64(k)), coin.sats - sats(67, hundredths: 75) - fee)],
                                 deposits: [(0, mixer)])[1]
            b.creditFee(fee)
            b.credit(services[mixer].name, "mixer", services[mixer].address, sats(67, hundredths: 75))
        }
        let fee = BitcoinBackground.fee(inputs: 1, outputs: 1)
        let deposit = BitcoinBackground.depositAddress(service: mixer, owner: 1 << 30 | 4)
        b.transaction(in: 168, spending: [coin], to: [.pay(deposit, coin.sats - fee)], deposits: [(0, mixer)])
        b.creditFee(fee)
        b.credit(services[mixer].name, "mixer", services[mixer].address, coin.sats - fee)
        var background = BitcoinBackground(count: count, blocks: 288, seed: seed, services: services)
        let file = try b.write(to: directory, background: &background)
        return (BitcoinPart(part: b.part(name: "BTC", seeds: thefts), labels: b.labels), file)
    }
}
