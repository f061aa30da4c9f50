import ArgumentParser

/// The `flowtrace` command: ingest on-chain data, query the store, trace funds.
public struct FlowTrace: ParsableCommand {
    public static let version = "0.1.0"
    public static let configuration = CommandConfiguration(
        commandName: "flowtrace",
        abstract: "Trace funds through Bitcoin and Ethereum transfers, exactly and with the evidence.",
        version: version,
        subcommands: [Ingest.self, Stats.self, Tx.self, AddressCommand.self, Compile.self, Labels.self, ClusterCommand.self, TraceCommand.self, PathCommand.self, ExportCommand.self, ReportCommand.self, CaseCommand.self, FixtureCommand.self, BenchCommand.self, DemoCommand.self]
    )
    public init() {}
}
