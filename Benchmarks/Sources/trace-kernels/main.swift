import FlowCore
import FlowStore
import Foundation

// The traversal kernels of the comparison benchmark, on a compiled store: (a) reach within H hops of the seeds,
// (b) static haircut over H hops, and for information the time-respecting policies. Best and median of N runs,
// snapshot already mapped (the CLI's end-to-end time is measured separately by scripts/bench-traversal.sh).
// Usage: trace-kernels STORE SEEDS.txt [--hops H] [--runs N] [--reach-out FILE] [--haircut-out FILE]
var args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 2 else { print("usage: trace-kernels STORE SEEDS.txt [--hops H] [--runs N] [--reach-out FILE] [--haircut-out FILE]"); exit(64) }
let db = args.removeFirst(), seedsPath = args.removeFirst()
var hops = 6, runs = 7
var reachOut: String?, haircutOut: String?
while !args.isEmpty {
    let a = args.removeFirst()
    let v = args.isEmpty ? "" : args.removeFirst()
    switch a {
    case "--hops": hops = Int(v) ?? hops
    case "--runs": runs = Int(v) ?? runs
    case "--reach-out": reachOut = v
    case "--haircut-out": haircutOut = v
    default: print("unknown argument \(a)"); exit(64)
    }
}
let store = try Store(path: db, readOnly: true)
let graphs = try GraphSnapshot.loadAll(path: GraphSnapshot.defaultPath(forStore: db), expectedGeneration: try store.generation())
let g = graphs.account
var seeds: [Int] = []
for line in try String(contentsOfFile: seedsPath, encoding: .utf8).split(separator: "\n") where !line.isEmpty {
    guard let id = try store.addressID(of: String(line)), let v = g.node(addressID: id) else { print("seed \(line) not in the graph"); exit(65) }
    seeds.append(v)
}

@MainActor func measure<T>(_ name: String, _ body: () -> T) -> (T, Double, Double) {
    var times: [Double] = []
    var result: T?
    for _ in 0..<runs {
        let t = DispatchTime.now().uptimeNanoseconds
        result = body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
    }
    times.sort()
    let best = times[0], median = times[times.count / 2]
    print(String(format: "%@: best %.2f ms, median %.2f ms (%d runs)", name, best, median, runs))
    return (result!, best, median)
}

var limits = TraceLimits()
limits.maxHops = hops
let cores = ProcessInfo.processInfo.activeProcessorCount
var reachTracer = StaticTracer(graph: g, policy: .poison, limits: limits, asset: nil, isStop: { _ in false })
_ = measure("reach \(hops) hops, 1 thread") { reachTracer.reach(seedNodes: seeds) }
reachTracer.threads = cores
let (reached, reachBest, reachMedian) = measure("reach \(hops) hops, \(cores) threads") { reachTracer.reach(seedNodes: seeds) }
var haircutTracer = StaticTracer(graph: g, policy: .haircut, limits: limits, asset: nil, isStop: { _ in false })
haircutTracer.recordsFlows = false
_ = measure("static haircut \(hops) hops, 1 thread") { haircutTracer.trace(seedNodes: seeds) }
haircutTracer.threads = cores
let (haircut, haircutBest, haircutMedian) = measure("static haircut \(hops) hops, \(cores) threads") { haircutTracer.trace(seedNodes: seeds) }
print("reach: \(reached.count) nodes; haircut: seed \(haircut.seedAmount), \(haircut.mergedSinks().count) sinks, conserved \(haircut.sinkTotal == haircut.seedAmount)")

for policy in [TracePolicy.fifo, .haircut] {
    var t = AccountTracer(graph: g, policy: policy, direction: .forward, limits: limits, asset: nil, isStop: { _ in false })
    t.recordsFlows = false
    let (o, _, _) = measure("time-respecting \(policy) \(hops) hops") { t.trace(seedNodes: seeds, seedEdges: []) }
    print("  expanded \(o.expanded) addresses, \(o.sinks.count) sink entries, conserved \(o.sinkTotal == o.seedAmount)")
}

let summary: [String: Any] = ["reach": ["best_ms": reachBest, "median_ms": reachMedian, "count": reached.count],
                              "haircut": ["best_ms": haircutBest, "median_ms": haircutMedian, "sinks": haircut.mergedSinks().count]]
print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
if reachOut != nil || haircutOut != nil {
    var ids = reached.map { g.nodeAddressID[$0] }
    var sinkNodes: [Int: Int128] = [:]
    for s in haircut.sinks { if case .node(let v) = s.location { sinkNodes[v, default: 0] += s.amount } }
    ids += sinkNodes.keys.map { g.nodeAddressID[$0] }
    let texts = try store.addressTexts(ids)
    if let reachOut {
        try (reached.compactMap { texts[g.nodeAddressID[$0]] }.joined(separator: "\n") + "\n").write(toFile: reachOut, atomically: true, encoding: .utf8)
    }
    if let haircutOut {
        let sinks = sinkNodes.keys.sorted().map { ["address": texts[g.nodeAddressID[$0]] ?? "?", "amount": String(sinkNodes[$0]!)] }
        try JSONSerialization.data(withJSONObject: ["sinks": sinks], options: [.sortedKeys]).write(to: URL(fileURLWithPath: haircutOut))
    }
}

// Leave without running library destructors: on this machine libgnutls' exit-time destructor (pulled in through
// FoundationNetworking) aborts in the benchmark package's binaries after all results are printed.
fflush(nil)
_exit(0)
