import Foundation

/// Two-stage pipelines: one thread produces while the caller's consumes.
public enum Pipeline {
    /// Runs `produce` on a second thread, handing what it pushes to `consume` on this one, in order, while it
    /// produces the next (at most four waiting). An error thrown by `produce` reaches the caller after everything
    /// pushed before it; an error thrown by `consume` stops the producer.
    public static func produceOnThread<T>(_ produce: @escaping (_ push: (T) throws -> Void) throws -> Void,
                                          consume: (T) throws -> Void) throws {
        let channel = ProducerChannel<T>(), capacity = 4
        nonisolated(unsafe) let produce = produce
        let producer = Thread {
            func push(_ item: T) throws {
                channel.condition.lock()
                defer { channel.condition.unlock() }
                while channel.queue.count >= capacity && !channel.cancelled { channel.condition.wait() }
                if channel.cancelled { throw ProducerCancelled() }
                channel.queue.append(item)
                channel.condition.broadcast()
            }
            do {
                try produce(push)
            } catch is ProducerCancelled {
            } catch {
                channel.condition.lock(); channel.failure = error; channel.condition.unlock()
            }
            channel.condition.lock(); channel.finished = true; channel.condition.broadcast(); channel.condition.unlock()
        }
        producer.start()
        while true {
            channel.condition.lock()
            while channel.queue.isEmpty && !channel.finished { channel.condition.wait() }
            if channel.queue.isEmpty {
                let failure = channel.failure
                channel.condition.unlock()
                if let failure { throw failure }
                return
            }
            let next = channel.queue.removeFirst()
            channel.condition.broadcast()
            channel.condition.unlock()
            do {
                try consume(next)
            } catch {
                channel.condition.lock()
                channel.cancelled = true
                channel.condition.broadcast()
                while !channel.finished { channel.condition.wait() }
                channel.condition.unlock()
                throw error
            }
        }
    }
}

/// The queue between ``Pipeline/produceOnThread(_:consume:)``'s two threads (guarded by its condition).
private final class ProducerChannel<T>: @unchecked Sendable {
    let condition = NSCondition()
    var queue: [T] = []
    var finished = false, cancelled = false
    var failure: Error?
}

private struct ProducerCancelled: Error {}
