/// A directed multigraph of value transfers in compressed sparse row (CSR) form, over flat arrays.
///
/// Out-edges of node `v` are `outRow[v] ..< outRow[v + 1]` in the edge arrays, sorted by time (then by transfer
/// id); in-edges are `inRow[v] ..< inRow[v + 1]` in `inEdge`, each an index into the edge arrays, also sorted by
/// time. Amounts are exact: the low and high 64-bit halves of a signed 128-bit base-unit amount.
///
/// The arrays usually point into a memory-mapped snapshot file; ``owner`` keeps that mapping alive. Layout after
/// petgraph's `Csr` (row offsets `nodeCount + 1` long, column and edge arrays in lock-step).
public struct FlowGraph: @unchecked Sendable {
    public let nodeCount: Int
    public let edgeCount: Int
    /// The store's address id of each dense node id: ascending, one node per address (nodes are numbered in address order).
    public let nodeAddressID: UnsafeBufferPointer<Int64>
    public let outRow: UnsafeBufferPointer<UInt64>
    public let edgeTarget: UnsafeBufferPointer<UInt32>
    public let edgeSource: UnsafeBufferPointer<UInt32>
    public let edgeTime: UnsafeBufferPointer<Int64>
    public let edgeAmountLow: UnsafeBufferPointer<UInt64>
    public let edgeAmountHigh: UnsafeBufferPointer<Int64>
    public let edgeAsset: UnsafeBufferPointer<UInt32>
    /// The store's transfer id of each edge (the evidence behind it).
    public let edgeTransferID: UnsafeBufferPointer<Int64>
    public let inRow: UnsafeBufferPointer<UInt64>
    public let inEdge: UnsafeBufferPointer<UInt32>
    /// Each node's out-edge total when every out-edge amount and their sum fit 64 bits, else ``noOutTotal64``: the
    /// static split reads it instead of summing the row (one load instead of a pass over two amount arrays).
    public let nodeOutTotal64: UnsafeBufferPointer<UInt64>
    /// Whatever owns the memory behind the buffers (a mapped file, or arrays).
    public let owner: AnyObject

    public init(nodeCount: Int, edgeCount: Int, nodeAddressID: UnsafeBufferPointer<Int64>, outRow: UnsafeBufferPointer<UInt64>,
                edgeTarget: UnsafeBufferPointer<UInt32>, edgeSource: UnsafeBufferPointer<UInt32>, edgeTime: UnsafeBufferPointer<Int64>,
                edgeAmountLow: UnsafeBufferPointer<UInt64>, edgeAmountHigh: UnsafeBufferPointer<Int64>,
                edgeAsset: UnsafeBufferPointer<UInt32>, edgeTransferID: UnsafeBufferPointer<Int64>,
                inRow: UnsafeBufferPointer<UInt64>, inEdge: UnsafeBufferPointer<UInt32>, nodeOutTotal64: UnsafeBufferPointer<UInt64>,
                owner: AnyObject) {
        self.nodeCount = nodeCount; self.edgeCount = edgeCount; self.nodeAddressID = nodeAddressID; self.outRow = outRow
        self.edgeTarget = edgeTarget; self.edgeSource = edgeSource; self.edgeTime = edgeTime; self.edgeAmountLow = edgeAmountLow
        self.edgeAmountHigh = edgeAmountHigh; self.edgeAsset = edgeAsset; self.edgeTransferID = edgeTransferID
        self.inRow = inRow; self.inEdge = inEdge; self.nodeOutTotal64 = nodeOutTotal64; self.owner = owner
    }

    /// Marks a node whose out-edge total does not fit the 64-bit fast path (an amount or the sum needs more bits).
    public static let noOutTotal64 = UInt64.max

    /// Each node's out-edge total for ``nodeOutTotal64``, from the CSR rows and the amount halves.
    /// - Complexity: O(nodes + edges).
    public static func outTotals64<Rows: RandomAccessCollection<UInt64>, Lows: RandomAccessCollection<UInt64>, Highs: RandomAccessCollection<Int64>>(
        outRow: Rows, lows: Lows, highs: Highs
    ) -> [UInt64] where Rows.Index == Int, Lows.Index == Int, Highs.Index == Int {
        var totals = [UInt64](repeating: 0, count: max(0, outRow.count - 1))
        for v in totals.indices {
            var total: UInt64 = 0
            for e in Int(outRow[outRow.startIndex + v])..<Int(outRow[outRow.startIndex + v + 1]) {
                let (sum, overflow) = total.addingReportingOverflow(lows[lows.startIndex + e])
                if highs[highs.startIndex + e] != 0 || overflow || sum == noOutTotal64 { total = noOutTotal64; break }
                total = sum
            }
            totals[v] = total
        }
        return totals
    }

    /// The out-edges of `node`, as edge indices, in time order.
    /// - Complexity: O(1).
    @inline(__always)
    public func outEdges(of node: Int) -> Range<Int> { Int(outRow[node])..<Int(outRow[node + 1]) }

    /// The in-edges of `node`, as positions in ``inEdge``, in time order.
    /// - Complexity: O(1).
    @inline(__always)
    public func inEdgePositions(of node: Int) -> Range<Int> { Int(inRow[node])..<Int(inRow[node + 1]) }

    /// The out-edges of `node` strictly after `time`, as edge indices, in time order.
    /// - Complexity: O(log out-degree).
    @inline(__always)
    public func outEdges(of node: Int, after time: Int64) -> Range<Int> {
        let row = outEdges(of: node)
        var lo = row.lowerBound, hi = row.upperBound
        while lo < hi { let mid = (lo + hi) / 2; if edgeTime[mid] <= time { lo = mid + 1 } else { hi = mid } }
        return lo..<row.upperBound
    }

    /// The dense node of the store's address id `addressID`, if any transfer touches it.
    /// - Complexity: O(log nodes) (node ids are in address-id order).
    public func node(addressID: Int64) -> Int? {
        var lo = 0, hi = nodeCount
        while lo < hi { let mid = (lo + hi) / 2; if nodeAddressID[mid] < addressID { lo = mid + 1 } else { hi = mid } }
        return lo < nodeCount && nodeAddressID[lo] == addressID ? lo : nil
    }

    /// The exact amount of `edge`.
    @inline(__always)
    public func amount(of edge: Int) -> Amount {
        Amount(baseUnits: Int128(edgeAmountHigh[edge]) << 64 | Int128(edgeAmountLow[edge]))
    }

    /// Checks the structural invariants (row offsets monotone, edges time-sorted per node, in-edges consistent, out
    /// totals equal to the rows' sums).
    /// - Complexity: O(nodes + edges).
    public func validate() -> String? {
        guard outRow.count == nodeCount + 1, inRow.count == nodeCount + 1, outRow.last == UInt64(edgeCount),
              inRow.last == UInt64(edgeCount), nodeOutTotal64.count == nodeCount else { return "row arrays have the wrong length or end" }
        let totals = FlowGraph.outTotals64(outRow: outRow, lows: edgeAmountLow, highs: edgeAmountHigh)
        if let v = totals.indices.first(where: { totals[$0] != nodeOutTotal64[$0] }) { return "out total of node \(v) is not its row's sum" }
        for v in 0..<nodeCount {
            let out = outEdges(of: v)
            guard out.lowerBound <= out.upperBound else { return "out row of node \(v) decreases" }
            for e in out {
                if edgeSource[e] != UInt32(v) { return "edge \(e) is listed under node \(v) but starts at \(edgeSource[e])" }
                if e > out.lowerBound && edgeTime[e - 1] > edgeTime[e] { return "out-edges of node \(v) are not time-sorted" }
            }
            let ins = inEdgePositions(of: v)
            for p in ins {
                let e = Int(inEdge[p])
                if edgeTarget[e] != UInt32(v) { return "in-edge \(e) is listed under node \(v) but ends at \(edgeTarget[e])" }
                if p > ins.lowerBound && edgeTime[Int(inEdge[p - 1])] > edgeTime[e] { return "in-edges of node \(v) are not time-sorted" }
            }
        }
        return nil
    }
}
