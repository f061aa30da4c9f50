#if canImport(Glibc)
import Glibc
#endif

/// Zero-filled scratch memory for the traversal kernels. Large blocks come from an anonymous mapping advised to
/// use transparent huge pages: the kernels scatter into arrays of several MB, where 4 KiB pages cost a TLB miss
/// (and a page fault on first touch) per access; the mapping is zero already, so nothing is cleared up front.
struct ZeroedMemory<T> {
    let buffer: UnsafeMutableBufferPointer<T>
    private let mappedBytes: Int

    init(count: Int) {
        let bytes = max(1, count) * MemoryLayout<T>.stride
        #if canImport(Glibc)
        if bytes >= 1 << 21, let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED {
            _ = madvise(p, bytes, MADV_HUGEPAGE)
            buffer = UnsafeMutableBufferPointer(start: p.bindMemory(to: T.self, capacity: max(1, count)), count: count)
            mappedBytes = bytes
            return
        }
        #endif
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, count))
        UnsafeMutableRawPointer(p).initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        buffer = UnsafeMutableBufferPointer(start: p, count: count)
        mappedBytes = 0
    }

    func release() {
        guard let base = buffer.baseAddress else { return }
        #if canImport(Glibc)
        if mappedBytes > 0 { munmap(UnsafeMutableRawPointer(base), mappedBytes); return }
        #endif
        base.deallocate()
    }
}
