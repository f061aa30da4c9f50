import Crypto
import Foundation

/// SHA-256 of files, streamed in 1 MiB pieces, for the ingest log and case manifests.
public enum FileDigest {
    /// Lower-case hex SHA-256 of the file at `path`.
    /// - Throws: ``IngestError`` `missing-file` or `unreadable`.
    public static func sha256Hex(path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw IngestError(exists ? .unreadable : .missingFile, exists ? "cannot open the file" : "no such file", path: path)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw IngestError(.unreadable, "read failed", path: path, underlying: "\(error)")
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

extension FileDigest {
    /// Digests a run's files in order on a thread of its own, so a file's digest is ready (or nearly) when its
    /// turn comes while the file before it is being ingested.
    public final class Ahead: @unchecked Sendable {
        private let condition = NSCondition()
        private var results: [String: Result<String, Error>] = [:]
        private let paths: Set<String>

        public init(paths: [String]) {
            self.paths = Set(paths)
            let thread = Thread { [self] in
                for path in paths {
                    let result = Result { try FileDigest.sha256Hex(path: path) }
                    condition.lock()
                    results[path] = result
                    condition.broadcast()
                    condition.unlock()
                }
            }
            thread.start()
        }

        /// The digest of `path` (one of the paths given), waiting for it; computed here for any other path.
        public func sha256Hex(path: String) throws -> String {
            guard paths.contains(path) else { return try FileDigest.sha256Hex(path: path) }
            condition.lock()
            defer { condition.unlock() }
            while results[path] == nil {
                condition.wait()
            }
            return try results[path]!.get()
        }
    }
}
