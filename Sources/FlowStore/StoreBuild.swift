import CSQLite
import Foundation
import Glibc

/// A new store built aside, in `PATH-building` next to its place, and moved to `PATH` when complete.
///
/// A store written in place keeps every commit in a write-ahead log that is later copied into the file: each page is
/// written twice, and on a bulk load of an Ethereum export the log grows to the size of the store (its copy never
/// catches up with the writer). A store that does not exist yet needs none of that: nothing in it can be lost, so
/// it is written once, without a log, its rollback journal in memory (a failed batch still rolls back), and nothing
/// synced until the end. Then it is synced, linked to its place (which fails, rather than replace anything, if a
/// file appeared there meanwhile), its directory synced, and switched to a write-ahead log like every store.
///
/// A run killed before the end leaves no store at `PATH`: only the build file, which the next build removes. While
/// a build runs it holds an exclusive `flock` on the build file, so a second build of the same store is refused.
final class StoreBuild {
    let target: String
    let path: String
    /// The build file, open for its lock and its final sync.
    private var fd: Int32

    private init(target: String, path: String, fd: Int32) {
        self.target = target; self.path = path; self.fd = fd
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Claims the build file of `target`: removes a stale one (a killed build's, which no process holds) and creates it
    /// anew, locked. - Throws: ``StoreError`` busy when another build holds it.
    static func claim(target: String) throws -> StoreBuild {
        let path = target + "-building"
        func failure(_ what: String) -> StoreError {
            StoreError(resultCode: 14, message: "\(what): \(String(cString: strerror(errno)))", path: path)
        }
        let busy = StoreError(resultCode: 5, message: "another ingest is building a new store for \(target) here", path: path)
        let stale = open(path, O_RDONLY | O_CLOEXEC)
        if stale >= 0 {
            defer { Glibc.close(stale) }
            guard flock(stale, LOCK_EX | LOCK_NB) == 0 else { throw busy }
            // A killed build's file, or a hard link a build left after placing its store: unlinked, never truncated.
            for suffix in ["", "-journal", "-wal", "-shm"] where unlink(path + suffix) != 0 && errno != ENOENT {
                throw failure("cannot remove the file a killed build left")
            }
        }
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw errno == EEXIST ? busy : failure("cannot create the build file") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw busy
        }
        return StoreBuild(target: target, path: path, fd: fd)
    }

    /// Starts writing what the build file's commits left in the page cache to the disk, without waiting: the final
    /// sync then has less left to write (the kernel would otherwise keep it all until then).
    func startWriteback() {
        if fd >= 0 { _ = flowtrace_start_writeback(fd) }
    }

    /// Syncs the build file (its connection closed), gives it its place, syncs the directory, and lets go of the lock.
    func place() throws {
        guard fsync(fd) == 0 else { throw StoreError(resultCode: 10, message: "cannot sync the built store: \(String(cString: strerror(errno)))", path: path) }
        func failure(_ code: Int32) -> StoreError {
            code == EEXIST
                ? StoreError(resultCode: 5, message: "a file appeared at \(target) while the new store was being built; the built store is kept here",
                             path: path)
                : StoreError(resultCode: 10, message: "cannot move the built store to \(target): \(String(cString: strerror(code)))", path: path)
        }
        if link(path, target) == 0 {
            _ = unlink(path)
        } else {
            let code = errno
            // A file system without hard links: renamed instead, when nothing is there (only the instant between the
            // check and the rename is left for a file to appear and be replaced).
            guard code == EPERM || code == EOPNOTSUPP else { throw failure(code) }
            if FileManager.default.fileExists(atPath: target) { throw failure(EEXIST) }
            guard rename(path, target) == 0 else { throw failure(errno) }
        }
        let parent = (target as NSString).deletingLastPathComponent
        let directory = open(parent.isEmpty ? "." : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 { _ = fsync(directory); Glibc.close(directory) }
        Glibc.close(fd)
        fd = -1
    }
}

extension Store {
    /// Opens a new store to build aside (``StoreBuild``) when nothing is at `path`; nil when something is (open that
    /// with ``init(path:readOnly:)``). Finish with ``completeBuild()``.
    /// - Throws: ``StoreError`` busy when another ingest is building a store for `path`.
    public static func beginBuild(at path: String) throws -> Store? {
        guard !FileManager.default.fileExists(atPath: path) else { return nil }
        let build = try StoreBuild.claim(target: path)
        return try Store(path: build.path, readOnly: false, build: build)
    }

    /// True while this store is a new one being built aside.
    public var isBuilding: Bool { build != nil }

    /// Moves a store built aside to its place (see ``StoreBuild``) and closes it: nothing may use this `Store`
    /// afterwards (open the store at its path). Does nothing for a store opened in place.
    /// - Throws: ``StoreError`` when the store cannot be synced or placed (a file appeared at its path meanwhile: it
    ///   is then kept at its build path, named in the error).
    public func completeBuild() throws {
        guard let build else { return }
        self.build = nil
        db.close()
        try build.place()
        // Every store keeps a write-ahead log, so that readers never wait on a writer: the mode is a property of
        // the file, set once here.
        let placed = try Database(path: build.target)
        try placed.execute("PRAGMA journal_mode=WAL")
        placed.close()
    }
}
