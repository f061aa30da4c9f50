/// What the clustering rules read of a Bitcoin transaction.
public struct ClusterTransaction: Sendable {
    public struct Output: Sendable {
        public var valueSats: Int64
        public var address: Int64
        public var scriptType: ScriptType
        public init(valueSats: Int64, address: Int64, scriptType: ScriptType) {
            self.valueSats = valueSats; self.address = address; self.scriptType = scriptType
        }
    }

    public var isCoinbase: Bool
    /// The address each input spends from, in input order; nil when the store does not know the spent output.
    public var inputAddresses: [Int64?]
    /// The script type of each input's spent output, in input order; nil when unknown.
    public var inputScriptTypes: [ScriptType?]
    public var outputs: [Output]

    public init(isCoinbase: Bool, inputAddresses: [Int64?], inputScriptTypes: [ScriptType?], outputs: [Output]) {
        self.isCoinbase = isCoinbase; self.inputAddresses = inputAddresses; self.inputScriptTypes = inputScriptTypes; self.outputs = outputs
    }

    /// Whether every input's address is known.
    public var hasAllInputAddresses: Bool { !inputAddresses.contains(nil) }

    /// The distinct known input addresses, in first-seen order.
    public var distinctInputAddresses: [Int64] {
        var seen = Set<Int64>()
        return inputAddresses.compactMap { $0 }.filter { seen.insert($0).inserted }
    }

    /// At most how many distinct addresses the inputs spend from: the known ones, each unknown input counted as
    /// another (so a rule that needs many distinct inputs errs towards calling the transaction a CoinJoin).
    var distinctInputAddressesAtMost: Int { distinctInputAddresses.count + inputAddresses.lazy.filter { $0 == nil }.count }
}

/// The shape of a CoinJoin that the multi-input heuristic must not merge.
public enum CoinJoinPattern: String, Sendable, Codable {
    /// BlockSci's and GraphSense's rule: (outputs + 1) / 2 participants, each with one output of the most frequent value.
    case equalOutputs = "equal-outputs"
    /// A Samourai Whirlpool mix: 5–8 inputs and as many outputs, all of one pool denomination.
    case whirlpool
    /// A Wasabi 1.x-style round: at least five outputs of one denomination, as many inputs and input addresses.
    case equalDenomination = "equal-denomination"
    /// A Wasabi 2.0-style round: many inputs and outputs, most outputs sharing their value with another output.
    case multiDenomination = "multi-denomination"
}

/// Recognises CoinJoin transactions, whose inputs belong to several owners.
///
/// The equal-outputs rule is the one BlockSci (`isCoinjoin`, Kalodner et al., USENIX Security 2020) and GraphSense
/// use: inputs ≥ 2, outputs ≥ 3, participants = (outputs + 1) / 2 ≤ inputs and ≤ distinct input addresses, the
/// most frequent output value (the lowest on ties) occurs exactly `participants` times, and it is not 546 or 2730 sat
/// (dust outputs of other protocols). Whirlpool and Wasabi rounds break that count, so they have rules of their
/// own. Unknown input addresses count as distinct, so a transaction is never merged on a partial view that a
/// CoinJoin rule would have caught.
public enum CoinJoinDetector {
    /// Output values that are protocol dust, never a CoinJoin denomination.
    public static let dustValues: Set<Int64> = [546, 2730]
    /// Whirlpool pool denominations (0.001, 0.01, 0.05 and 0.5 BTC).
    public static let whirlpoolDenominations: Set<Int64> = [100_000, 1_000_000, 5_000_000, 50_000_000]

    /// The CoinJoin pattern `tx` matches, if any.
    /// - Complexity: O(inputs + outputs).
    public static func pattern(of tx: ClusterTransaction) -> CoinJoinPattern? {
        let inputs = tx.inputAddresses.count, outputs = tx.outputs.count
        guard !tx.isCoinbase, inputs >= 2, outputs >= 2 else { return nil }
        var counts: [Int64: Int] = [:]
        for o in tx.outputs { counts[o.valueSats, default: 0] += 1 }
        // Most frequent value, the lowest on ties.
        var common: (value: Int64, count: Int) = (0, 0)
        for (value, count) in counts where count > common.count || (count == common.count && value < common.value) {
            common = (value, count)
        }
        let distinct = tx.distinctInputAddressesAtMost
        let isDust = dustValues.contains(common.value)
        if outputs >= 3 {
            let participants = (outputs + 1) / 2
            if participants <= inputs && participants <= distinct && common.count == participants && !isDust {
                return .equalOutputs
            }
        }
        if (5...8).contains(inputs), inputs == outputs, common.count == outputs, whirlpoolDenominations.contains(common.value) {
            return .whirlpool
        }
        if common.count >= 5, !isDust, inputs >= common.count, distinct >= common.count {
            return .equalDenomination
        }
        if inputs >= 20, outputs >= 20, distinct >= 10 {
            let shared = counts.values.reduce(0) { $0 + ($1 >= 2 ? $1 : 0) }
            if shared * 2 >= outputs { return .multiDenomination }
        }
        return nil
    }
}

/// The one-time change rule.
public enum ChangeDetector {
    /// Output values that are multiples of this (at most four decimals in BTC) count as round payments.
    public static let roundUnitSats: Int64 = 10_000

    /// The index of `tx`'s change output, when exactly one output qualifies: of the script type every input
    /// spends, not a round value, paying an address that no earlier transaction paid (`isNewAddress`) and that is
    /// not an input address. Needs every input's address and type, two or more outputs, and no output back to an
    /// input address (that output would be the change, and says nothing new).
    /// - Parameter isNewAddress: whether the output's address is first paid by this transaction; called only for
    ///   outputs that pass the other tests.
    public static func changeOutput(of tx: ClusterTransaction, isNewAddress: (Int) throws -> Bool) rethrows -> Int? {
        guard !tx.isCoinbase, tx.outputs.count >= 2, !tx.inputAddresses.isEmpty, tx.hasAllInputAddresses,
              let type = tx.inputScriptTypes.first ?? nil, !type.usesPseudoAddress,
              tx.inputScriptTypes.allSatisfy({ $0 == type }) else { return nil }
        let inputs = Set(tx.inputAddresses.compactMap { $0 })
        guard !tx.outputs.contains(where: { inputs.contains($0.address) }) else { return nil }
        var found: Int?
        for (i, o) in tx.outputs.enumerated() where o.scriptType == type && o.valueSats % roundUnitSats != 0 {
            guard try isNewAddress(i) else { continue }
            if found != nil { return nil }
            found = i
        }
        return found
    }
}

/// One movement of an account's native asset, as the deposit rule reads it.
public struct LedgerEntry: Sendable {
    public var block: Int64
    public var isOutflow: Bool
    public var counterparty: Int64
    public var amount: Int128
    /// A gas fee: an outflow that moves no value to anyone.
    public var isFee: Bool
    public var tx: String

    public init(block: Int64, isOutflow: Bool, counterparty: Int64, amount: Int128, isFee: Bool, tx: String) {
        self.block = block; self.isOutflow = isOutflow; self.counterparty = counterparty; self.amount = amount; self.isFee = isFee; self.tx = tx
    }
}

/// The Ethereum deposit-address rule (Victor, FC 2020): an address that forwards about all it receives to
/// exchange addresses, each forward within `maxBlocks` of a receipt, is a deposit address of that exchange.
public struct DepositRule: Sendable {
    /// How far received and forwarded may differ (gas fees and dust left behind), in base units.
    public var tolerance: Int128
    /// How many blocks a forward may follow the receipt before it.
    public var maxBlocks: Int64

    /// 0.01 ETH and 3,200 blocks, as in the paper.
    public init(tolerance: Int128 = 10_000_000_000_000_000, maxBlocks: Int64 = 3_200) {
        self.tolerance = tolerance; self.maxBlocks = maxBlocks
    }

    /// What the rule concludes about one address.
    public struct Finding: Sendable, Equatable {
        /// The exchange addresses it forwards to, the largest total first.
        public var exchanges: [Int64]
        /// Addresses that sent to it (not exchanges), each with the first transaction that did, in ledger order.
        public var senders: [(address: Int64, tx: String)]

        public static func == (a: Finding, b: Finding) -> Bool {
            a.exchanges == b.exchanges && a.senders.map(\.address) == b.senders.map(\.address) && a.senders.map(\.tx) == b.senders.map(\.tx)
        }
    }

    /// Whether the address whose native-asset `ledger` this is (ordered by block, then position) is a deposit address.
    /// - Parameters:
    ///   - isExchange: whether an address is labelled as an exchange.
    ///   - isSender: whether an inflow's counterparty can be a user (not a chain pseudo-address such as a reward).
    /// - Complexity: O(entries).
    public func evaluate(_ ledger: [LedgerEntry], isExchange: (Int64) -> Bool, isSender: (Int64) -> Bool) -> Finding? {
        var received: Int128 = 0, forwarded: Int128 = 0
        var lastInflowBlock: Int64?
        var toExchange: [Int64: Int128] = [:]
        var senders: [(address: Int64, tx: String)] = []
        var seenSenders = Set<Int64>()
        for e in ledger {
            if !e.isOutflow {
                received += e.amount
                lastInflowBlock = e.block
                if isSender(e.counterparty) && !isExchange(e.counterparty) && seenSenders.insert(e.counterparty).inserted {
                    senders.append((e.counterparty, e.tx))
                }
            } else if !e.isFee {
                guard isExchange(e.counterparty), let inflow = lastInflowBlock, e.block - inflow <= maxBlocks else { return nil }
                forwarded += e.amount
                toExchange[e.counterparty, default: 0] += e.amount
            }
        }
        guard received > 0, forwarded > 0, abs(received - forwarded) <= tolerance else { return nil }
        let exchanges = toExchange.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        return Finding(exchanges: exchanges, senders: senders)
    }
}
