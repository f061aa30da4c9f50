import Crypto
import Foundation

/// SHA-256 of files, streamed in 1 MiB pieces, for the ingest log and case manifests.
public enum FileDigest {
    /// Lower-case hex SHA-256 of the file at `path`.
    /// - Throws: ``IngestError`` `missing-file` or `unreadable`.
    public static func sha256Hex(path: String) throws -> String {
        let file = try FileStream(path: path)
        var hasher = SHA256()
        while true {
            let piece = try file.next(upTo: 1 << 20)
            if piece.isEmpty { break }
            hasher.update(bufferPointer: piece)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

extension FileDigest {
    /// Digests a run's files in order on a thread of its own, so a file's digest is ready (or nearly) when its
    /// turn comes while the file before it is being ingested. A caller waiting for a digest the thread is still
    /// working out digests the next files meanwhile, so two files are read at once.
    public final class Ahead: @unchecked Sendable {
        private let condition = NSCondition()
        private var results: [String: Result<String, Error>] = [:]
        private let paths: Set<String>
        /// The files no one has started on yet, in order (guarded by `condition`).
        private var queue: [String]

        public init(paths: [String]) {
            self.paths = Set(paths)
            var seen: Set<String> = []
            queue = paths.filter { seen.insert($0).inserted }
            let thread = Thread { [self] in
                while let path = claim() { digest(path) }
            }
            thread.start()
        }

        /// The next file no one has started on, now claimed; nil when there is none.
        private func claim() -> String? {
            condition.lock()
            defer { condition.unlock() }
            return queue.isEmpty ? nil : queue.removeFirst()
        }

        private func digest(_ path: String) {
            let result = Result { try FileDigest.sha256Hex(path: path) }
            condition.lock()
            results[path] = result
            condition.broadcast()
            condition.unlock()
        }

        /// The digest of `path` (one of the paths given), waiting for it; computed here for any other path.
        public func sha256Hex(path: String) throws -> String {
            guard paths.contains(path) else { return try FileDigest.sha256Hex(path: path) }
            condition.lock()
            defer { condition.unlock() }
            while results[path] == nil {
                // Not started yet: work it out here. Started on the thread: work out the next file meanwhile.
                let next = queue.firstIndex(of: path) ?? (queue.isEmpty ? nil : queue.startIndex)
                if let next {
                    let claimed = queue.remove(at: next)
                    condition.unlock()
                    digest(claimed)
                    condition.lock()
                } else {
                    condition.wait()
                }
            }
            return try results[path]!.get()
        }
    }
}
