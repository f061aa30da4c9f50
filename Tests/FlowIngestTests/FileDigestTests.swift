import Crypto
@testable import FlowIngest
import Foundation
import Testing
import TestSupport

@Suite("File digests")
struct FileDigestTests {
    /// Digests worked out ahead — by the thread, or by the caller while it waits — are the files' SHA-256, whatever
    /// order they are asked for in; a missing file's error reaches the caller that asks for it, and only then.
    @Test func digestsAheadEqualDigestsOfTheFiles() throws {
        try withTemporaryDirectory { dir in
            var random = SeededRandom(seed: 0xD16E57)
            let sizes = [0, 1, 1 << 19, 3 << 18, 5_000, 1 << 19 + 17]
            var paths: [String] = []
            for (i, size) in sizes.enumerated() {
                let url = dir.appendingPathComponent("f\(i)")
                try Data((0..<size).map { _ in UInt8(truncatingIfNeeded: random.next()) }).write(to: url)
                paths.append(url.path)
            }
            let missing = dir.appendingPathComponent("missing").path
            func expected(_ path: String) throws -> String {
                SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { String(format: "%02x", $0) }.joined()
            }
            // Asked in order, in reverse (the caller works out what the thread has not started), and twice each.
            for order in [paths, Array(paths.reversed()), [paths[3], paths[0], paths[5], paths[1], paths[4], paths[2]]] {
                let ahead = FileDigest.Ahead(paths: paths + [missing, paths[2]])
                for path in order + order { #expect(try ahead.sha256Hex(path: path) == expected(path), "\(path)") }
                #expect(throws: IngestError.self) { try ahead.sha256Hex(path: missing) }
                let other = dir.appendingPathComponent("other")
                try Data("not in the list".utf8).write(to: other)
                #expect(try ahead.sha256Hex(path: other.path) == expected(other.path))
            }
        }
    }
}
