/* The headers io.panago.bindings.macos is generated from (macOS SDK; see README.md). */
#include <sys/types.h>
#include <sys/errno.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/fcntl.h>
#include <sys/poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>
#include <sys/sysctl.h>
#include <sys/ioctl.h>
