import Foundation
import Testing
import TestSupport

/// The real label sources in `../shared/data/labels/`: GraphSense TagPacks and ActorPacks, OFAC's SDN lists,
/// Etherscan's labels and Forta's datasets, mapped to one category set with their provenance.
@Suite("label sources")
struct LabelSourcesTests {
    static let packs = Paths.shared("labels/graphsense-tagpacks/packs")
    static let ronin = "0x098b716b8aaf21512996dc57eb0615e2383e2f96"
    static let tornadoRouter = "0x722122df12d4e14e13ac3b6895a86e84145b6967"

    /// Imports the packs that name the two well-known addresses, the OFAC lists, Etherscan's account labels and Forta.
    static func importRealSources(_ db: String) -> [CLIResult] {
        [runCLI(["labels", "import", "tagpack"] + ["ronin_bridge", "lazarus", "ofac", "tornado_cash"].map { "\(packs)/\($0).yaml" } + ["--db", db]),
         runCLI(["labels", "import", "ofac", Paths.shared("labels/ofac-sdn"), "--db", db]),
         runCLI(["labels", "import", "etherscan-labels", Paths.shared("labels/etherscan-labels/combined/combinedAccountLabels.json"), "--db", db]),
         runCLI(["labels", "import", "forta", Paths.shared("labels/forta"), "--db", db])]
    }

    static func shown(_ address: String, _ db: String) throws -> (categories: Set<String>, sources: Set<String>, labels: [[String: Any]], object: [String: Any]) {
        let object = try jsonObject(runCLI(["labels", "show", address, "--db", db, "--json"]).stdout)
        let labels = object["labels"] as? [[String: Any]] ?? []
        return (Set(labels.compactMap { $0["category"] as? String }), Set(labels.compactMap { $0["source"] as? String }), labels, object)
    }

    @Test func roninExploiterAndTornadoRouterFromSeveralSources() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("l.sqlite").path
            for run in Self.importRealSources(db) { #expect(run.exitCode == 0, "\(run.stderr)") }

            let ronin = try Self.shown(Self.ronin, db)
            #expect(ronin.categories == ["sanctioned", "exploiter"])
            // GraphSense (two packs), OFAC's list and Etherscan: at least three independent sources say so.
            #expect(ronin.sources.isSuperset(of: ["OFAC SDN list", "Etherscan labels",
                                                   "https://roninblockchain.substack.com/p/community-alert-ronin-validators"]))
            let etherscan = ronin.labels.filter { $0["source"] as? String == "Etherscan labels" }
            #expect(Set(etherscan.compactMap { $0["originalCategory"] as? String }) == ["ofac-sanctions-lists", "name: exploiter"])
            let graphsense = try #require(ronin.labels.first { $0["name"] as? String == "Ronin bridge exploiter" })
            #expect(graphsense["originalCategory"] as? String == "service_hack" && graphsense["confidence"] as? Int == 50)
            #expect(graphsense["isClusterDefiner"] as? Bool == true && graphsense["network"] as? String == "eth")
            #expect(graphsense["lastModified"] as? String == "2022-04-05")
            #expect(ronin.object["hasConflicts"] as? Bool == true)

            let router = try Self.shown(Self.tornadoRouter, db)
            #expect(router.categories == ["mixer", "sanctioned"])
            #expect(router.labels.contains { $0["actor"] as? String == "tornado" && $0["originalCategory"] as? String == "mixing_service" })

            let stats = try jsonObject(runCLI(["labels", "stats", "--db", db, "--json"]).stdout)
            let byCategory = try #require(stats["byCategory"] as? [String: Int])
            #expect((byCategory["sanctioned"] ?? 0) > 600 && (byCategory["scam"] ?? 0) > 7000 && (byCategory["exchange"] ?? 0) > 100)
            // Etherscan's project slugs are not categories: an entry with none that maps is `unknown`, the slugs kept.
            #expect(byCategory["sushiswap"] == nil && (byCategory["unknown"] ?? 0) > 1000)

            // Importing the same files again adds nothing.
            let before = stats["labels"] as? Int
            for run in Self.importRealSources(db) { #expect(run.exitCode == 0 && run.stderr.contains("already imported"), "\(run.stderr)") }
            #expect(try jsonObject(runCLI(["labels", "stats", "--db", db, "--json"]).stdout)["labels"] as? Int == before)
        }
    }

    /// Header fields apply to every tag that does not set them; an ActorPack's actors are shown with their tags.
    @Test func tagPackHeaderInheritanceAndActors() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("l.sqlite").path
            let pack = dir.appendingPathComponent("case.yaml")
            try """
                title: Example case
                creator: Investigations Unit
                source: https://example.org/report
                confidence: forensic_investigation
                abuse: ransomware
                currency: BTC
                lastmod: 2024-03-01
                tags:
                - address: bc1qexampleaddress0000000000000000000000
                  label: Ransom payment address
                - address: '0xABCDEF0000000000000000000000000000000001'
                  currency: ETH
                  label: Cash-out wallet
                  abuse: ~
                  category: exchange
                  confidence: 100
                  actor: some_actor
                - tx_hash: '0x1234'
                  label: a transaction, not an address
                """.write(to: pack, atomically: true, encoding: .utf8)
            let actors = dir.appendingPathComponent("actors.yaml")
            try """
                title: Actors
                creator: Investigations Unit
                actors:
                - id: some_actor
                  label: Some Exchange Ltd
                  uri: example.org
                  lastmod: 2024-03-01
                  categories: [exchange]
                  jurisdictions: [SC]
                """.write(to: actors, atomically: true, encoding: .utf8)
            let run = runCLI(["labels", "import", "tagpack", pack.path, actors.path, "--db", db])
            #expect(run.exitCode == 0 && run.stderr.contains("2 labels read, 2 new, 1 tags without an address skipped")
                    && run.stderr.contains("1 actors"), "\(run.stderr)")
            let ransom = try Self.shown("bc1qexampleaddress0000000000000000000000", db)
            #expect(ransom.categories == ["ransomware"])
            #expect(ransom.labels.first?["confidence"] as? Int == 70 && ransom.labels.first?["network"] as? String == "btc")
            #expect(ransom.labels.first?["source"] as? String == "https://example.org/report" && ransom.labels.first?["lastModified"] as? String == "2024-03-01")
            let cashOut = try Self.shown("0xabcdef0000000000000000000000000000000001", db)
            #expect(cashOut.categories == ["exchange"] && cashOut.labels.first?["confidence"] as? Int == 100)
            let actor = try #require((cashOut.object["actors"] as? [[String: Any]])?.first)
            #expect(actor["label"] as? String == "Some Exchange Ltd" && actor["jurisdictions"] as? [String] == ["SC"])
        }
    }

    /// Bad label files are located (file and line) and store nothing.
    @Test func badLabelSourcesAreLocatedAndStoreNothing() throws {
        let header = "title: T\ncreator: C\nsource: s\ncurrency: ETH\ntags:\n"
        let cases: [(String, String, String, String)] = [
            ("tagpack", "broken.yaml", header + "- address: '0x01'\n  label: [unclosed\n", "line"),
            ("tagpack", "nolabel.yaml", header + "- address: '0x01'\n  label: ok\n- address: '0x02'\n", "line 8"),
            ("tagpack", "confidence.yaml", header + "- address: '0x01'\n  label: x\n  confidence: very_sure\n", "very_sure"),
            ("tagpack", "notitle.yaml", "creator: C\ntags: []\n", "no title"),
            ("ofac", "sanctioned_addresses_ETH.txt", "0x01\n0x02 0x03\n", "line 2"),
            ("ofac", "addresses.txt", "0x01\n", "sanctioned_addresses_"),
            ("etherscan-labels", "labels.json", "{\"0x01\": {\"name\": \"x\", \"labels\": []}", "byte offset"),
            ("forta", "other.csv", "a,b\n1,2\n", "not one of Forta's label files"),
            ("forta", "phishing_scams.csv", "address,etherscan_tag,etherscan_labels,is_contract\n0xzz,x,phish-hack,False\n", "line 2"),
        ]
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("l.sqlite").path
            for (format, name, content, located) in cases {
                try expectRefusedInput(["labels", "import", format], name: name, content: content, message: located, in: dir, db: db)
            }
            #expect(try jsonObject(runCLI(["labels", "stats", "--db", db, "--json"]).stdout)["labels"] as? Int == 0)
        }
    }

    /// A trace with `--stop-at mixer` ends at the Tornado Cash router labelled by the real pack.
    @Test func traceStopsAtTheTornadoRouter() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("t.sqlite").path
            let csv = dir.appendingPathComponent("t.csv")
            let victim = "0x" + String(repeating: "1", count: 40), thief = "0x" + String(repeating: "2", count: 40)
            let after = "0x" + String(repeating: "3", count: 40)
            try """
                from,to,amount,asset,timestamp,tx
                \(victim),\(thief),100000000000000000000,ETH,1700000000,0xa1
                \(thief),\(Self.tornadoRouter),100000000000000000000,ETH,1700000100,0xa2
                \(Self.tornadoRouter),\(after),100000000000000000000,ETH,1700000200,0xa3
                """.write(to: csv, atomically: true, encoding: .utf8)
            #expect(runCLI(["ingest", "transfers-csv", csv.path, "--db", db]).exitCode == 0)
            #expect(runCLI(["labels", "import", "tagpack", "\(Self.packs)/tornado_cash.yaml", "--db", db]).exitCode == 0)
            let report = try jsonObject(runCLI(["trace", "--db", db, "--from", thief, "--stop-at", "mixer", "--json"]).stdout)
            let sinks = report["sinks"] as? [[String: Any]] ?? []
            #expect(sinks.count == 1)
            #expect(sinks.first?["address"] as? String == Self.tornadoRouter && sinks.first?["reason"] as? String == "labelled")
            #expect(sinks.first?["category"] as? String == "mixer" && sinks.first?["amount"] as? String == "100000000000000000000")
            let through = try jsonObject(runCLI(["trace", "--db", db, "--from", thief, "--stop-at", "exchange", "--json"]).stdout)
            #expect((through["sinks"] as? [[String: Any]])?.contains { $0["address"] as? String == after } == true)
        }
    }
}
