import FlowCore
@testable import FlowCLI
import Foundation
import Testing
import TestSupport

@Suite("trace")
struct TraceTests {
    static let block9Coinbase = "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9"
    static let block170Tx = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
    static let hal = "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"

    func sinks(_ report: [String: Any]) -> [[String: Any]] { report["sinks"] as? [[String: Any]] ?? [] }

    /// The real blocks 0–438: forward from block 9's 50 BTC coinbase reaches the 10 BTC paid to Hal Finney in block 170.
    @Test(arguments: ["poison", "haircut", "fifo", "lifo", "tiho"])
    func block9CoinbaseReachesHalFinneyInBlock170(policy: String) throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("b.sqlite").path
            #expect(runCLI(["ingest", "btc-raw", Paths.shared("btc/blk-files/blocks-0-438.blk"), "--db", db, "--no-progress"]).exitCode == 0)
            let run = runCLI(["trace", "--db", db, "--from", Self.block9Coinbase, "--policy", policy, "--json"])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let report = try jsonObject(run.stdout)
            #expect(report["model"] as? String == "utxo")
            #expect(report["seedAmount"] as? String == "5000000000")
            let hal = try #require(sinks(report).first { $0["address"] as? String == Self.hal })
            // The only input of f4184fc5… is the tainted coinbase, so every policy taints Hal's 10 BTC fully.
            #expect(hal["amount"] as? String == "1000000000")
            #expect(hal["hops"] as? Int == 1 && hal["reason"] as? String == "unspent")
            let edges = report["edges"] as? [[String: Any]] ?? []
            #expect(edges.contains { $0["to"] as? String == Self.hal && $0["tx"] as? String == Self.block170Tx && $0["amount"] as? String == "1000000000" })
            if policy != "poison" {
                #expect(report["conserved"] as? Bool == true)
                #expect(report["sinkTotal"] as? String == "5000000000")
            }
        }
    }

    @Test func backwardFromHalsOutputFindsTheBlock9Coinbase() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("b.sqlite").path
            #expect(runCLI(["ingest", "btc-raw", Paths.fixture("btc/blk/blocks-0-438.blk"), "--db", db, "--no-progress"]).exitCode == 0)
            let report = try jsonObject(runCLI(["trace", "--db", db, "--from", Self.block170Tx + ":0", "--direction", "backward", "--policy", "fifo", "--json"]).stdout)
            let found = sinks(report)
            #expect(found.count == 1)
            #expect(found.first?["reason"] as? String == "coinbase" && found.first?["address"] as? String == "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S")
            #expect(found.first?["amount"] as? String == "1000000000")
        }
    }

    @Test func labelledAddressesStopTheTraceAndStaleSnapshotsAreNeverUsedSilently() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("b.sqlite").path
            #expect(runCLI(["ingest", "btc-raw", Paths.fixture("btc/blk/blocks-0-438.blk"), "--db", db, "--no-progress"]).exitCode == 0)
            #expect(runCLI(["compile", "--db", db]).exitCode == 0)
            #expect(runCLI(["labels", "add", "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "--category", "exchange", "--name", "Test exchange", "--db", db]).exitCode == 0)
            // Labelling bumped the store generation: the snapshot is stale, and --no-compile refuses it.
            let refused = runCLI(["trace", "--db", db, "--from", Self.block9Coinbase, "--no-compile", "--json"])
            #expect(refused.exitCode == 66 && refused.stderr.contains("generation"))
            let run = runCLI(["trace", "--db", db, "--from", Self.block9Coinbase, "--policy", "fifo", "--json"])
            #expect(run.stderr.contains("compiling the snapshot"))
            let report = try jsonObject(run.stdout)
            // The change back to the (now exchange) sender stops at hop 1; Hal's 10 BTC stays unspent.
            let exchange = try #require(sinks(report).first { $0["reason"] as? String == "labelled" })
            #expect(exchange["category"] as? String == "exchange" && exchange["label"] as? String == "Test exchange")
            #expect(exchange["amount"] as? String == "4000000000" && exchange["hops"] as? Int == 1)
            #expect((report["totals"] as? [String: Any])?["byCategory"] as? [String: String] == ["exchange": "4000000000", "unlabelled": "1000000000"])
            let noStops = try jsonObject(runCLI(["trace", "--db", db, "--from", Self.block9Coinbase, "--no-stops", "--json"]).stdout)
            #expect(!sinks(noStops).contains { $0["reason"] as? String == "labelled" })
        }
    }

    /// The account analogue of the worked example, through transfers-csv and the CLI.
    @Test func accountWorkedExampleFromTheStolenDeposit() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("t.sqlite").path
            #expect(runCLI(["ingest", "transfers-csv", Paths.fixture("transfers/worked-example.csv"), "--db", db]).exitCode == 0)
            let expected: [String: [String: String]] = [
                "fifo": ["0x4444444444444444444444444444444444444444": "2900000000000000000", "0x5555555555555555555555555555555555555555": "3000000000000000000",
                         "0x1111111111111111111111111111111111111111": "100000000000000000"],
                "lifo": ["0x3333333333333333333333333333333333333333": "1900000000000000000", "0x4444444444444444444444444444444444444444": "4100000000000000000"],
            ]
            for (policy, want) in expected {
                let run = runCLI(["trace", "--db", db, "--from", "0xt2", "--policy", policy, "--json"])
                #expect(run.exitCode == 0, "\(run.stderr)")
                let report = try jsonObject(run.stdout)
                #expect(report["model"] as? String == "account")
                #expect((report["asset"] as? [String: Any])?["symbol"] as? String == "ETH")
                var got: [String: String] = [:]
                for s in sinks(report) { got[s["address"] as! String] = s["amount"] as? String }
                #expect(got == want, "\(policy)")
                #expect(report["conserved"] as? Bool == true)
            }
            // The sender of 0xt6 moves another asset too: an address seed moving ETH and TOK needs --asset.
            let ambiguous = runCLI(["trace", "--db", db, "--from", "0x1111111111111111111111111111111111111111", "--json"])
            #expect(ambiguous.exitCode == 65 && ambiguous.stderr.contains("--asset"))
            let eth = try jsonObject(runCLI(["trace", "--db", db, "--from", "0x1111111111111111111111111111111111111111", "--asset", "ETH", "--json"]).stdout)
            #expect(eth["seedAmount"] as? String == "9900000000000000000")
        }
    }

    @Test func seedsFromAFileAreTheSeedsOfTheCommandLine() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("t.sqlite").path
            #expect(runCLI(["ingest", "transfers-csv", Paths.fixture("transfers/worked-example.csv"), "--db", db]).exitCode == 0)
            let seeds = dir.appendingPathComponent("seeds.txt")
            try "# stolen deposit and the clean one\n\n  0xt2  \r\n# 0xt3 is not a seed\n0xt1\n".write(to: seeds, atomically: true, encoding: .utf8)
            let common = ["--db", db, "--policy", "fifo", "--json"]
            let listed = runCLI(["trace", "--from", "0xt2", "0xt1"] + common)
            #expect(listed.exitCode == 0, "\(listed.stderr)")
            let fromFile = runCLI(["trace", "--from-file", seeds.path] + common)
            #expect(fromFile.exitCode == 0, "\(fromFile.stderr)")
            #expect(fromFile.stdout == listed.stdout)
            // --from seeds come first, then the file's.
            let both = runCLI(["trace", "--from", "0xt2", "--from-file", seeds.path] + common)
            let report = try jsonObject(both.stdout)
            #expect((report["seeds"] as? [[String: Any]])?.compactMap { $0["seed"] as? String } == ["0xt2", "0xt2", "0xt1"])
            let missing = runCLI(["trace", "--db", db, "--from-file", dir.appendingPathComponent("none.txt").path])
            #expect(missing.exitCode == 66 && missing.stderr.contains("none.txt"))
            let empty = dir.appendingPathComponent("empty.txt")
            try "# nothing here\n".write(to: empty, atomically: true, encoding: .utf8)
            #expect(runCLI(["trace", "--db", db, "--from-file", empty.path]).exitCode == 64)
            try Data([0x30, 0x78, 0xff, 0x0a]).write(to: empty)
            let binary = runCLI(["trace", "--db", db, "--from-file", empty.path])
            #expect(binary.exitCode == 65 && binary.stderr.contains("UTF-8"))
        }
    }

    @Test func badSeedsAndOptionsAreReported() {
        withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("t.sqlite").path
            #expect(runCLI(["ingest", "transfers-csv", Paths.fixture("transfers/worked-example.csv"), "--db", db]).exitCode == 0)
            let unknown = runCLI(["trace", "--db", db, "--from", "0xdeadbeef"])
            #expect(unknown.exitCode == 65 && unknown.stderr.contains("0xdeadbeef"))
            #expect(runCLI(["trace", "--db", db, "--from", "0xt2", "--static"]).exitCode == 64)
            #expect(runCLI(["trace", "--db", db, "--from", "0xt2", "--policy", "fifo", "--static", "--max-hops", "3"]).exitCode == 64)
            #expect(runCLI(["trace", "--db", db, "--from", "0xt2", "--amount", "-5"]).exitCode == 64)
            #expect(runCLI(["trace", "--db", dir.appendingPathComponent("none.sqlite").path, "--from", "x"]).exitCode == 66)
        }
    }
}

@Suite("path")
struct PathTests {
    @Test func widestTimeRespectingPathsAndTheFlowBound() throws {
        try withTemporaryDirectory { dir in
            let csv = dir.appendingPathComponent("p.csv")
            // a → b → d carries 5 then 3 (bottleneck 3); a → c → d carries 4 then 6 (bottleneck 4); c → d at t1 comes
            // before anything reaches c, so it is not a path.
            try """
            from,to,amount,asset,timestamp,tx
            a,b,5,X,10,t1
            b,d,3,X,20,t2
            a,c,4,X,11,t3
            c,d,6,X,21,t4
            c,d,50,X,1,t5
            """.write(to: csv, atomically: true, encoding: .utf8)
            let db = dir.appendingPathComponent("p.sqlite").path
            #expect(runCLI(["ingest", "transfers-csv", csv.path, "--db", db]).exitCode == 0)
            let run = runCLI(["path", "--db", db, "--from", "a", "--to", "d", "--json"])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let result = try jsonObject(run.stdout)
            let paths = try #require(result["paths"] as? [[String: Any]])
            #expect(paths.compactMap { $0["bottleneck"] as? String } == ["4", "3"])
            #expect((paths.first?["transfers"] as? [[String: Any]])?.compactMap { $0["tx"] as? String } == ["t3", "t4"])
            #expect(result["maxFlowBound"] as? String == "7")
            #expect(runCLI(["path", "--db", db, "--from", "a", "--to", "zz"]).exitCode == 65)
        }
    }

    /// Bitcoin: from Satoshi's block-9 address to Hal Finney's, through f4184fc5… in block 170.
    @Test func bitcoinPathsFollowOutputsThroughTransactions() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("b.sqlite").path
            #expect(runCLI(["ingest", "btc-raw", Paths.fixture("btc/blk/blocks-0-438.blk"), "--db", db, "--no-progress"]).exitCode == 0)
            let run = runCLI(["path", "--db", db, "--from", "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "--to", TraceTests.hal, "--json"])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let result = try jsonObject(run.stdout)
            let paths = try #require(result["paths"] as? [[String: Any]])
            #expect(paths.count == 1)
            let hop = try #require((paths.first?["transfers"] as? [[String: Any]])?.first)
            #expect(hop["tx"] as? String == TraceTests.block170Tx && hop["amount"] as? String == "1000000000")
            #expect(result["maxFlowBound"] as? String == "1000000000")
        }
    }
}

@Suite("ISO-8601 times")
struct ISOTimeTests {
    @Test func integerFormattingMatchesFoundation() {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        var r = SeededRandom(seed: 5)
        for t in [Int64(0), 1_231_469_665, 951_782_400, 4_107_542_399, -86_401] + (0..<500).map({ _ in Int64.random(in: -2_000_000_000...5_000_000_000, using: &r) }) {
            #expect(UnixTime.iso8601(t) == f.string(from: Date(timeIntervalSince1970: TimeInterval(t))), "\(t)")
        }
    }
}
