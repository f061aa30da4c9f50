// The target's only function is inline in include/CPrefetch.h; SwiftPM needs one source file to build the module.
#include "CPrefetch.h"
