import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing results only where the user said. A file output is written to a temporary file beside it and renamed
/// over the given path, so a symlink planted there is replaced (never followed), a failed write leaves the earlier
/// file intact, and nothing is written anywhere else. Directory outputs hold only files whose names FlowTrace
/// chose (never names taken from data such as labels).
enum OutputFiles {
    static func failure(_ path: String, _ message: String) -> CLIFailure {
        CLIFailure(message: "\(path): \(message)", exitCode: ExitStatus.cannotCreate)
    }

    /// Writes `data` to exactly `path` (see the type's notes). Refuses a directory at `path`.
    static func write(_ data: Data, to path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue, !isSymlink(path) {
            throw failure(path, "is a directory; give a file path")
        }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw failure(path, "its directory \(dir) does not exist")
        }
        let temporary = dir + "/." + url.lastPathComponent + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure(path, "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var ok = true
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = posixWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { ok = false; return }
                offset += n
            }
        }
        let code = errno
        if close(fd) != 0 { ok = false }
        guard ok, rename(temporary, path) == 0 else {
            let message = String(cString: strerror(ok ? errno : code))
            unlink(temporary)
            throw failure(path, "cannot write: \(message)")
        }
    }

    /// Makes `path` a directory for outputs (creating it and missing parents) and returns it.
    static func directory(_ path: String) throws -> URL {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw failure(path, "exists and is not a directory") }
        } else {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw failure(path, "cannot create the directory: \(error.localizedDescription)")
            }
        }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    /// Writes `data` as `name` inside `dir`. `name` is a relative path FlowTrace chose (components of letters,
    /// digits, `.`, `-`, `_`); a subdirectory in it is created, and one that is a symlink is refused.
    static func write(_ data: Data, named name: String, in dir: URL) throws {
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        precondition(!components.isEmpty && components.allSatisfy { c in
            !c.isEmpty && c != "." && c != ".." && c.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        }, "output names are FlowTrace's own: \(name)")
        var current = dir
        for c in components.dropLast() {
            current = current.appendingPathComponent(String(c), isDirectory: true)
            if isSymlink(current.path) { throw failure(current.path, "is a symbolic link; FlowTrace writes only inside \(dir.path)") }
            _ = try directory(current.path)
        }
        try write(data, to: current.appendingPathComponent(String(components.last!)).path)
    }

    static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }
}

private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
