import Foundation

/// Wall-clock phase timings of one command, printed to stderr when `FLOWTRACE_TIMINGS` is set (for profiling the
/// end-to-end path; the figures are not part of any output format).
enum Timings {
    nonisolated(unsafe) private static var last: UInt64 = now()
    nonisolated(unsafe) private static var first: UInt64 = last
    static let isOn = ProcessInfo.processInfo.environment["FLOWTRACE_TIMINGS"] != nil

    private static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Prints the time since the previous mark (and since the first) under `name`.
    static func mark(_ name: @autoclosure () -> String) {
        guard isOn else { return }
        let (previous, start) = (last, first)  // initialised on first use, before `t`
        let t = now()
        FileHandle.standardError.write(String(format: "timing %-28@ %8.2f ms  (total %8.2f ms)\n", name() as NSString,
                                              Double(t - previous) / 1e6, Double(t - start) / 1e6).data(using: .utf8)!)
        last = t
    }
}
