import ArgumentParser
import FlowCore
import FlowExport
import FlowFixtures
import FlowStore
import Foundation

extension Scenario: ExpressibleByArgument {}

/// `flowtrace fixture generate`: case fixtures with known answers, in FlowTrace's own ingest formats.
struct FixtureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixture",
        abstract: "Generate case fixtures with known answers (truth.json).",
        subcommands: [FixtureGenerate.self])
}

struct FixtureGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a scenario in FlowTrace's ingest formats (transactions.json as btc-etl, transfers.csv as transfers-csv, labels.csv) plus truth.json.",
        discussion: "Scenarios: " + Scenario.allCases.map { "\($0.rawValue) — \($0.summary)" }.joined(separator: "; ")
            + ". The same seed gives the same bytes; rows are streamed, never held whole in memory.")

    @Option(help: "Scenario: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")).") var scenario: Scenario
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Background transfers (default 2,000 for cases, 1,000,000 for random).") var scale: Int?
    @Option(help: "Output directory (created if missing).") var out: String

    func validate() throws {
        if let scale, scale < 0 { throw ValidationError("--scale must not be negative") }
    }

    func run() throws {
        try withExitCodes {
            let dir = try OutputFiles.directory(out)
            let truth: FixtureTruth
            do { truth = try scenario.generate(seed: seed, scale: scale, directory: dir.path) } catch let e as FixtureError {
                throw CLIFailure(message: e.description, exitCode: ExitStatus.cannotCreate)
            }
            try OutputFiles.write(Data(try jsonText(truth).utf8), named: "truth.json", in: dir)
            let files = (truth.files.map(\.path) + ["truth.json"]).joined(separator: ", ")
            Console.current.err("wrote \(scenario.rawValue) (seed \(seed), scale \(truth.scale)) to \(out): \(files)\n")
        }
    }
}

/// `flowtrace bench`: benchmarks that need the whole tool.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Forensic benchmark: how well each policy recovers a fixture's known answer.",
        subcommands: [BenchForensic.self])
}

/// How one policy and hop limit did against the truth.
struct ForensicScore: Codable, Equatable {
    /// The truth part scored (e.g. "BTC", "ETH").
    var part: String
    var policy: String
    var maxHops: Int
    /// Share of stolen value the trace attributed to the right final destinations (basis points and percent text).
    var recallBasisPoints: Int
    var recall: String
    /// Share of the value the trace attributed (outside the seeds) that really was stolen.
    var precisionBasisPoints: Int
    var precision: String
    var attributed: String
    var correctlyAttributed: String
    /// Sink addresses with taint that are none of the truth's destinations.
    var falsePositiveAddresses: Int
    var milliseconds: Int
}

struct BenchForensic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forensic",
        abstract: "Trace a fixture's thefts under every policy and hop limit and score them against truth.json.",
        discussion: """
            Recall is the share of the stolen value the trace puts at the right final destinations (per destination, \
            at most what truly ended there); precision is the share of what the trace attributes that really was \
            stolen; false positives are sink addresses with taint that are no destination of the truth.
            """)

    @Option(help: "A fixture directory (fixture generate's output).") var fixture: String
    @Option(help: "Store to ingest the fixture into (default: a temporary one).") var db: String?
    @Option(parsing: .upToNextOption, help: "Hop limits.") var hops: [Int] = [3, 6, 10]
    @Option(parsing: .upToNextOption, help: "Policies.") var policies: [TracePolicy] = TracePolicy.allCases
    @OptionGroup var output: OutputOptions

    struct Part: Encodable { var name: String; var model: String; var stolen: String; var asset: String; var seeds: Int }
    struct Result: Encodable { var scenario: String; var parts: [Part]; var scores: [ForensicScore] }

    func run() throws {
        try withExitCodes {
            let dir = URL(fileURLWithPath: fixture, isDirectory: true)
            let truthPath = dir.appendingPathComponent("truth.json").path
            guard let data = FileManager.default.contents(atPath: truthPath) else {
                throw CLIFailure(message: "\(truthPath): no truth.json (is \(fixture) a fixture generate output?)", exitCode: ExitStatus.noInput)
            }
            let truth: FixtureTruth
            do { truth = try JSONDecoder().decode(FixtureTruth.self, from: data) } catch let e as DecodingError {
                throw CLIFailure(message: "\(truthPath): \(TraceSource.describe(e))", exitCode: ExitStatus.dataError)
            }
            let parts = truth.parts.filter { !$0.seeds.isEmpty && (Int128($0.stolen) ?? 0) > 0 }
            guard !parts.isEmpty else {
                throw CLIFailure(message: "\(truthPath): the \(truth.scenario) fixture has nothing stolen to trace", exitCode: ExitStatus.dataError)
            }
            var temporary: URL?
            let store: String
            if let db { store = db } else {
                let t = FileManager.default.temporaryDirectory.appendingPathComponent("flowtrace-bench-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: t, withIntermediateDirectories: true)
                temporary = t
                store = t.appendingPathComponent("fixture.sqlite").path
            }
            defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
            try ingestFixtureFiles(dir: dir, truth: truth, db: store)
            let scores = try parts.flatMap { try score(part: $0, db: store) }
            let result = Result(scenario: truth.scenario, parts: parts.map { .init(name: $0.name, model: $0.model, stolen: $0.stolen, asset: $0.asset, seeds: $0.seeds.count) },
                                scores: scores)
            if output.isJSON { Console.current.out(try jsonText(result)); return }
            var text = ""
            for part in parts {
                text += "\(truth.scenario) \(part.name): \(part.stolen) base units of \(part.asset) stolen, \(part.seeds.count) seed(s)\n"
                text += "policy   hops  recall    precision  false-pos  ms\n"
                for s in scores where s.part == part.name {
                    text += s.policy.padding(toLength: 9, withPad: " ", startingAt: 0) + String(s.maxHops).padding(toLength: 6, withPad: " ", startingAt: 0)
                        + s.recall.padding(toLength: 10, withPad: " ", startingAt: 0) + s.precision.padding(toLength: 11, withPad: " ", startingAt: 0)
                        + String(s.falsePositiveAddresses).padding(toLength: 11, withPad: " ", startingAt: 0) + "\(s.milliseconds)\n"
                }
            }
            Console.current.out(text)
        }
    }
}

/// Ingests a fixture's files into the store at `db` (idempotent) and compiles the snapshot.
func ingestFixtureFiles(dir: URL, truth: FixtureTruth, db: String) throws {
    var commands: [[String]] = []
    for f in truth.files {
        let path = dir.appendingPathComponent(f.path).path
        switch f.format {
        case "transfers-csv", "btc-etl": commands.append(["ingest", f.format, path, "--db", db, "--quiet"])
        case "labels-csv": commands.append(["labels", "import", "csv", path, "--db", db])
        default: continue  // for the reader (bridge links)
        }
    }
    // Compiled here, so the first policy's time does not include building the snapshot.
    commands.append(["compile", "--db", db])
    let quiet = Console.Capture()
    try Console.$current.withValue(quiet.console) {
        for arguments in commands {
            do {
                var command = try FlowTrace.parseAsRoot(arguments)
                try command.run()
            } catch {
                throw CLIFailure(message: "ingesting the fixture: \(quiet.stderr.trimmingCharacters(in: .whitespacesAndNewlines))", exitCode: ExitStatus.dataError)
            }
        }
    }
}

extension BenchForensic {
    func score(part truth: FixtureTruth.Part, db: String) throws -> [ForensicScore] {
        let stolen = Int128(truth.stolen) ?? 0
        var scores: [ForensicScore] = []
        for policy in policies {
            for hops in hops {
                let asset = truth.model == "account" ? ["--asset", truth.asset] : []
                let options = try TraceOptions.parse(["--db", db, "--from"] + truth.seeds + ["--policy", policy.rawValue, "--max-hops", String(hops)] + asset)
                let clock = ContinuousClock()
                let began = clock.now
                let report = try TraceRunner(options: options, maxEdges: 0, maxSinks: nil).run()
                let elapsed = clock.now - began
                let e = ForensicEvaluation(report: report, part: truth)
                let recall = Share.basisPoints(e.correct, of: stolen), precision = Share.basisPoints(e.correct, of: e.attributed)
                let ms = Int(elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                scores.append(ForensicScore(part: truth.name, policy: policy.rawValue, maxHops: hops, recallBasisPoints: recall, recall: Share.text(basisPoints: recall),
                                            precisionBasisPoints: precision, precision: Share.text(basisPoints: precision), attributed: String(e.attributed),
                                            correctlyAttributed: String(e.correct), falsePositiveAddresses: e.falsePositives, milliseconds: ms))
            }
        }
        return scores
    }
}

/// A trace's result against a truth part: the value at the right destinations (per destination, at most what
/// truly ended there), all value the trace attributes beyond the seeds, and the sink addresses with taint that
/// are no destination of the truth.
struct ForensicEvaluation {
    var correct: Int128 = 0
    var attributed: Int128 = 0
    var falsePositives = 0

    init(report: TraceReport, part: FixtureTruth.Part) {
        var entityOf: [String: Int] = [:]
        for (i, d) in part.destinations.enumerated() { for a in d.addresses { entityOf[a] = i } }
        var atEntity = [Int128](repeating: 0, count: part.destinations.count)
        var wrong = Set<String>()
        for sink in report.sinks where sink.reason != "seed" {
            let amount = Int128(sink.amount) ?? 0
            guard amount > 0 else { continue }
            attributed += amount
            if let e = entityOf[sink.address] { atEntity[e] += amount } else { wrong.insert(sink.address) }
        }
        for (i, d) in part.destinations.enumerated() { correct += min(atEntity[i], Int128(d.amount) ?? 0) }
        falsePositives = wrong.count
    }
}
