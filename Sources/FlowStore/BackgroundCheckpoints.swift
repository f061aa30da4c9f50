import Foundation

extension Store {
    /// Runs `body` (a bulk load) with the store's write-ahead log copied back into the database file by a thread of
    /// its own, on a connection of its own, instead of by the writer at each commit that finds the log long: the
    /// writer's commits then only append to the log. The copies are SQLite's passive checkpoints, which never
    /// block the writer and never copy frames a commit has not finished; what is left at the end is copied when
    /// the writer's connection next checkpoints (at the latest when it closes), as without this.
    /// A store being built aside keeps no log: `body` just runs.
    public func withCheckpointsInBackground<T>(_ body: () throws -> T) throws -> T {
        if isBuilding { return try body() }
        let checkpointer = try BackgroundCheckpointer(path: file)
        try db.execute("PRAGMA wal_autocheckpoint = 0")
        defer {
            checkpointer.stop()
            try? db.execute("PRAGMA wal_autocheckpoint = 1000")
        }
        return try body()
    }
}

/// The thread of ``Store/withCheckpointsInBackground(_:)``: a passive checkpoint every few milliseconds. One that
/// fails (another process holding the log, say) leaves its frames to the next, or to the writer's own checkpoint.
private final class BackgroundCheckpointer: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopping = false, stopped = false

    init(path: String) throws {
        nonisolated(unsafe) let db = try Database(path: path)
        Thread { [self] in
            condition.lock()
            while !stopping {
                condition.unlock()
                try? db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                condition.lock()
                if !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: 0.02)) }
            }
            stopped = true
            condition.broadcast()
            condition.unlock()
        }.start()
    }

    /// Stops the thread and waits for it (its connection closes with it).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }
}
