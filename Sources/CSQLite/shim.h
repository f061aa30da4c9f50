#include <sqlite3.h>

/// Turns off SQLite's memory statistics, which take a global mutex around every allocation (FlowTrace reads none
/// of them). Takes effect only before SQLite initialises, so it is called before the first connection opens.
static inline int flowtrace_sqlite3_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

/// Linux's sync_file_range(2), declared by glibc only under _GNU_SOURCE (which Swift's Glibc module is not built
/// with); the symbol is always there.
extern int sync_file_range(int fd, long long offset, long long nbytes, unsigned int flags);

/// Starts writing the file's dirty pages to its disk without waiting for them (SYNC_FILE_RANGE_WRITE), so that a
/// later fsync finds less to write.
static inline int flowtrace_start_writeback(int fd) { return sync_file_range(fd, 0, 0, 2); }
