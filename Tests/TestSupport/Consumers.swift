import Foundation

/// The outside programs some tests hand our files to (Graphviz, networkx). Where they are missing those tests are
/// skipped, unless `FLOWTRACE_REQUIRE_CONSUMERS` or `CI` is set (`.ci/run` installs them and sets the first),
/// in which case a missing program fails the test instead.
public enum Consumers {
    public static let required: Bool = {
        let env = ProcessInfo.processInfo.environment
        return env["FLOWTRACE_REQUIRE_CONSUMERS"] != nil || env["CI"] != nil
    }()

    /// The first executable `name` on PATH.
    public static func executable(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") where !dir.isEmpty {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
