import FlowCore
@testable import FlowCLI
import FlowExport
import FlowFixtures
import Foundation
import Testing
import TestSupport

/// The case fixtures in `Fixtures/cases/`: the generator still makes them byte for byte, tracing them reproduces
/// the reported figures (`expected.json`), and the forensic benchmark scores them against their truth.
@Suite("case fixtures")
struct CaseFixtureTests {
    struct Expected: Decodable {
        struct Trace: Decodable { var policy: String; var maxHops: Int }
        struct Forensic: Decodable { var policies: [String]; var maxHops: Int; var minimumRecallBasisPoints: Int }
        var scenario: String, seed: UInt64, scale: Int
        var trace: Trace
        var byCategory: [String: String]
        var byCategoryAtLeast: [String: String]
        var forensic: Forensic
    }

    static let cases = ["cryptocom", "usg", "m2"]

    static func load(_ name: String) throws -> (Expected, FixtureTruth) {
        let dir = URL(fileURLWithPath: Paths.fixture("cases/\(name)"))
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        let truth = try JSONDecoder().decode(FixtureTruth.self, from: Data(contentsOf: dir.appendingPathComponent("truth.json")))
        return (expected, truth)
    }

    @Test(arguments: cases)
    func generatorReproducesTheCommittedFixture(_ name: String) throws {
        let (expected, truth) = try Self.load(name)
        try withTemporaryDirectory { dir in
            let run = runCLI(["fixture", "generate", "--scenario", expected.scenario, "--seed", String(expected.seed), "--scale", String(expected.scale),
                              "--out", dir.path])
            #expect(run.exitCode == 0, "\(run.stderr)")
            for file in ["transfers.csv", "labels.csv", "truth.json"] {
                let made = try Data(contentsOf: dir.appendingPathComponent(file))
                let committed = try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("cases/\(name)/\(file)")))
                #expect(made == committed, "\(name)/\(file) differs from what the generator makes now")
            }
        }
        // The truth accounts for every stolen unit.
        #expect(truth.destinations.reduce(Int128(0)) { $0 + (Int128($1.amount) ?? 0) } == Int128(truth.stolen))
        #expect(!truth.seedTransactions.isEmpty && truth.destinations.allSatisfy { !$0.addresses.isEmpty })
    }

    @Test(arguments: cases)
    func tracingReproducesTheReportedFigures(_ name: String) throws {
        let (expected, truth) = try Self.load(name)
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("\(name).sqlite").path
            #expect(runCLI(["ingest", "transfers-csv", Paths.fixture("cases/\(name)/transfers.csv"), "--db", db, "--quiet"]).exitCode == 0)
            #expect(runCLI(["labels", "import", "csv", Paths.fixture("cases/\(name)/labels.csv"), "--db", db]).exitCode == 0)
            let seeds: [String] = truth.seedTransactions.map { "tx:" + $0 }
            let options: [String] = ["--asset", truth.asset, "--policy", expected.trace.policy, "--max-hops", String(expected.trace.maxHops), "--json"]
            let run = runCLI(["trace", "--db", db, "--from"] + seeds + options)
            #expect(run.exitCode == 0, "\(run.stderr)")
            let report = try JSONDecoder().decode(TraceReport.self, from: Data(run.stdout.utf8))
            #expect(report.seedAmount == truth.stolen, "the seeds are exactly the stolen value")
            for (category, amount) in expected.byCategory {
                #expect(report.totals.byCategory[category] == amount, "\(name): \(category)")
            }
            for (category, amount) in expected.byCategoryAtLeast {
                let got = report.totals.byCategory[category].flatMap { Int128($0) } ?? 0
                #expect(got >= Int128(amount)!, "\(name): \(category) has \(got), expected at least \(amount)")
            }

            let benchArguments: [String] = ["bench", "forensic", "--fixture", Paths.fixture("cases/\(name)"), "--db", db,
                                            "--hops", String(expected.forensic.maxHops), "--policies"]
            let bench = runCLI(benchArguments + expected.forensic.policies + ["--json"])
            #expect(bench.exitCode == 0, "\(bench.stderr)")
            let scores = (try jsonObject(bench.stdout)["scores"] as? [[String: Any]]) ?? []
            #expect(scores.count == expected.forensic.policies.count)
            for s in scores {
                let recall = s["recallBasisPoints"] as? Int ?? 0
                #expect(recall >= expected.forensic.minimumRecallBasisPoints, "\(name) \(s["policy"] ?? ""): recall \(recall)")
                #expect((s["precisionBasisPoints"] as? Int ?? 0) <= 10_000 && recall <= 10_000)
            }
        }
    }

    /// Hop limits matter on the M2 peel chain: three hops cannot reach the bridge, ten can.
    @Test func forensicScoresRiseWithTheHopLimitOnAPeelChain() throws {
        let bench = runCLI(["bench", "forensic", "--fixture", Paths.fixture("cases/m2"), "--hops", "3", "10", "--policies", "lifo", "--json"])
        #expect(bench.exitCode == 0, "\(bench.stderr)")
        let scores = (try jsonObject(bench.stdout)["scores"] as? [[String: Any]]) ?? []
        let recall = Dictionary(uniqueKeysWithValues: scores.map { ($0["maxHops"] as? Int ?? 0, $0["recallBasisPoints"] as? Int ?? 0) })
        #expect((recall[3] ?? 10_000) < 8_000 && (recall[10] ?? 0) == 10_000, "\(recall)")
    }

    @Test func randomBackgroundIsDeterministicAndHasTheAskedScale() throws {
        try withTemporaryDirectory { dir in
            var texts: [Data] = []
            for k in 0..<2 {
                let out = dir.appendingPathComponent("r\(k)")
                #expect(runCLI(["fixture", "generate", "--scenario", "random", "--seed", "42", "--scale", "5000", "--out", out.path]).exitCode == 0)
                texts.append(try Data(contentsOf: out.appendingPathComponent("transfers.csv")))
            }
            #expect(texts[0] == texts[1])
            let lines = String(decoding: texts[0], as: UTF8.self).split(separator: "\n")
            // Background deposits are swept to the hot wallet later: each sweep is one more row.
            #expect(lines.count > 5_000 && lines.first == "from,to,amount,asset,timestamp,tx,decimals,chain,block")
            let times = lines.dropFirst().map { Int64($0.split(separator: ",")[4])! }
            #expect(times == times.sorted(), "rows are in time order")
            let other = dir.appendingPathComponent("r2")
            #expect(runCLI(["fixture", "generate", "--scenario", "random", "--seed", "43", "--scale", "5000", "--out", other.path]).exitCode == 0)
            #expect(try Data(contentsOf: other.appendingPathComponent("transfers.csv")) != texts[0])
            let nothing = runCLI(["bench", "forensic", "--fixture", dir.appendingPathComponent("r0").path])
            #expect(nothing.exitCode == 65 && nothing.stderr.contains("nothing stolen"))
        }
    }
}
