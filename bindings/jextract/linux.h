/* The headers io.panago.bindings.linux is generated from (glibc, x86-64; see README.md).
 * The layout test (LinuxLayoutProbeTest) compiles its probe against this same file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <linux/io_uring.h>
