import FlowFixtures
import Foundation

// The comparison fixture of the traversal benchmarks, as FlowTrace `transfers-csv`:
//   nodes N, E unique directed edges; sources drawn Zipf(0.8) over a random permutation of node ids,
//   destinations uniform, no self-loops, no repeated (source, destination) pair; amounts lognormal(0, 2)
//   in whole units scaled to 8 decimals (rounded, at least 1 base unit); timestamps uniform over one year;
//   100 seed nodes with out-degree > 0 written to seeds.txt. Same seed, same bytes.
// Usage: make-graph-fixture [--nodes N] [--edges E] [--seed S] --out DIR

var nodes = 1_000_000, edges = 5_000_000
var seed: UInt64 = 42
var out = ""
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    switch a {
    case "--nodes": nodes = Int(args.next() ?? "") ?? nodes
    case "--edges": edges = Int(args.next() ?? "") ?? edges
    case "--seed": seed = UInt64(args.next() ?? "") ?? seed
    case "--out": out = args.next() ?? ""
    default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(64)
    }
}
guard !out.isEmpty, edges <= nodes * (nodes - 1) / 2 else {
    FileHandle.standardError.write(Data("usage: make-graph-fixture [--nodes N] [--edges E] [--seed S] --out DIR\n".utf8)); exit(64)
}
try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
var rng = SplitMix64(state: seed)

// Random permutation of node ids (Fisher–Yates): rank r of the Zipf law is node permutation[r].
var permutation = Array(0..<nodes)
for i in stride(from: nodes - 1, to: 0, by: -1) { permutation.swapAt(i, rng.below(i + 1)) }
// Zipf(0.8) by inverse CDF over the cumulative weights 1/k^0.8.
var cumulative = [Double](repeating: 0, count: nodes)
var total = 0.0
for k in 0..<nodes { total += 1 / pow(Double(k + 1), 0.8); cumulative[k] = total }
@MainActor func zipfRank() -> Int {
    let u = rng.unit() * total
    var lo = 0, hi = nodes - 1
    while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < u { lo = mid + 1 } else { hi = mid } }
    return lo
}

let path = out + "/transfers.csv"
FileManager.default.createFile(atPath: path, contents: nil)
guard let handle = FileHandle(forWritingAtPath: path) else { exit(73) }
var buffer = "from,to,amount,asset,timestamp,tx,decimals\n"
var seen = Set<UInt64>(minimumCapacity: edges)
var outDegree = [UInt32](repeating: 0, count: nodes)
let yearStart: Int64 = 1_672_531_200  // 2023-01-01T00:00:00Z
var written = 0
while written < edges {
    let source = permutation[zipfRank()]
    let target = rng.below(nodes)
    if target == source { continue }
    guard seen.insert(UInt64(source) << 32 | UInt64(target)).inserted else { continue }
    // lognormal(0, 2) via Box–Muller.
    let normal = (-2 * log(1 - rng.unit())).squareRoot() * cos(2 * .pi * rng.unit())
    let amount = max(1, Int64((exp(2 * normal) * 1e8).rounded()).clamped(to: 1...Int64(1e17)))
    let time = yearStart + Int64(rng.below(365 * 86_400))
    buffer += "n\(source),n\(target),\(amount),X,\(time),t\(written),8\n"
    outDegree[source] += 1
    written += 1
    if buffer.utf8.count > 1 << 22 { handle.write(Data(buffer.utf8)); buffer.removeAll(keepingCapacity: true) }
}
handle.write(Data(buffer.utf8))
try handle.close()

var candidates = (0..<nodes).filter { outDegree[$0] > 0 }
var seeds: [Int] = []
while seeds.count < 100 && !candidates.isEmpty { seeds.append(candidates.remove(at: rng.below(candidates.count))) }
try (seeds.map { "n\($0)" }.joined(separator: "\n") + "\n").write(toFile: out + "/seeds.txt", atomically: true, encoding: .utf8)
FileHandle.standardError.write(Data("wrote \(written) edges over \(nodes) nodes to \(path); 100 seeds in seeds.txt\n".utf8))

extension Comparable {
    func clamped(to r: ClosedRange<Self>) -> Self { min(max(self, r.lowerBound), r.upperBound) }
}
