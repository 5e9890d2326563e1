#!/bin/sh
# Regenerates io.panago.bindings.macos with jextract (JDK 22 build, https://jdk.java.net/jextract/).
# Run on macOS (x86-64 or arm64) with the Xcode command line tools SDK. No --library: libSystem comes from the default lookup.
# Run from the repository root; then reapply the hand edits listed in bindings/jextract/README.md.
set -eu
exec jextract \
  --output bindings/src/main/java \
  --target-package io.panago.bindings.macos \
  --header-class-name Macos \
  --include-function kqueue --include-function kevent --include-function socket --include-function bind \
  --include-function listen --include-function accept --include-function connect --include-function getsockname \
  --include-function getpeername --include-function setsockopt --include-function getsockopt --include-function shutdown \
  --include-function close --include-function read --include-function write --include-function readv \
  --include-function writev --include-function recv --include-function send --include-function dup \
  --include-function pipe \
  --include-function fcntl --include-function ioctl --include-function poll --include-function sysctlbyname --include-function __error \
  --include-struct kevent --include-struct timespec --include-struct in_addr --include-struct in6_addr \
  --include-struct sockaddr --include-struct sockaddr_in --include-struct sockaddr_in6 --include-struct sockaddr_storage \
  --include-struct iovec --include-struct pollfd --include-struct linger \
  --include-typedef size_t --include-typedef ssize_t --include-typedef socklen_t --include-typedef sa_family_t --include-typedef in_port_t \
  --include-typedef in_addr_t --include-typedef nfds_t \
  --include-constant EPERM --include-constant ENOENT --include-constant ESRCH --include-constant EINTR \
  --include-constant EIO --include-constant ENXIO --include-constant E2BIG --include-constant EBADF \
  --include-constant ECHILD --include-constant EDEADLK --include-constant ENOMEM --include-constant EACCES \
  --include-constant EFAULT --include-constant EBUSY --include-constant EEXIST --include-constant ENODEV \
  --include-constant ENOTDIR --include-constant EISDIR --include-constant EINVAL --include-constant ENFILE \
  --include-constant EMFILE --include-constant ENOTTY --include-constant EFBIG --include-constant ENOSPC \
  --include-constant ESPIPE --include-constant EROFS --include-constant EPIPE --include-constant ERANGE \
  --include-constant EAGAIN --include-constant EWOULDBLOCK --include-constant EINPROGRESS --include-constant EALREADY \
  --include-constant ENOTSOCK --include-constant EDESTADDRREQ --include-constant EMSGSIZE --include-constant EPROTOTYPE \
  --include-constant ENOPROTOOPT --include-constant EPROTONOSUPPORT --include-constant ESOCKTNOSUPPORT --include-constant ENOTSUP \
  --include-constant EPFNOSUPPORT --include-constant EAFNOSUPPORT --include-constant EADDRINUSE --include-constant EADDRNOTAVAIL \
  --include-constant ENETDOWN --include-constant ENETUNREACH --include-constant ENETRESET --include-constant ECONNABORTED \
  --include-constant ECONNRESET --include-constant ENOBUFS --include-constant EISCONN --include-constant ENOTCONN \
  --include-constant ESHUTDOWN --include-constant ETIMEDOUT --include-constant ECONNREFUSED --include-constant ELOOP \
  --include-constant ENAMETOOLONG --include-constant EHOSTDOWN --include-constant EHOSTUNREACH --include-constant ENOTEMPTY \
  --include-constant ENOSYS --include-constant EOVERFLOW --include-constant ECANCELED --include-constant EPROTO \
  --include-constant ETIME --include-constant EOPNOTSUPP --include-constant EVFILT_READ --include-constant EVFILT_WRITE \
  --include-constant EVFILT_AIO --include-constant EVFILT_VNODE --include-constant EVFILT_PROC --include-constant EVFILT_SIGNAL \
  --include-constant EVFILT_TIMER --include-constant EVFILT_MACHPORT --include-constant EVFILT_FS --include-constant EVFILT_USER \
  --include-constant EVFILT_VM --include-constant EVFILT_EXCEPT --include-constant EV_ADD --include-constant EV_DELETE \
  --include-constant EV_ENABLE --include-constant EV_DISABLE --include-constant EV_ONESHOT --include-constant EV_CLEAR \
  --include-constant EV_RECEIPT --include-constant EV_DISPATCH --include-constant EV_UDATA_SPECIFIC --include-constant EV_VANISHED \
  --include-constant EV_SYSFLAGS --include-constant EV_FLAG0 --include-constant EV_FLAG1 --include-constant EV_EOF \
  --include-constant EV_ERROR --include-constant EV_OOBAND --include-constant EV_POLL --include-constant NOTE_TRIGGER \
  --include-constant NOTE_FFNOP --include-constant NOTE_FFAND --include-constant NOTE_FFOR --include-constant NOTE_FFCOPY \
  --include-constant NOTE_FFCTRLMASK --include-constant NOTE_FFLAGSMASK --include-constant NOTE_LOWAT --include-constant AF_UNSPEC \
  --include-constant AF_UNIX --include-constant AF_INET --include-constant AF_INET6 --include-constant SOCK_STREAM \
  --include-constant SOCK_DGRAM --include-constant SOCK_RAW --include-constant SOL_SOCKET --include-constant SO_ACCEPTCONN \
  --include-constant SO_REUSEADDR --include-constant SO_KEEPALIVE --include-constant SO_BROADCAST --include-constant SO_LINGER \
  --include-constant SO_REUSEPORT --include-constant SO_SNDBUF --include-constant SO_RCVBUF --include-constant SO_SNDLOWAT \
  --include-constant SO_RCVLOWAT --include-constant SO_ERROR --include-constant SO_TYPE --include-constant SO_NOSIGPIPE \
  --include-constant SO_LINGER_SEC --include-constant SOMAXCONN --include-constant MSG_PEEK --include-constant MSG_WAITALL \
  --include-constant MSG_DONTWAIT --include-constant MSG_NOSIGNAL --include-constant SHUT_RD --include-constant SHUT_WR \
  --include-constant SHUT_RDWR --include-constant IPPROTO_IP --include-constant IPPROTO_TCP --include-constant IPPROTO_UDP \
  --include-constant IPPROTO_IPV6 --include-constant IPV6_V6ONLY --include-constant INADDR_ANY --include-constant INADDR_LOOPBACK \
  --include-constant INET_ADDRSTRLEN --include-constant INET6_ADDRSTRLEN --include-constant TCP_NODELAY --include-constant TCP_KEEPALIVE \
  --include-constant TCP_KEEPINTVL --include-constant TCP_KEEPCNT --include-constant O_RDONLY --include-constant O_WRONLY \
  --include-constant O_RDWR --include-constant O_NONBLOCK --include-constant O_CLOEXEC --include-constant F_DUPFD \
  --include-constant F_GETFD --include-constant F_SETFD --include-constant F_GETFL --include-constant F_SETFL \
  --include-constant F_DUPFD_CLOEXEC --include-constant FD_CLOEXEC --include-constant POLLIN --include-constant POLLPRI \
  --include-constant POLLOUT --include-constant POLLERR --include-constant POLLHUP --include-constant POLLNVAL \
  --include-constant FIONREAD \
  bindings/jextract/macos.h
