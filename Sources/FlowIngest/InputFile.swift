import Foundation
import Glibc

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

/// A file streamed with read(2), for the large inputs read piece by piece (CSV, JSON Lines, digests). Foundation's
/// `FileHandle.read(upToCount:)` reads a regular file 4 KiB per system call and hands back a new `Data`; this reads the
/// size asked in one call into a buffer of its own, which the caller reads in place or appends from. A failed read is
/// an error naming the file and the byte offset it was reading at, never an early end of the file.
public final class FileStream {
    public let path: String
    private var fd: Int32
    /// Bytes read so far: the offset of the next read.
    public private(set) var offset = 0

    /// - Throws: ``IngestError`` `missingFile` or `unreadable`, naming the file.
    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            let exists = FileManager.default.fileExists(atPath: path)
            throw IngestError(exists ? .unreadable : .missingFile, exists ? "cannot open the file" : "no such file", path: path,
                              underlying: exists ? reason : nil)
        }
    }

    deinit { close(); scratch.deallocate() }

    /// Closes the file (reads after this find its end). Safe to call more than once.
    public func close() {
        if fd >= 0 { _ = Glibc.close(fd); fd = -1 }
    }

    /// Where reads land. Appending only the bytes read costs one copy of them, where growing the caller's array first
    /// would fill the whole piece (1 MiB, for a file of a few bytes) with zeros.
    private var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    /// The next piece of the file, up to `count` bytes, empty at its end; valid until the next read.
    /// - Throws: ``IngestError`` `unreadable` with the byte offset of the read that failed.
    public func next(upTo count: Int) throws -> UnsafeRawBufferPointer {
        guard fd >= 0, count > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if scratch.count < count {
            scratch.deallocate()
            scratch = .allocate(byteCount: count, alignment: 16)
        }
        var got = 0
        while true {
            got = Glibc.read(fd, scratch.baseAddress!, count)
            if got >= 0 || errno != EINTR { break }
        }
        guard got >= 0 else {
            throw IngestError(.unreadable, "read failed", path: path, byteOffset: offset, underlying: String(cString: strerror(errno)))
        }
        offset += got
        return UnsafeRawBufferPointer(rebasing: scratch[..<got])
    }

    /// Appends up to `count` bytes of the file to `buffer`; 0 at the end of the file.
    /// - Throws: ``IngestError`` `unreadable` with the byte offset of the read that failed.
    @discardableResult
    public func read(appendingTo buffer: inout [UInt8], upTo count: Int) throws -> Int {
        let piece = try next(upTo: count)
        buffer.append(contentsOf: piece)
        return piece.count
    }
}
