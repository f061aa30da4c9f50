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
