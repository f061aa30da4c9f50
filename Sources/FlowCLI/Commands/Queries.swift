import ArgumentParser
import FlowCore
import FlowStore
import Foundation

/// Opens an existing store for reading, or fails with "missing input".
func openStoreForReading(_ path: String) throws -> Store {
    guard FileManager.default.fileExists(atPath: path) else {
        throw CLIFailure(message: "\(path): no store at this path (run `flowtrace ingest … --db \(path)` first)",
                         exitCode: ExitStatus.noInput)
    }
    return try Store(path: path, readOnly: true)
}

/// Refuses a store whose Ethereum transfers are incomplete: an ingest stored records and was stopped before it
/// derived their transfers. Tracing it would silently miss value.
func requireDerivedTransfers(_ store: Store, db: String) throws {
    let pending = try EthWriter.pendingBlocks(store: store)
    guard pending == 0 else {
        throw CLIFailure(message: "\(db): \(pending) Ethereum blocks have stored records whose transfers are not derived yet (an ingest "
                         + "was stopped before it finished); run `flowtrace ingest eth-etl --db \(db)` (no files needed) to derive them",
                         exitCode: ExitStatus.dataError)
    }
}

/// `flowtrace stats --db PATH`
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what the store holds.")

    @Option(help: "Path of the store.") var db: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try withExitCodes {
            let s = try openStoreForReading(db).stats()
            if output.isJSON { Console.current.out(try jsonText(s)); return }
            var lines: [String] = []
            func row(_ k: String, _ v: String) { lines.append(k.padding(toLength: 28, withPad: " ", startingAt: 0) + v) }
            row("chains", s.chains.isEmpty ? "-" : s.chains.joined(separator: ", "))
            row("blocks", "\(s.blocks) (\(s.completeBlocks) complete)")
            row("heights", s.minHeight.map { "\($0)…\(s.maxHeight ?? $0)" } ?? "-")
            row("blocks without height", "\(s.blocksWithoutHeight)")
            row("transactions", "\(s.transactions)")
            row("transactions, fee unknown", "\(s.transactionsWithUnknownFee)")
            row("outputs", "\(s.outputs)")
            row("inputs", "\(s.inputs)")
            row("unresolved inputs", "\(s.unresolvedInputs)")
            row("addresses", "\(s.addresses)")
            row("transfers (account model)", "\(s.transfers) in \(s.assets) assets")
            row("sources ingested", "\(s.sources)")
            Console.current.out(lines.joined(separator: "\n") + "\n")
        }
    }
}

/// `flowtrace tx TXID --db PATH`
struct Tx: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a transaction: inputs, outputs, fee, spenders.")

    @Argument(help: "Transaction id (64 hex digits, display order).") var txid: String
    @Option(help: "Path of the store.") var db: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try withExitCodes {
            guard let hash = Hash256(displayHex: txid) else {
                throw CLIFailure(message: "'\(txid)' is not a transaction id (64 hex digits)", exitCode: ExitStatus.dataError)
            }
            guard let t = try openStoreForReading(db).transaction(txid: hash) else {
                throw CLIFailure(message: "transaction \(txid) is not in the store", exitCode: 1)
            }
            if output.isJSON { Console.current.out(try jsonText(t)); return }
            let btc = { (s: String?) in s.flatMap { Int128($0) }.map { Amount(baseUnits: $0).formatted(decimals: 8) + " BTC" } ?? "unknown" }
            var text = "transaction \(t.txid)\n"
            text += "  block      \(t.blockHeight.map(String.init) ?? "?") \(t.blockHash ?? "(unconfirmed)")\n"
            text += "  time       \(t.time ?? "-")\n"
            text += "  fee        \(t.isCoinbase ? "coinbase" : btc(t.fee))\n"
            text += "  inputs     \(t.inputs.count)\n"
            for i in t.inputs {
                text += "    #\(i.vin) \(i.prevTxid):\(i.prevVout)  \(i.address ?? "?")  \(btc(i.value))\(i.resolved ? "" : "  (unresolved)")\n"
            }
            text += "  outputs    \(t.outputs.count)\n"
            for o in t.outputs {
                let spent = o.spentBy.map { "spent by \($0.txid):\($0.vin)" } ?? "unspent"
                text += "    #\(o.vout) \(o.address)  \(btc(o.value))  \(o.scriptType)  \(spent)\n"
            }
            Console.current.out(text)
        }
    }
}

/// `flowtrace address ADDR --db PATH`
struct AddressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "address", abstract: "Show an address: received, sent, balance and its transactions.")

    @Argument(help: "Address (or pseudo-address such as multisig-…).") var address: String
    @Option(help: "Path of the store.") var db: String
    @Option(help: "Show at most this many (latest) transactions.") var limit: Int?
    @OptionGroup var output: OutputOptions

    func run() throws {
        try withExitCodes {
            var key = address
            if address.hasPrefix("0x") || address.hasPrefix("0X") {
                guard let normalized = EthAddress.normalized(address) else {
                    throw CLIFailure(message: "'\(address)' is not an Ethereum address (0x and 40 hex digits, EIP-55 checksum when mixed-case)",
                                     exitCode: ExitStatus.dataError)
                }
                key = normalized
            }
            let store = try openStoreForReading(db)
            try requireDerivedTransfers(store, db: db)
            guard let h = try store.addressHistory(key, limit: limit) else {
                throw CLIFailure(message: "address \(address) is not in the store", exitCode: 1)
            }
            if output.isJSON { Console.current.out(try jsonText(h)); return }
            let btc = { (s: String) in Int128(s).map { Amount(baseUnits: $0).formatted(decimals: 8) } ?? s }
            var text = "address \(h.address) (\(h.scriptType)\(h.isDerivedFromPublicKey ? ", derived from a bare public key" : ""))\n"
            if let received = h.received, let sent = h.sent, let balance = h.balance {
                text += "  received   \(btc(received)) BTC\n  sent       \(btc(sent)) BTC\n  balance    \(btc(balance)) BTC\n"
                text += "  txs        \(h.txCount)   first \(h.firstSeen ?? "-")   last \(h.lastSeen ?? "-")\n"
            }
            for e in h.transactions {
                let height = e.blockHeight.map(String.init) ?? "?"
                text += "    \(height.padding(toLength: 8, withPad: " ", startingAt: 0)) \(e.time ?? "-")  \(e.txid)  \(btc(e.net).hasPrefix("-") ? "" : "+")\(btc(e.net))\n"
            }
            for a in h.assets {
                let name = a.token.map { t in a.symbol.map { "\($0) (\(t))" } ?? t } ?? a.asset
                let unit = a.decimals == nil ? " raw units (decimals unknown)" : ""
                text += "  \(a.chain) \(name)\(unit)\n"
                text += "    received   \(a.receivedDecimal ?? a.received)   in \(a.transfersIn) transfers\n"
                text += "    sent       \(a.sentDecimal ?? a.sent)   out \(a.transfersOut) transfers"
                if let fees = a.feesPaid, fees != "0" { text += "   (fees \(a.decimals.map { Amount.formatted(baseUnits: fees, decimals: $0) } ?? fees))" }
                text += "\n    balance    \(a.balanceDecimal ?? a.balance)\n"
            }
            if !h.transfers.isEmpty { text += "  transfers\n" }
            for t in h.transfers {
                let sign = t.direction == "out" ? "-" : t.direction == "in" ? "+" : "±"
                text += "    \(t.time ?? "-")  \(t.tx)  \((t.kind ?? "").padding(toLength: 8, withPad: " ", startingAt: 0)) "
                    + "\(t.direction == "in" ? "from" : "to") \(t.counterparty)  \(sign)\(t.amountDecimal ?? t.amount) \(t.symbol ?? t.asset)\n"
            }
            Console.current.out(text)
        }
    }
}
