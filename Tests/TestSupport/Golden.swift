import Foundation
import Testing

/// Compares `actual` with the golden file `Fixtures/golden/<name>`; `RECORD_GOLDENS=1` re-records it instead.
public func expectGolden(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let url = Paths.fixtures.appendingPathComponent("golden").appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["RECORD_GOLDENS"] == "1" {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? actual.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record("golden file \(name) is missing; run with RECORD_GOLDENS=1 to record it", sourceLocation: sourceLocation)
        return
    }
    #expect(actual == expected, "output differs from golden file \(name)", sourceLocation: sourceLocation)
}
