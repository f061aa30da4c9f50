import Foundation

/// Whole-file reads for the small inputs read at once (JSON replies, label lists, TagPacks), naming the file in errors.
public enum InputFile {
    /// The file's bytes.
    /// - Throws: ``IngestError`` `missingFile` or `unreadable`, naming the file.
    public static func bytes(path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw IngestError(exists ? .unreadable : .missingFile, exists ? "cannot read the file" : "no such file", path: path)
        }
        return [UInt8](data)
    }
}
