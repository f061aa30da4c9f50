import ArgumentParser
import Foundation

/// How results are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// The `--format` / `--json` options shared by query commands.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(help: "Shorthand for --format json.")
    var json = false

    var isJSON: Bool { json || format == .json }
}

/// Wraps a result so its JSON carries `schemaVersion` next to the result's own keys.
struct Versioned<T: Encodable>: Encodable {
    static var outputSchemaVersion: Int { 1 }
    var value: T
    enum Key: String, CodingKey { case schemaVersion }
    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(Self.outputSchemaVersion, forKey: .schemaVersion)
    }
}

/// Encodes `value` as pretty, key-sorted JSON with `schemaVersion`, followed by a newline.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    let data = try encoder.encode(Versioned(value: value))
    return String(decoding: data, as: UTF8.self) + "\n"
}
