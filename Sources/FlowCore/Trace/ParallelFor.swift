import Dispatch

/// A value handed to worker threads as is; whoever wraps it guarantees the workers touch disjoint memory.
struct UncheckedSendable<T>: @unchecked Sendable { let value: T }

/// Runs `body(i)` for every i in `0 ..< count` on the system's worker threads and returns when all are done.
/// The iterations must touch disjoint memory (each worker its own output arrays and its own range of the input).
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    guard count > 1 else { if count == 1 { body(0) }; return }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(value: body)
        DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
    }
}
