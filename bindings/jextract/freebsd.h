/* The headers io.panago.bindings.freebsd is generated from (FreeBSD 12+; see README.md). */
#include <sys/types.h>
#include <sys/event.h>
