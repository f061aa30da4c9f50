import Foundation
import Testing
import TestSupport

@Suite("labels")
struct LabelsTests {
    @Test func importAddAndShowKeepEveryLabelWithItsSource() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("l.sqlite").path
            let run = runCLI(["labels", "import", "csv", Paths.fixture("labels/example.csv"), "--db", db])
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(run.stderr.contains("4 labels read, 4 new"))
            #expect(runCLI(["labels", "import", "csv", Paths.fixture("labels/example.csv"), "--db", db]).stderr.contains("already imported"))

            let tornado = try jsonObject(runCLI(["labels", "show", "0x722122DF12D4E14E13AC3B6895A86E84145B6967", "--db", db, "--json"]).stdout)
            let labels = try #require(tornado["labels"] as? [[String: Any]])
            #expect(labels.compactMap { $0["category"] as? String } == ["mixer", "sanctioned"])
            #expect(labels.compactMap { $0["originalCategory"] as? String } == ["mixing", "sanction"])
            #expect(tornado["address"] as? String == "0x722122df12d4e14e13ac3b6895a86e84145b6967")

            #expect(runCLI(["labels", "add", "0x098B716B8AAF21512996DC57EB0615E2383E2F96", "--category", "sanctioned",
                            "--name", "Lazarus Group", "--source", "OFAC", "--db", db]).exitCode == 0)
            let ronin = try jsonObject(runCLI(["labels", "show", "0x098b716b8aaf21512996dc57eb0615e2383e2f96", "--db", db, "--json"]).stdout)
            #expect((ronin["labels"] as? [[String: Any]])?.compactMap { $0["category"] as? String } == ["exploiter", "sanctioned"])
            let hal = runCLI(["labels", "show", "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3", "--db", db])
            #expect(hal.stdout.contains("person-of-interest") && hal.stdout.contains("Hal Finney, block 170") && hal.stdout.contains("50%"))
        }
    }

    @Test func badLabelFilesAreLocated() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("l.sqlite").path
            let bad = dir.appendingPathComponent("bad.csv")
            try "address,category,name,source,confidence\nabc,exchange,X,me,150\n".write(to: bad, atomically: true, encoding: .utf8)
            let run = runCLI(["labels", "import", "csv", bad.path, "--db", db])
            #expect(run.exitCode == 65)
            #expect(run.stderr.contains("bad.csv") && run.stderr.contains("line 2") && run.stderr.contains("confidence"))
            #expect(runCLI(["labels", "import", "yaml", bad.path, "--db", db]).exitCode == 64)
            #expect(runCLI(["labels", "add", "abc", "--category", "exchange", "--name", "X", "--confidence", "101", "--db", db]).exitCode == 64)
        }
    }
}
