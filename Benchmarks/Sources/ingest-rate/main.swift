import BenchSupport
import Foundation

// Plain figures for notes and the peer comparison: best of N runs of parsing and of storing the real raw blocks.
let runs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 5 : 5
let raw = try IngestWork.loadRawBlocks()
if CommandLine.arguments.count > 2 && CommandLine.arguments[2] == "parse-only" {
    // For profiling the parser alone.
    var best = 0.0
    for _ in 0..<runs {
        let t = Date()
        let parsed = try IngestWork.parse(raw)
        best = max(best, Double(parsed.outputs) / Date().timeIntervalSince(t))
    }
    print(String(format: "flowtrace parse: best %.0f outputs/s", best))
    exit(0)
}
if CommandLine.arguments.count > 2 && CommandLine.arguments[2] == "store-only" {
    // For profiling the store alone.
    let parsed = try IngestWork.parse(raw).blocks
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("flowtrace-ingest-rate.sqlite").path
    var best = 0.0
    for _ in 0..<runs {
        let t = Date()
        let rows = try IngestWork.store(parsed, at: path)
        best = max(best, Double(rows) / Date().timeIntervalSince(t))
    }
    print(String(format: "flowtrace store: best %.0f rows/s", best))
    exit(0)
}
var bestParse = 0.0, bestParallel = 0.0, bestStore = 0.0
var outputs = 0, rows = 0
let path = FileManager.default.temporaryDirectory.appendingPathComponent("flowtrace-ingest-rate.sqlite").path
for _ in 0..<runs {
    var t = Date()
    let parsed = try IngestWork.parse(raw)
    bestParse = max(bestParse, Double(parsed.outputs) / Date().timeIntervalSince(t))
    outputs = parsed.outputs
    t = Date()
    let parallel = try IngestWork.parseParallel(raw)
    bestParallel = max(bestParallel, Double(parallel.outputs) / Date().timeIntervalSince(t))
    t = Date()
    rows = try IngestWork.store(parsed.blocks, at: path)
    bestStore = max(bestStore, Double(rows) / Date().timeIntervalSince(t))
}
print(String(format: "flowtrace parse: %d outputs, best %.0f outputs/s", outputs, bestParse))
print(String(format: "flowtrace parse on %d cores: %d outputs, best %.0f outputs/s", ProcessInfo.processInfo.activeProcessorCount, outputs, bestParallel))
print(String(format: "flowtrace store: %d rows, best %.0f rows/s", rows, bestStore))
