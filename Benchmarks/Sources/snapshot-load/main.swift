import FlowCore
import FlowStore
import Foundation

// Times loading a compiled graph snapshot (memory-map + header and section checks), then one full pass over
// its edge arrays (which pages the whole file in), for the snapshot-load target.
// Usage: snapshot-load STORE
guard CommandLine.arguments.count > 1 else { print("usage: snapshot-load STORE"); exit(64) }
let db = CommandLine.arguments[1]
let store = try Store(path: db, readOnly: true)
let generation = try store.generation()
var best = Double.infinity
var graph: FlowGraph?
for _ in 0..<5 {
    let t = Date()
    graph = try GraphSnapshot.load(path: GraphSnapshot.defaultPath(forStore: db), expectedGeneration: generation)
    best = min(best, Date().timeIntervalSince(t))
}
guard let g = graph else { exit(1) }
let t = Date()
var total = Int128(0)
var latest = Int64.min
for e in 0..<g.edgeCount {
    total += g.amount(of: e).baseUnits
    latest = max(latest, g.edgeTime[e])
}
let pass = Date().timeIntervalSince(t)
print(String(format: "snapshot: %d nodes, %d edges; load (map + checks) best %.3f ms; full pass over the edges %.3f s (%.0f M edges/s)",
             g.nodeCount, g.edgeCount, best * 1000, pass, Double(g.edgeCount) / pass / 1e6))
print("checksum: total \(total), latest \(latest)")

// Leave without running library destructors: on this machine libgnutls' exit-time destructor (pulled in through
// FoundationNetworking) aborts in the benchmark package's binaries after all results are printed.
fflush(nil)
_exit(0)
