/// The fields the store keeps of the three Ethereum record kinds that dominate bulk exports — transactions, receipts
/// and token transfers — typed: what an ``EthRecord`` holds as text by column name, parsed once, by whoever reads
/// the input (ethereum-etl CSV is read straight into these). Every format ends in the same store rows: a record of
/// these kinds is turned into its typed fields by the initialisers below, with ``EthRecord``'s own accessors.
public struct EthTransactionFields: Sendable, Equatable {
    public var block: Int64?
    public var blockTimestamp: Int64?
    public var blockHash: String?
    public var hash: String?
    public var index: Int64?
    public var from: String?
    public var to: String?
    public var value: UInt256?
    public var gas: Int64?
    public var gasPrice: UInt256?

    public init(block: Int64? = nil, blockTimestamp: Int64? = nil, blockHash: String? = nil, hash: String? = nil, index: Int64? = nil,
                from: String? = nil, to: String? = nil, value: UInt256? = nil, gas: Int64? = nil, gasPrice: UInt256? = nil) {
        self.block = block; self.blockTimestamp = blockTimestamp; self.blockHash = blockHash; self.hash = hash; self.index = index
        self.from = from; self.to = to; self.value = value; self.gas = gas; self.gasPrice = gasPrice
    }

    public init(_ r: EthRecord) {
        self.init(block: r.int("block_number"), blockTimestamp: r.int("block_timestamp"), blockHash: r.text("block_hash"), hash: r.text("hash"),
                  index: r.int("transaction_index"), from: r.text("from_address"), to: r.text("to_address"), value: r.uint("value"),
                  gas: r.int("gas"), gasPrice: r.uint("gas_price"))
    }
}

public struct EthReceiptFields: Sendable, Equatable {
    public var block: Int64?
    public var transactionHash: String?
    public var index: Int64?
    public var from: String?
    public var status: Int64?
    public var gasUsed: Int64?
    public var effectiveGasPrice: UInt256?
    public var contractAddress: String?

    public init(block: Int64? = nil, transactionHash: String? = nil, index: Int64? = nil, from: String? = nil, status: Int64? = nil,
                gasUsed: Int64? = nil, effectiveGasPrice: UInt256? = nil, contractAddress: String? = nil) {
        self.block = block; self.transactionHash = transactionHash; self.index = index; self.from = from; self.status = status
        self.gasUsed = gasUsed; self.effectiveGasPrice = effectiveGasPrice; self.contractAddress = contractAddress
    }

    public init(_ r: EthRecord) {
        self.init(block: r.int("block_number"), transactionHash: r.text("transaction_hash"), index: r.int("transaction_index"),
                  from: r.text("from_address"), status: r.int("status"), gasUsed: r.int("gas_used"),
                  effectiveGasPrice: r.uint("effective_gas_price"), contractAddress: r.text("contract_address"))
    }
}

public struct EthTokenTransferFields: Sendable, Equatable {
    public var block: Int64?
    public var blockTimestamp: Int64?
    public var transactionHash: String?
    public var logIndex: Int64?
    public var token: String?
    public var from: String?
    public var to: String?
    public var value: UInt256?

    public init(block: Int64? = nil, blockTimestamp: Int64? = nil, transactionHash: String? = nil, logIndex: Int64? = nil,
                token: String? = nil, from: String? = nil, to: String? = nil, value: UInt256? = nil) {
        self.block = block; self.blockTimestamp = blockTimestamp; self.transactionHash = transactionHash; self.logIndex = logIndex
        self.token = token; self.from = from; self.to = to; self.value = value
    }

    public init(_ r: EthRecord) {
        self.init(block: r.int("block_number"), blockTimestamp: r.int("block_timestamp"), transactionHash: r.text("transaction_hash"),
                  logIndex: r.int("log_index"), token: r.text("token_address"), from: r.text("from_address"), to: r.text("to_address"),
                  value: r.uint("value"))
    }
}

/// One input row for the Ethereum writer: a typed transaction, receipt or token transfer, or any record.
public enum EthRow: Sendable, Equatable {
    case transaction(EthTransactionFields)
    case receipt(EthReceiptFields)
    /// A transaction and its receipt (same position and hash), stored together: one row written once.
    case transactionWithReceipt(EthTransactionFields, EthReceiptFields)
    case tokenTransfer(EthTokenTransferFields)
    case record(EthRecord)
    /// A transaction and its receipt in their plain export form: the same values as a `transactionWithReceipt` row
    /// (``EthPackedTransaction/transaction`` and ``EthPackedTransaction/receipt``), held without a string.
    case packedTransaction(EthPackedTransaction)
    /// A token transfer in its plain export form: the same values as a `tokenTransfer` row, held without a string.
    case packedTokenTransfer(EthPackedTokenTransfer)
}

/// Rows read from one file (or two read together), each with the line it came from, for errors (`path:line`).
public struct EthRowBatch: Sendable {
    /// The files the rows come from; `files[i]` is the index of row i's.
    public var paths: [String]
    public var rows: [EthRow] = []
    public var lines: [Int] = []
    public var files: [UInt8] = []

    public init(path: String, capacity: Int = 0) { self.init(paths: [path], capacity: capacity) }

    public init(paths: [String], capacity: Int = 0) {
        self.paths = paths
        rows.reserveCapacity(capacity)
        lines.reserveCapacity(capacity)
        files.reserveCapacity(capacity)
    }

    public mutating func append(_ row: EthRow, line: Int, file: Int = 0) {
        rows.append(row)
        lines.append(line)
        files.append(UInt8(file))
    }

    /// The first file's path.
    public var path: String { paths[0] }
    /// Where row `i` came from: `path:line`.
    public func origin(_ i: Int) -> String { "\(paths[Int(files[i])]):\(lines[i])" }
    public var count: Int { rows.count }
    public var isEmpty: Bool { rows.isEmpty }
}
