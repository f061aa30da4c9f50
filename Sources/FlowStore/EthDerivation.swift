import CSQLite
import CPrefetch
import FlowCore

/// A fixed-width hex value as the derivation reads it from the store: packed when the text is in its plain form
/// (nearly every hash and address), else the text (rewards' and withdrawals' ids, pseudo-addresses). Packed values
/// make no string on the derivation's thread and none for the writer to copy and free; a given text is always the
/// same key, so keys compare as their texts do.
enum PackedOrText<Value: EthPlainHexValue & Hashable>: Hashable, CustomStringConvertible {
    case packed(Value)
    case text(String)

    init(_ text: String) { self = Value(plain: text).map { .packed($0) } ?? .text(text) }

    /// The text column `col` of `s`'s row (not NULL).
    init(_ s: Statement, _ col: Int32) {
        if let v = s.withTextBytes(col, { Value(plain: $0) }) { self = .packed(v) } else { self = .text(s.text(col)) }
    }

    var description: String {
        switch self {
        case .packed(let v): return v.text
        case .text(let t): return t
        }
    }
}

typealias EthTxKey = PackedOrText<EthHash32>
typealias EthAddressKey = PackedOrText<EthAddress20>

/// One transfer a block's stored records imply, before its addresses and asset are interned.
struct EthDerivedTransfer {
    /// The token contract, or nil for ETH.
    var token: EthAddressKey?
    var from: EthAddressKey
    var to: EthAddressKey
    var amount: UInt256
    var tx: EthTxKey
    var index: Int64
    var kind: String
    var what: What

    /// What the transfer is, for an error about it.
    enum What: CustomStringConvertible {
        case value, fee, internalTransfer, reward, withdrawal, token(log: Int64)
        case explorerValue, explorerFee, explorerInternal, explorerToken

        var description: String {
            switch self {
            case .value: return "the value of the transaction"
            case .fee: return "the gas fee"
            case .internalTransfer: return "an internal transfer"
            case .reward: return "a reward"
            case .withdrawal: return "a withdrawal"
            case .token(let log): return "the token transfer at log \(log)"
            case .explorerValue: return "the value of the transaction (explorer)"
            case .explorerFee: return "the gas fee (explorer)"
            case .explorerInternal: return "an internal transfer (explorer)"
            case .explorerToken: return "a token transfer (explorer)"
            }
        }
    }
}

/// The transfers of one block, as its stored records imply them.
struct EthBlockDerivation {
    var block: Int64
    /// The block's time; nil when the store does not know it yet (then nothing is derived).
    var time: Int64?
    var transfers: [EthDerivedTransfer] = []
    /// Transactions with value whose outcome is not known (no receipt, no trace), so they moved nothing.
    var unknownStatus = 0
    /// Each transfer's address ids (same order), when given on the derivation's thread (``DerivedAddressIDs``);
    /// nil when the writer interns them.
    var ids: [(from: Int64, to: Int64)]?
    /// The addresses first seen in this block, with the ids given them, for the writer to add before the transfers.
    var newAddresses: [(id: Int64, address: String)] = []

    /// Gives every transfer's addresses their ids from `ids`, and notes the addresses new to the store; leaves them
    /// to the writer when `ids` is full (then for every later block too). The table's slots of the addresses a few
    /// transfers ahead are fetched into the cache while the current ones are looked up.
    mutating func resolve(with ids: DerivedAddressIDs) {
        guard ids.reserve(transfers.count * 2) else { return }
        var new: [(id: Int64, address: String)] = []
        var given: [(from: Int64, to: Int64)] = []
        given.reserveCapacity(transfers.count)
        let ahead = 8
        for i in transfers.indices {
            if i + ahead < transfers.count { ids.prefetch(transfers[i + ahead].from); ids.prefetch(transfers[i + ahead].to) }
            given.append((ids.id(of: transfers[i].from, new: &new), ids.id(of: transfers[i].to, new: &new)))
        }
        self.ids = given
        newAddresses = new
    }
}

/// Address ids given on the derivation's thread, so that the writer only writes: the ids of the addresses stored
/// when the derivation starts (read once: looking each new address up would take and release the file's lock every
/// time), and the next free ids, in order, for the new ones. Only for a store no other writer can add addresses to
/// meanwhile — one being built aside — and only while the one writer adds the new addresses with the ids given here,
/// in order. Holds every address it has seen, up to `capacity`; past that it gives no more ids, and the writer interns
/// the addresses of the remaining blocks itself (its own connection sees the rows it added).
///
/// Plain addresses (`0x` and 40 lower-case hex digits: nearly all) are held packed in an open-addressing table keyed
/// by their digits, which are random enough to hash by multiplying; others (the chain's pseudo-addresses) by text.
final class DerivedAddressIDs {
    private var plain = PlainAddressTable()
    private var other: [String: Int64] = [:]
    private var next: Int64 = 1
    private let capacity: Int
    private var full = false
    private var count: Int { plain.count + other.count }

    init(db: Database, capacity: Int = 8_000_000) throws {
        self.capacity = capacity
        let all = try db.prepare("SELECT id, address FROM addresses")
        while try all.step() {
            let id = all.int(0)
            if let a = all.withTextBytes(1, { EthAddress20(plain: $0) }) { plain.insert(a, id: id) } else { other[all.text(1)] = id }
            next = max(next, id + 1)
        }
        full = count > capacity
    }

    /// Whether `count` more addresses fit; once one block's do not, no later block's do either.
    func reserve(_ more: Int) -> Bool {
        if !full && count + more > capacity { full = true }
        return !full
    }

    /// The id of `address`; a new address gets the next free id and is appended to `new`.
    func id(of address: EthAddressKey, new: inout [(id: Int64, address: String)]) -> Int64 {
        let known: Int64?
        switch address {
        case .packed(let a): known = plain.id(of: a)
        case .text(let text): known = other[text]
        }
        if let known { return known }
        let id = next
        next += 1
        new.append((id, address.description))
        switch address {
        case .packed(let a): plain.insert(a, id: id)
        case .text(let text): other[text] = id
        }
        return id
    }

    /// Starts fetching the table slot of `address` into the cache (a hint: nothing else happens).
    @inline(__always) func prefetch(_ address: EthAddressKey) {
        if case .packed(let a) = address { plain.prefetch(a) }
    }
}

/// Ids of packed addresses: open addressing with linear probing, at most half full, an id of 0 marking a free slot
/// (store ids start at 1).
struct PlainAddressTable {
    /// An address and its id side by side: a lookup reads one cache line (the table is larger than the caches).
    private struct Slot {
        var w0: UInt64, w1: UInt64, id: Int64, w2: UInt32
        static let free = Slot(w0: 0, w1: 0, id: 0, w2: 0)
        @inline(__always) func holds(_ a: EthAddress20) -> Bool { w0 == a.w0 && w1 == a.w1 && w2 == a.w2 }
    }
    private var slots: [Slot] = []
    private var mask = 0
    private(set) var count = 0

    init() { grow(to: 1 << 16) }

    @inline(__always) private func slot(_ a: EthAddress20) -> Int {
        // The digits of an address are a hash's: mixing two words by a multiply spreads them over the table.
        Int(truncatingIfNeeded: ((a.w0 ^ (a.w1 << 29 | a.w1 >> 35) ^ UInt64(a.w2)) &* 0x9E37_79B9_7F4A_7C15) >> 17) & mask
    }

    /// Starts fetching `a`'s first slot into the cache.
    @inline(__always) func prefetch(_ a: EthAddress20) {
        slots.withUnsafeBufferPointer { flowtrace_prefetch_read($0.baseAddress! + slot(a)) }
    }

    func id(of a: EthAddress20) -> Int64? {
        slots.withUnsafeBufferPointer { s in
            var i = slot(a)
            while true {
                let e = s[i]
                if e.id == 0 { return nil }
                if e.holds(a) { return e.id }
                i = (i + 1) & mask
            }
        }
    }

    /// Adds `a` (not held yet) with `id` (> 0).
    mutating func insert(_ a: EthAddress20, id: Int64) {
        if (count + 1) * 2 > slots.count { grow(to: slots.count * 2) }
        var i = slot(a)
        let mask = self.mask
        slots.withUnsafeMutableBufferPointer { s in
            while s[i].id != 0 { i = (i + 1) & mask }
            s[i] = Slot(w0: a.w0, w1: a.w1, id: id, w2: a.w2)
        }
        count += 1
    }

    private mutating func grow(to size: Int) {
        let old = slots
        slots = Array(repeating: .free, count: size)
        mask = size - 1
        count = 0
        for e in old where e.id != 0 { insert(EthAddress20(w0: e.w0, w1: e.w1, w2: e.w2), id: e.id) }
    }
}

/// Reads a block's records from the `eth_*` tables and works out its transfers (the semantics are in
/// ``EthWriter``'s documentation). Only reads: it may use a connection of its own, on another thread than the
/// writer's.
final class EthDerivationReader {
    let db: Database
    let chain: String
    /// Where gas fees go: the chain's fee sink pseudo-address.
    private let feeSink: EthAddressKey
    private let findBlock, blockTxs, blockTraces, blockTokens, blockWithdrawals, blockExplorer: Statement

    init(db: Database, chain: String) throws {
        self.db = db
        self.chain = chain
        feeSink = .text("\(chain):fees")
        findBlock = try db.prepare("SELECT hash, time FROM eth_blocks WHERE chain = ?1 AND number = ?2")
        blockTxs = try db.prepare("""
            SELECT hash, tx_index, from_address, to_address, value, gas, gas_price, has_receipt, status, gas_used,
                effective_gas_price, contract_address FROM eth_transactions WHERE chain = ?1 AND block = ?2
            """)
        blockTraces = try db.prepare("""
            SELECT tx_index, trace_address, trace_type, tx_hash, call_type, reward_type, from_address, to_address, value, status, seq
            FROM eth_traces WHERE chain = ?1 AND block = ?2
            """)
        blockTokens = try db.prepare("""
            SELECT tx_hash, log_index, token, from_address, to_address, value, fungible FROM eth_token_transfers
            WHERE chain = ?1 AND block = ?2 ORDER BY log_index
            """)
        blockWithdrawals = try db.prepare(
            "SELECT idx, address, amount_gwei FROM eth_withdrawals INDEXED BY eth_withdrawals_block WHERE chain = ?1 AND block = ?2 ORDER BY idx")
        blockExplorer = try db.prepare("""
            SELECT tx_hash, movement, token, from_address, to_address, value, fee, status FROM eth_explorer_transfers
            WHERE chain = ?1 AND block = ?2 ORDER BY tx_hash, movement, key
            """)
        for s in [findBlock, blockTxs, blockTraces, blockTokens, blockWithdrawals, blockExplorer] { s.bind(1, chain) }
    }

    /// The address in text column `col`, nil when NULL.
    private func address(_ s: Statement, _ col: Int32) -> EthAddressKey? {
        let packed: EthAddress20?? = s.withOptionalTextBytes(col) { b in b.map { EthAddress20(plain: $0) } }
        switch packed {
        case nil: return nil
        case let a??: return .packed(a)
        case .some(nil): return .text(s.text(col))
        }
    }

    /// A quantity column: an INTEGER, or the decimal text of a value beyond 64 bits; nil when NULL.
    private func quantity(_ s: Statement, _ col: Int32) -> UInt256? {
        switch s.type(col) {
        case SQLITE_NULL: return nil
        case SQLITE_INTEGER: return UInt256(exactly: Int128(s.int(col)))
        default: return s.withTextBytes(col) { UInt256(decimalDigits: $0) }
        }
    }

    /// Steps `s` (bound to `block`) through its rows, then rewinds it.
    private func rows(_ s: Statement, block: Int64, _ body: (Statement) throws -> Void) throws {
        s.rewind()
        s.bind(2, block)
        defer { s.rewind() }
        while try s.step() { try body(s) }
    }

    /// The transfers of `block`.
    func derive(block: Int64) throws -> EthBlockDerivation {
        var out = EthBlockDerivation(block: block)
        try rows(findBlock, block: block) { out.time = $0.optionalInt(1) }
        guard out.time != nil else { return out }
        func add(_ token: EthAddressKey?, _ from: EthAddressKey, _ to: EthAddressKey, _ amount: UInt256, _ tx: EthTxKey, _ index: Int64,
                 _ kind: String, _ what: EthDerivedTransfer.What) {
            out.transfers.append(EthDerivedTransfer(token: token, from: from, to: to, amount: amount, tx: tx, index: index, kind: kind, what: what))
        }

        // Traces first: they settle pre-Byzantium statuses and give the internal transfers.
        struct Trace { var txIndex: Int64; var address: [Int]; var type: String; var txHash: EthTxKey?; var callType: String?
                       var rewardType: String?; var from: EthAddressKey?; var to: EthAddressKey?; var value: UInt256; var status: Int64
                       var seq: Int64 }
        var traces: [Trace] = []
        try rows(blockTraces, block: block) { s in
            traces.append(Trace(txIndex: s.int(0), address: s.text(1).split(separator: ",").compactMap { Int($0) }, type: s.text(2),
                                txHash: s.isNull(3) ? nil : EthTxKey(s, 3), callType: s.optionalText(4), rewardType: s.optionalText(5),
                                from: address(s, 6), to: address(s, 7), value: quantity(s, 8) ?? .zero, status: s.int(9), seq: s.int(10)))
        }
        var topStatus: [Int64: Int64] = [:]
        for t in traces where t.txIndex >= 0 && t.address.isEmpty { topStatus[t.txIndex] = t.status }

        var txHashByIndex: [Int64: EthTxKey] = [:]
        try rows(blockTxs, block: block) { s in
            let hash = EthTxKey(s, 0)
            let index = s.optionalInt(1)
            if let index { txHashByIndex[index] = hash }
            guard let from = address(s, 2) else { return }  // a receipt whose transaction is not stored yet
            let value = quantity(s, 4) ?? .zero, gas = s.optionalInt(5), gasPrice = quantity(s, 6)
            let hasReceipt = s.int(7) == 1, gasUsed = s.optionalInt(9), effective = quantity(s, 10)
            var status = s.optionalInt(8) ?? index.flatMap { topStatus[$0] }
            if status == nil, hasReceipt, let gasUsed, let gas, gasUsed < gas { status = 1 }
            if !value.isZero {
                if status == 1 {
                    if let to = address(s, 3) ?? address(s, 11) { add(nil, from, to, value, hash, -1, "native", .value) }
                } else if status == nil {
                    out.unknownStatus += 1
                }
            }
            if hasReceipt, let gasUsed, let price = effective ?? gasPrice, let p = price.int128 {
                let fee = Int128(gasUsed) * p
                if fee > 0 { add(nil, from, feeSink, UInt256(exactly: fee)!, hash, -2, "fee", .fee) }
            }
        }

        // Internal transfers, numbered per transaction in trace order; block-level rewards.
        let ordered = traces.filter { $0.txIndex >= 0 && !$0.address.isEmpty }.sorted {
            $0.txIndex != $1.txIndex ? $0.txIndex < $1.txIndex : $0.address.lexicographicallyPrecedes($1.address)
        }
        var ordinal: [Int64: Int64] = [:]
        for t in ordered {
            let n = ordinal[t.txIndex, default: 0]
            ordinal[t.txIndex] = n + 1
            guard EthRecord.isInternalTransfer(type: t.type, callType: t.callType, status: t.status, value: t.value,
                                               traceAddress: t.address.map(String.init)),
                  let from = t.from, let to = t.to, let tx = t.txHash ?? txHashByIndex[t.txIndex] else { continue }
            add(nil, from, to, t.value, tx, -(10 + n), "internal", .internalTransfer)
        }
        for t in traces where t.txIndex < 0 && t.type == "reward" {
            guard let to = t.to, !t.value.isZero else { continue }
            add(nil, .text("\(chain):\(t.rewardType ?? "block")-reward"), to, t.value, .text("reward_\(block)_\(t.seq)"), 0, "reward",
                .reward)
        }

        try rows(blockWithdrawals, block: block) { s in
            let idx = s.int(0), gwei = s.int(2)
            if gwei > 0 {
                add(nil, .text("\(chain):withdrawals"), EthAddressKey(s, 1), UInt256(exactly: Int128(gwei) * 1_000_000_000)!,
                    .text("withdrawal_\(idx)"), 0, "withdrawal", .withdrawal)
            }
        }

        var tokenTxs: [EthTxKey] = []
        try rows(blockTokens, block: block) { s in
            let tx = EthTxKey(s, 0)
            tokenTxs.append(tx)
            guard s.int(6) == 1, let value = quantity(s, 5), !value.isZero else { return }
            let index = s.int(1)
            add(EthAddressKey(s, 2), EthAddressKey(s, 3), EthAddressKey(s, 4), value, tx, index, "token", .token(log: index))
        }

        // Explorer-listed movements stand in for node or ETL data the store lacks for a transaction, kind by kind:
        // a transaction's value and fee when the transaction itself is not stored, internal transfers when it
        // has no traces, token transfers when it has no Transfer logs. Never both for the same transaction.
        var explorer: [(tx: String, movement: String, token: String?, from: String, to: String, value: UInt256, fee: UInt256?, status: Int64)] = []
        try rows(blockExplorer, block: block) { s in
            explorer.append((s.text(0), s.text(1), s.optionalText(2), s.text(3), s.text(4), quantity(s, 5) ?? .zero, quantity(s, 6), s.int(7)))
        }
        guard !explorer.isEmpty else { return out }
        let storedTxs = Set(txHashByIndex.values)
        let tracedTxs = Set(traces.compactMap { t in t.txIndex >= 0 ? t.txHash ?? txHashByIndex[t.txIndex] : nil })
        let loggedTxs = Set(tokenTxs)
        var explorerOrdinal: [String: Int64] = [:]
        for e in explorer {
            let n = explorerOrdinal[e.tx + "|" + e.movement, default: 0]
            explorerOrdinal[e.tx + "|" + e.movement] = n + 1
            let tx = EthTxKey(e.tx), from = EthAddressKey(e.from), to = EthAddressKey(e.to)
            switch e.movement {
            case "native" where !storedTxs.contains(tx):
                if e.status == 1 && !e.value.isZero { add(nil, from, to, e.value, tx, -1, "native", .explorerValue) }
                if let fee = e.fee, !fee.isZero { add(nil, from, feeSink, fee, tx, -2, "fee", .explorerFee) }
            case "internal" where !tracedTxs.contains(tx) && e.status == 1 && !e.value.isZero:
                add(nil, from, to, e.value, tx, -(100_000 + n), "internal", .explorerInternal)
            case "token" where !loggedTxs.contains(tx) && e.status == 1 && !e.value.isZero:
                guard let token = e.token else { continue }
                add(EthAddressKey(token), from, to, e.value, tx, -(200_000 + n), "token", .explorerToken)
            default:
                break  // nft movements, and kinds the store has node or ETL data for
            }
        }
        return out
    }
}
