import Dispatch
import FlowCore
import Foundation

/// Order-preserving parallel map over the machine's cores, for CPU-bound per-item work such as parsing blocks.
enum ParallelMap {
    /// Applies `transform` to every element concurrently; results keep the input order.
    /// - Complexity: O(n) work spread over `ProcessInfo.activeProcessorCount` threads.
    static func map<T, R>(_ items: [T], _ transform: @escaping @Sendable (T) -> R) -> [R] where T: Sendable, R: Sendable {
        guard items.count > 1 else { return items.map(transform) }
        let slots = ResultSlots<R>(count: items.count)
        let workers = min(items.count, max(1, ProcessInfo.processInfo.activeProcessorCount))
        let chunks = items.count
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var i = worker
            while i < chunks {
                slots.set(i, transform(items[i]))
                i += workers
            }
        }
        return slots.values()
    }
}

/// Write-once result slots shared by the workers of ``ParallelMap``; each index is written by exactly one worker.
private final class ResultSlots<R>: @unchecked Sendable {
    private var storage: [R?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: R) { lock.withLock { storage[i] = value } }
    func values() -> [R] {
        lock.withLock {
            let filled = storage.compactMap { $0 }
            precondition(filled.count == storage.count, "every slot is written before the workers return")
            return filled
        }
    }
}

extension RawBlockParser {
    /// Parses independent blocks on all cores; results keep the input order.
    public func parseBlocks(_ blocks: [[UInt8]]) -> [Result<BitcoinBlock, IngestError>] {
        ParallelMap.map(blocks) { bytes in
            do { return .success(try bytes.withUnsafeBytes { try self.parseBlock($0) }) } catch let e as IngestError {
                return .failure(e)
            } catch {
                return .failure(IngestError(.corrupt, "\(error)"))
            }
        }
    }
}
