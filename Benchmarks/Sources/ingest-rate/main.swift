import BenchSupport
import Foundation

// Plain figures for notes and the peer comparison: best of N runs of parsing and of storing the real raw blocks.
let runs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 5 : 5
let raw = try IngestWork.loadRawBlocks()
var bestParse = 0.0, bestStore = 0.0
var outputs = 0, rows = 0
let path = FileManager.default.temporaryDirectory.appendingPathComponent("flowtrace-ingest-rate.sqlite").path
for _ in 0..<runs {
    var t = Date()
    let parsed = try IngestWork.parse(raw)
    bestParse = max(bestParse, Double(parsed.outputs) / Date().timeIntervalSince(t))
    outputs = parsed.outputs
    t = Date()
    rows = try IngestWork.store(parsed.blocks, at: path)
    bestStore = max(bestStore, Double(rows) / Date().timeIntervalSince(t))
}
print(String(format: "flowtrace parse: %d outputs, best %.0f outputs/s", outputs, bestParse))
print(String(format: "flowtrace store: %d rows, best %.0f rows/s", rows, bestStore))
