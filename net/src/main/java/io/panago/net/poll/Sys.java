package io.panago.net.poll;

import io.panago.bindings.linux.Linux;
import io.panago.bindings.linux.LinuxErrno;
import io.panago.bindings.linux.linger;
import io.panago.bindings.linux.pollfd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Linux system calls behind {@link FD}, each returning its result or {@code -errno} (the
 * way the kernel itself reports failure), so callers branch on ints instead of catching.
 * Every call takes the errno capture segment (and any buffer) to use: {@link FD} keeps its own
 * native scratch memory, so no call allocates. (Not a confined arena per call: a goroutine
 * may resume on another carrier thread, and compiled code may even read a stale
 * {@code Thread.currentThread()} after a yield, so thread-confined memory is off limits.)
 * With {@link SockAddr} (struct layouts) and {@link Errors} (errno values) it is all of
 * {@code io.panago.net} that sees the bindings: an other OS is other siblings of these three.
 */
final class Sys {
    private Sys() {}

    static final int SOCK_STREAM = Linux.SOCK_STREAM();
    static final int SOCK_FLAGS = Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC();
    static final int SOL_SOCKET = Linux.SOL_SOCKET();
    static final int SO_REUSEADDR = Linux.SO_REUSEADDR();
    static final int SO_ERROR = Linux.SO_ERROR();
    static final int SO_KEEPALIVE = Linux.SO_KEEPALIVE();
    static final int SO_RCVBUF = Linux.SO_RCVBUF();
    static final int SO_SNDBUF = Linux.SO_SNDBUF();
    static final int SO_LINGER = Linux.SO_LINGER();
    static final int IPPROTO_TCP = Linux.IPPROTO_TCP();
    static final int TCP_NODELAY = Linux.TCP_NODELAY();
    static final int IPPROTO_IPV6 = Linux.IPPROTO_IPV6();
    static final int IPV6_V6ONLY = Linux.IPV6_V6ONLY();
    static final int SHUT_RD = Linux.SHUT_RD();
    static final int SHUT_WR = Linux.SHUT_WR();
    static final int MSG_NOSIGNAL = Linux.MSG_NOSIGNAL();
    static final short POLLIN = (short) Linux.POLLIN();
    static final short POLLOUT = (short) Linux.POLLOUT();
    static final int EFD_FLAGS = Linux.EFD_NONBLOCK() | Linux.EFD_CLOEXEC();
    static final int F_DUPFD_CLOEXEC = Linux.F_DUPFD_CLOEXEC();
    static final int SOMAXCONN = Linux.SOMAXCONN();

    /** Bytes of an errno capture segment. */
    static final long ERRNO_SIZE = LinuxErrno.captureLayout().byteSize();
    static final long LINGER_SIZE = linger.sizeof();

    private static int check(MemorySegment errno, int r) {
        return r < 0 ? -LinuxErrno.errno(errno) : r;
    }

    private static long check(MemorySegment errno, long r) {
        return r < 0 ? -LinuxErrno.errno(errno) : r;
    }

    static int socket(MemorySegment errno, int family) {
        return check(errno, LinuxErrno.socket(errno, family, SOCK_STREAM | SOCK_FLAGS, 0));
    }

    static int bind(MemorySegment errno, int fd, MemorySegment sa, int len) {
        return check(errno, LinuxErrno.bind(errno, fd, sa, len));
    }

    static int listen(MemorySegment errno, int fd, int backlog) {
        return check(errno, LinuxErrno.listen(errno, fd, backlog));
    }

    /** accept4 with no peer address wanted: the caller asks getpeername only if needed. */
    static int accept(MemorySegment errno, int fd) {
        return check(errno, LinuxErrno.accept4(errno, fd, MemorySegment.NULL,
                MemorySegment.NULL, SOCK_FLAGS));
    }

    static int connect(MemorySegment errno, int fd, MemorySegment sa, int len) {
        return check(errno, LinuxErrno.connect(errno, fd, sa, len));
    }

    /** read(2) straight into {@code b[off, off+len)}: a critical downcall, no copy. */
    static long read(MemorySegment errno, int fd, byte[] b, int off, int len) {
        return check(errno, LinuxErrno.readHeap(errno, fd,
                MemorySegment.ofArray(b).asSlice(off, len), len));
    }

    /** send(2) with MSG_NOSIGNAL straight from {@code b[off, off+len)}: EPIPE, never SIGPIPE. */
    static long send(MemorySegment errno, int fd, byte[] b, int off, int len) {
        return check(errno, LinuxErrno.sendHeap(errno, fd,
                MemorySegment.ofArray(b).asSlice(off, len), len, MSG_NOSIGNAL));
    }

    static int shutdown(MemorySegment errno, int fd, int how) {
        return check(errno, LinuxErrno.shutdown(errno, fd, how));
    }

    static int close(MemorySegment errno, int fd) {
        return check(errno, LinuxErrno.close(errno, fd));
    }

    static int dup(MemorySegment errno, int fd) {
        return check(errno, LinuxErrno.fcntl(errno, fd, F_DUPFD_CLOEXEC, 0));
    }

    static int setsockopt(MemorySegment errno, int fd, int level, int opt, MemorySegment val, int len) {
        return check(errno, LinuxErrno.setsockopt(errno, fd, level, opt, val, len));
    }

    /** getsockopt into {@code val}, its size passed (and returned) through {@code len}. */
    static int getsockopt(MemorySegment errno, int fd, int level, int opt, MemorySegment val,
            MemorySegment len) {
        len.set(ValueLayout.JAVA_INT, 0, (int) val.byteSize());
        return check(errno, LinuxErrno.getsockopt(errno, fd, level, opt, val, len));
    }

    /** getsockname ({@code peer} false) or getpeername into {@code sa}. */
    static int name(MemorySegment errno, int fd, boolean peer, MemorySegment sa, MemorySegment len) {
        len.set(ValueLayout.JAVA_INT, 0, (int) sa.byteSize());
        return check(errno, peer
                ? LinuxErrno.getpeername(errno, fd, sa, len)
                : LinuxErrno.getsockname(errno, fd, sa, len));
    }

    /** SO_LINGER through {@code l} (a {@code struct linger}): {@code seconds < 0} turns it off. */
    static int setLinger(MemorySegment errno, MemorySegment l, int fd, int seconds) {
        linger.l_onoff(l, seconds >= 0 ? 1 : 0);
        linger.l_linger(l, Math.max(seconds, 0));
        return setsockopt(errno, fd, SOL_SOCKET, SO_LINGER, l, (int) LINGER_SIZE);
    }

    /**
     * SO_LINGER's seconds, -1 when off, through {@code l}; an error is {@code -errno - 1}
     * (below -1).
     */
    static int getLinger(MemorySegment errno, MemorySegment l, MemorySegment len, int fd) {
        int r = getsockopt(errno, fd, SOL_SOCKET, SO_LINGER, l, len);
        if (r < 0) {
            return r - 1;
        }
        return linger.l_onoff(l) != 0 ? linger.l_linger(l) : -1;
    }

    static int eventfd(MemorySegment errno) {
        return check(errno, LinuxErrno.eventfd(errno, 0, EFD_FLAGS));
    }

    /** Adds 1 to eventfd {@code efd}'s counter, making it readable; {@code buf} is 8 bytes. */
    static void signal(MemorySegment errno, MemorySegment buf, int efd) {
        buf.set(ValueLayout.JAVA_LONG, 0, 1);
        LinuxErrno.write(errno, efd, buf, 8);
    }

    /** Resets eventfd {@code efd}'s counter to zero; {@code buf} is 8 bytes. */
    static void drain(MemorySegment errno, MemorySegment buf, int efd) {
        LinuxErrno.read(errno, efd, buf, 8);
    }

    /**
     * poll(2) on {@code fd} for {@code events} and on the wake-up eventfd {@code efd};
     * {@code fds} holds two {@code struct pollfd}. Returns a bit set (1: fd ready, 2: efd
     * readable), 0 on timeout, or -errno.
     */
    static int poll2(MemorySegment errno, MemorySegment fds, int fd, short events, int efd,
            int timeoutMillis) {
        long size = pollfd.sizeof();
        MemorySegment a = fds.asSlice(0, size), b = fds.asSlice(size, size);
        pollfd.fd(a, fd);
        pollfd.events(a, events);
        pollfd.revents(a, (short) 0);
        pollfd.fd(b, efd);
        pollfd.events(b, POLLIN);
        pollfd.revents(b, (short) 0);
        int r = check(errno, LinuxErrno.poll(errno, fds, 2, timeoutMillis));
        if (r <= 0) {
            return r;
        }
        return (pollfd.revents(a) != 0 ? 1 : 0) | (pollfd.revents(b) != 0 ? 2 : 0);
    }

    /** Bytes of the two {@code struct pollfd} {@link #poll2} takes. */
    static long poll2Size() {
        return 2 * pollfd.sizeof();
    }
}
