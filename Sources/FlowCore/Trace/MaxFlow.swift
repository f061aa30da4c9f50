/// A flow network with exact 128-bit capacities, and its maximum flow by Dinic's algorithm (Dinitz 1970):
/// breadth-first levels, then blocking flows along strictly increasing levels.
struct MaxFlow {
    private var to: [Int] = []
    private var capacity: [Int128] = []
    private var adjacency: [[Int]] = []

    /// Adds an edge `a → b` of capacity `c` (and its residual twin).
    mutating func addEdge(_ a: Int, _ b: Int, _ c: Int128) {
        while adjacency.count <= max(a, b) { adjacency.append([]) }
        adjacency[a].append(to.count); to.append(b); capacity.append(c)
        adjacency[b].append(to.count); to.append(a); capacity.append(0)
    }

    /// The maximum flow from `s` to `t`.
    /// - Complexity: O(V² E).
    mutating func maximum(from s: Int, to t: Int) -> Int128 {
        let n = adjacency.count
        guard s < n, t < n else { return 0 }
        var flow: Int128 = 0
        while true {
            var level = [Int](repeating: -1, count: n)
            level[s] = 0
            var queue = [s], head = 0
            while head < queue.count {
                let u = queue[head]; head += 1
                for a in adjacency[u] where capacity[a] > 0 && level[to[a]] < 0 { level[to[a]] = level[u] + 1; queue.append(to[a]) }
            }
            guard level[t] >= 0 else { return flow }
            var next = [Int](repeating: 0, count: n)
            while true {
                let pushed = push(s, t, Int128.max, &level, &next)
                if pushed == 0 { break }
                flow += pushed
            }
        }
    }

    private mutating func push(_ u: Int, _ t: Int, _ limit: Int128, _ level: inout [Int], _ next: inout [Int]) -> Int128 {
        if u == t { return limit }
        while next[u] < adjacency[u].count {
            let a = adjacency[u][next[u]]
            if capacity[a] > 0 && level[to[a]] == level[u] + 1 {
                let pushed = push(to[a], t, min(limit, capacity[a]), &level, &next)
                if pushed > 0 { capacity[a] -= pushed; capacity[a ^ 1] += pushed; return pushed }
            }
            next[u] += 1
        }
        return 0
    }
}
