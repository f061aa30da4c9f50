#ifndef FLOWTRACE_CPREFETCH_H
#define FLOWTRACE_CPREFETCH_H

/// Hints the CPU to fetch the cache line holding `address` for writing (kept in all cache levels). Swift has no
/// prefetch intrinsic; the traversal kernels use this to overlap the cache misses of their scattered additions.
static inline __attribute__((always_inline)) void flowtrace_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/// Hints the CPU to fetch the cache line holding `address` for reading (kept in all cache levels): lookups in a
/// table larger than the caches fetch the slots of the keys a few steps ahead.
static inline __attribute__((always_inline)) void flowtrace_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
