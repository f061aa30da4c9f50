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
        struct Check: Decodable {
            var part: String, policy: String, maxHops: Int
            var byCategory: [String: String]
            var byCategoryAtLeast: [String: String]
        }
        struct Forensic: Decodable { var policies: [String]; var maxHops: Int; var minimumRecallBasisPoints: Int }
        var scenario: String, seed: UInt64, scale: Int
        var checks: [Check]
        var forensic: Forensic
    }

    static let cases = ["dmm", "cryptocom", "usg", "m2"]

    static func load(_ name: String) throws -> (Expected, FixtureTruth) {
        let dir = URL(fileURLWithPath: Paths.fixture("cases/\(name)"))
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        let truth = try JSONDecoder().decode(FixtureTruth.self, from: Data(contentsOf: dir.appendingPathComponent("truth.json")))
        return (expected, truth)
    }

    /// Ingests a case's files into `db` the way a user would.
    static func ingest(_ name: String, _ truth: FixtureTruth, db: String) {
        for f in truth.files {
            let path = Paths.fixture("cases/\(name)/\(f.path)")
            let arguments = f.format == "labels-csv" ? ["labels", "import", "csv", path, "--db", db] : ["ingest", f.format, path, "--db", db, "--quiet"]
            let run = runCLI(arguments)
            #expect(run.exitCode == 0, "\(arguments): \(run.stderr)")
        }
    }

    @Test(arguments: cases)
    func generatorReproducesTheCommittedFixture(_ name: String) throws {
        let (expected, truth) = try Self.load(name)
        try withTemporaryDirectory { dir in
            let run = runCLI(["fixture", "generate", "--scenario", expected.scenario, "--seed", String(expected.seed), "--scale", String(expected.scale),
                              "--out", dir.path])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let made = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            #expect(made == (truth.files.map(\.path) + ["truth.json"]).sorted())
            for file in made {
                let bytes = try Data(contentsOf: dir.appendingPathComponent(file))
                let committed = try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("cases/\(name)/\(file)")))
                #expect(bytes == committed, "\(name)/\(file) differs from what the generator makes now")
            }
        }
        // The truth accounts for every stolen unit of every part.
        #expect(!truth.parts.isEmpty)
        for part in truth.parts {
            #expect(part.destinations.reduce(Int128(0)) { $0 + (Int128($1.amount) ?? 0) } == Int128(part.stolen), "\(name) \(part.name)")
            #expect(!part.seeds.isEmpty && part.destinations.allSatisfy { !$0.addresses.isEmpty })
        }
    }

    @Test(arguments: cases)
    func tracingReproducesTheReportedFigures(_ name: String) throws {
        let (expected, truth) = try Self.load(name)
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("\(name).sqlite").path
            Self.ingest(name, truth, db: db)
            #expect(!expected.checks.isEmpty)
            for check in expected.checks {
                guard let part = truth.parts.first(where: { $0.name == check.part }) else { Issue.record("\(name): no part \(check.part)"); continue }
                let asset: [String] = part.model == "account" ? ["--asset", part.asset] : []
                let options: [String] = ["--policy", check.policy, "--max-hops", String(check.maxHops), "--json"]
                let run = runCLI(["trace", "--db", db, "--from"] + part.seeds + asset + options)
                #expect(run.exitCode == 0, "\(run.stderr)")
                let report = try JSONDecoder().decode(TraceReport.self, from: Data(run.stdout.utf8))
                #expect(report.model == part.model)
                #expect(report.seedAmount == part.stolen, "\(name) \(part.name): the seeds are exactly the stolen value")
                for (category, amount) in check.byCategory {
                    #expect(report.totals.byCategory[category] == amount, "\(name) \(part.name): \(category)")
                }
                for (category, amount) in check.byCategoryAtLeast {
                    let got = report.totals.byCategory[category].flatMap { Int128($0) } ?? 0
                    #expect(got >= Int128(amount)!, "\(name) \(part.name): \(category) has \(got), expected at least \(amount)")
                }
            }

            let benchArguments: [String] = ["bench", "forensic", "--fixture", Paths.fixture("cases/\(name)"), "--db", db,
                                            "--hops", String(expected.forensic.maxHops), "--policies"]
            let bench = runCLI(benchArguments + expected.forensic.policies + ["--json"])
            #expect(bench.exitCode == 0, "\(bench.stderr)")
            let scores = (try jsonObject(bench.stdout)["scores"] as? [[String: Any]]) ?? []
            #expect(scores.count == expected.forensic.policies.count * truth.parts.count)
            for s in scores {
                let recall = s["recallBasisPoints"] as? Int ?? 0
                #expect(recall >= expected.forensic.minimumRecallBasisPoints, "\(name) \(s["part"] ?? "") \(s["policy"] ?? ""): recall \(recall)")
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

    /// The DMM fixture has the case's shape, read from the bitcoin-etl file itself: one 4,502.9 BTC theft split
    /// into nine 499-BTC peel chains that hold 35–43 BTC after their third peel; CoinJoin rounds whose
    /// denomination outputs are all equal; and bridge locks whose OP_RETURN names the identifier and recipient of
    /// the matching WBTC mint (less the 0.1% bridge fee) in transfers.csv.
    @Test func dmmHasPeelChainsCoinJoinsAndLinkedBridgeCrossings() throws {
        let (_, truth) = try Self.load("dmm")
        let text = try String(contentsOfFile: Paths.fixture("cases/dmm/transactions.json"), encoding: .utf8)
        var spender: [String: [String: Any]] = [:], byTxid: [String: [String: Any]] = [:]
        for line in text.split(separator: "\n") {
            let tx = try jsonObject(String(line))
            let txid = tx["hash"] as! String
            byTxid[txid] = tx
            for input in tx["inputs"] as! [[String: Any]] {
                spender["\(input["spent_transaction_hash"] as! String):\(input["spent_output_index"] as! Int)"] = tx
            }
        }
        func outputs(_ tx: [String: Any]) -> [[String: Any]] { tx["outputs"] as! [[String: Any]] }
        func value(_ o: [String: Any]) -> Int64 { Int64(o["value"] as! Int) }
        let seed = try #require(truth.parts.first { $0.name == "BTC" }?.seeds.first)
        let parts = seed.split(separator: ":")
        #expect(value(outputs(try #require(byTxid[String(parts[0])]))[Int(parts[1])!]) == 450_290_000_000)
        let split = try #require(spender[seed])
        let heads = outputs(split).enumerated().filter { value($0.element) == 49_900_000_000 }
        #expect(heads.count == 9)
        for (vout, _) in heads {
            var at = "\(split["hash"] as! String):\(vout)"
            for _ in 0..<3 {
                let hop = try #require(spender[at], "the chain at \(at) is spent")
                #expect(outputs(hop).count == 2, "a peel is 1-in/2-out")
                at = "\(hop["hash"] as! String):1"
            }
            let tail = value(outputs(try #require(byTxid[String(at.split(separator: ":")[0])]))[1])
            #expect(tail >= 3_500_000_000 && tail <= 4_300_000_000, "\(tail) sat after the third peel")
        }
        // CoinJoin rounds: many inputs, and at least twenty equal 1-BTC outputs each.
        let rounds = byTxid.values.filter { outputs($0).filter { value($0) == 100_000_000 }.count >= 20 }
        #expect(rounds.count == 3)
        for r in rounds { #expect((r["inputs"] as! [Any]).count == 21) }
        // Bridge crossings: lock output, OP_RETURN memo, matching mint.
        let transfers = try String(contentsOfFile: Paths.fixture("cases/dmm/transfers.csv"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",") }
        #expect(truth.bridges.count == 6)
        for link in truth.bridges {
            let lock = link.lock.split(separator: ":")
            let tx = try #require(byTxid[String(lock[0])])
            #expect(String(value(outputs(tx)[Int(lock[1])!])) == link.locked)
            let memoHex = try #require(outputs(tx).first { $0["type"] as? String == "nulldata" }?["script_hex"] as? String)
            let memo = String(decoding: Hex.decode(String(memoHex.dropFirst(4)))!, as: UTF8.self)
            #expect(memo == "MINT:ETH:\(link.mintedTo):\(link.identifier)")
            let locked = Int128(link.locked)!
            #expect(Int128(link.minted)! == locked - locked * 10 / 10_000)
            let mint = try #require(transfers.first { $0.count > 5 && String($0[5]) == link.mintTx })
            #expect(String(mint[1]) == link.mintedTo && String(mint[2]) == link.minted && mint[3] == "WBTC")
        }
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
