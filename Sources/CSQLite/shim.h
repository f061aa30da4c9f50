#include <sqlite3.h>

/// Turns off SQLite's memory statistics, which take a global mutex around every allocation (FlowTrace reads none
/// of them). Takes effect only before SQLite initialises, so it is called before the first connection opens.
static inline int flowtrace_sqlite3_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
