/// The UTXO transaction graph in flat arrays: transactions with their inputs and outputs, each output linked to the
/// input that spends it. Usually points into the memory-mapped snapshot (``owner`` keeps it alive).
///
/// Transactions are indexed densely in the store's transaction-id order (so a store id is found by binary search);
/// ``txRank`` gives a topological order (block height, position in block; blockless last), in which a spending
/// transaction always comes after the ones it spends.
public struct UTXOGraph: @unchecked Sendable {
    public static let noIndex = UInt32.max

    public let txCount: Int
    public let outputCount: Int
    public let inputCount: Int
    /// The store's `transactions.id` of each dense transaction, ascending.
    public let txStoreID: UnsafeBufferPointer<Int64>
    public let txRank: UnsafeBufferPointer<UInt32>
    /// Block time (Unix seconds); Int64.max for a transaction in no stored block.
    public let txTime: UnsafeBufferPointer<Int64>
    /// Outputs of tx t: `txOutRow[t] ..< txOutRow[t + 1]`, in vout order.
    public let txOutRow: UnsafeBufferPointer<UInt64>
    /// Inputs of tx t: `txInRow[t] ..< txInRow[t + 1]`, in vin order (none for a coinbase).
    public let txInRow: UnsafeBufferPointer<UInt64>
    public let outValue: UnsafeBufferPointer<Int64>
    /// The store's address id, or 0 for none.
    public let outAddress: UnsafeBufferPointer<Int64>
    /// The input that spends the output, or ``noIndex`` (unspent as far as the store knows).
    public let outSpender: UnsafeBufferPointer<UInt32>
    /// The output an input spends, or ``noIndex`` when that output is not stored.
    public let inPrevOutput: UnsafeBufferPointer<UInt32>
    /// The input's value, or -1 when unknown.
    public let inValue: UnsafeBufferPointer<Int64>
    /// The input's address id (0 when unknown).
    public let inAddress: UnsafeBufferPointer<Int64>
    /// The transaction an input belongs to.
    public let inTx: UnsafeBufferPointer<UInt32>
    public let owner: AnyObject

    public init(txStoreID: UnsafeBufferPointer<Int64>, txRank: UnsafeBufferPointer<UInt32>, txTime: UnsafeBufferPointer<Int64>,
                txOutRow: UnsafeBufferPointer<UInt64>, txInRow: UnsafeBufferPointer<UInt64>, outValue: UnsafeBufferPointer<Int64>,
                outAddress: UnsafeBufferPointer<Int64>, outSpender: UnsafeBufferPointer<UInt32>, inPrevOutput: UnsafeBufferPointer<UInt32>,
                inValue: UnsafeBufferPointer<Int64>, inAddress: UnsafeBufferPointer<Int64>, inTx: UnsafeBufferPointer<UInt32>, owner: AnyObject) {
        self.txCount = txStoreID.count; self.outputCount = outValue.count; self.inputCount = inValue.count
        self.txStoreID = txStoreID; self.txRank = txRank; self.txTime = txTime; self.txOutRow = txOutRow; self.txInRow = txInRow
        self.outValue = outValue; self.outAddress = outAddress; self.outSpender = outSpender; self.inPrevOutput = inPrevOutput
        self.inValue = inValue; self.inAddress = inAddress; self.inTx = inTx; self.owner = owner
    }

    @inline(__always) public func outputs(of tx: Int) -> Range<Int> { Int(txOutRow[tx])..<Int(txOutRow[tx + 1]) }
    @inline(__always) public func inputs(of tx: Int) -> Range<Int> { Int(txInRow[tx])..<Int(txInRow[tx + 1]) }
    @inline(__always) public func isCoinbase(_ tx: Int) -> Bool { txInRow[tx] == txInRow[tx + 1] }

    /// The dense index of the transaction with store id `storeID`.
    /// - Complexity: O(log transactions).
    public func tx(storeID: Int64) -> Int? {
        var lo = 0, hi = txCount
        while lo < hi { let mid = (lo + hi) / 2; if txStoreID[mid] < storeID { lo = mid + 1 } else { hi = mid } }
        return lo < txCount && txStoreID[lo] == storeID ? lo : nil
    }

    /// The transaction that created `output`.
    /// - Complexity: O(log transactions).
    public func tx(ofOutput output: Int) -> Int {
        var lo = 0, hi = txCount - 1
        while lo < hi { let mid = (lo + hi + 1) / 2; if Int(txOutRow[mid]) <= output { lo = mid } else { hi = mid - 1 } }
        return lo
    }

    /// An input's value when known: the spent output's, else the value the source stated.
    @inline(__always) public func value(ofInput i: Int) -> Int64? {
        let prev = inPrevOutput[i]
        if prev != Self.noIndex { return outValue[Int(prev)] }
        return inValue[i] >= 0 ? inValue[i] : nil
    }

    /// Checks the structural invariants.
    /// - Complexity: O(transactions + inputs + outputs).
    public func validate() -> String? {
        guard txOutRow.count == txCount + 1, txInRow.count == txCount + 1, txOutRow.last == UInt64(outputCount),
              txInRow.last == UInt64(inputCount), txRank.count == txCount, txTime.count == txCount else { return "row arrays have the wrong shape" }
        for t in 0..<txCount {
            if t > 0 && txStoreID[t - 1] >= txStoreID[t] { return "transactions are not in store-id order" }
            if txOutRow[t] > txOutRow[t + 1] || txInRow[t] > txInRow[t + 1] { return "rows of tx \(t) decrease" }
            for i in inputs(of: t) {
                if inTx[i] != UInt32(t) { return "input \(i) is listed under tx \(t) but belongs to \(inTx[i])" }
                let prev = inPrevOutput[i]
                if prev != Self.noIndex {
                    if outSpender[Int(prev)] != UInt32(i) { return "output \(prev) does not name input \(i) as its spender" }
                    if txRank[tx(ofOutput: Int(prev))] >= txRank[t] { return "tx \(t) is ranked before the tx whose output it spends" }
                }
            }
        }
        for o in 0..<outputCount where outSpender[o] != Self.noIndex {
            if inPrevOutput[Int(outSpender[o])] != UInt32(o) { return "output \(o)'s spender does not spend it" }
        }
        return nil
    }
}
