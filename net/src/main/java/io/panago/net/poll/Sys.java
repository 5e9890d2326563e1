package io.panago.net.poll;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The system calls behind {@link FD}, each returning its result or {@code -errno} (the way
 * the kernel itself reports failure), so callers branch on ints instead of catching. Every
 * call takes the errno capture segment (and any buffer) to use: {@link FD} keeps its own
 * native scratch memory, so no call allocates. (Not a confined arena per call: a goroutine
 * may resume on another carrier thread, and compiled code may even read a stale
 * {@code Thread.currentThread()} after a yield, so thread-confined memory is off limits.)
 * With {@link SockAddr} (struct layouts) and {@link Errors} (errno values) it is all of
 * {@code io.panago.net} that sees the bindings.
 *
 * <p>The OS is chosen once, when this class initialises, from {@code os.name}: {@link SysLinux}
 * or {@link SysMacos} (Go: syscall's per-GOOS files), each a small set of the same calls
 * ({@link Os}) plus the constants of its headers under the same names; on any other OS this
 * class fails to load, naming the OS. The choice is a {@code static final}, so the JIT sees
 * one implementation and inlines it.
 */
final class Sys {
    private Sys() {}

    /** Whether this is macOS (Darwin); Linux otherwise. */
    static final boolean MACOS = System.getProperty("os.name", "").startsWith("Mac");

    /** The calls of one OS; errors come back as {@code -errno} in that OS's numbering. */
    interface Os {
        /** A non-blocking, close-on-exec stream socket of {@code family}. */
        int socket(MemorySegment errno, int family);

        /** accept with no peer address wanted: non-blocking and close-on-exec, as socket. */
        int accept(MemorySegment errno, int fd);

        int bind(MemorySegment errno, int fd, MemorySegment sa, int len);

        int listen(MemorySegment errno, int fd, int backlog);

        int connect(MemorySegment errno, int fd, MemorySegment sa, int len);

        /** read(2) straight into the heap slice {@code b}: a critical downcall, no copy. */
        long read(MemorySegment errno, int fd, MemorySegment b, int len);

        /** send(2) from the heap slice {@code b}: a closed peer is EPIPE, never SIGPIPE. */
        long send(MemorySegment errno, int fd, MemorySegment b, int len);

        int shutdown(MemorySegment errno, int fd, int how);

        int close(MemorySegment errno, int fd);

        int fcntl(MemorySegment errno, int fd, int cmd, int arg);

        int setsockopt(MemorySegment errno, int fd, int level, int opt, MemorySegment val, int len);

        int getsockopt(MemorySegment errno, int fd, int level, int opt, MemorySegment val, MemorySegment len);

        int getsockname(MemorySegment errno, int fd, MemorySegment sa, MemorySegment len);

        int getpeername(MemorySegment errno, int fd, MemorySegment sa, MemorySegment len);

        int poll(MemorySegment errno, MemorySegment fds, int nfds, int timeoutMillis);

        /** A wake-up descriptor: readable after {@link #signal} until {@link #drain}. */
        int wakeFd(MemorySegment errno);

        void signal(MemorySegment errno, MemorySegment buf, int wfd);

        void drain(MemorySegment errno, MemorySegment buf, int wfd);
    }

    private static final Os OS = select(System.getProperty("os.name", ""));

    /**
     * The calls of OS {@code osName} ({@code os.name}'s value).
     *
     * @throws UnsupportedOperationException for an OS with no socket calls here: loading this
     *     class fails with that as the cause, rather than with a missing libc symbol later
     */
    static Os select(String osName) {
        if (osName.startsWith("Mac")) {
            return new SysMacos();
        }
        if (osName.startsWith("Linux")) {
            return new SysLinux();
        }
        throw new UnsupportedOperationException("io.panago.net has socket calls for Linux and macOS, not "
                + osName);
    }

    static final int SOCK_FLAGS = MACOS ? SysMacos.SOCK_FLAGS : SysLinux.SOCK_FLAGS;
    static final int SOL_SOCKET = MACOS ? SysMacos.SOL_SOCKET : SysLinux.SOL_SOCKET;
    static final int SO_REUSEADDR = MACOS ? SysMacos.SO_REUSEADDR : SysLinux.SO_REUSEADDR;
    static final int SO_ERROR = MACOS ? SysMacos.SO_ERROR : SysLinux.SO_ERROR;
    static final int SO_KEEPALIVE = MACOS ? SysMacos.SO_KEEPALIVE : SysLinux.SO_KEEPALIVE;
    static final int SO_RCVBUF = MACOS ? SysMacos.SO_RCVBUF : SysLinux.SO_RCVBUF;
    static final int SO_SNDBUF = MACOS ? SysMacos.SO_SNDBUF : SysLinux.SO_SNDBUF;
    /** SO_LINGER in seconds: macOS's SO_LINGER counts clock ticks, its SO_LINGER_SEC seconds. */
    static final int SO_LINGER = MACOS ? SysMacos.SO_LINGER_SEC : SysLinux.SO_LINGER;
    static final int IPPROTO_TCP = MACOS ? SysMacos.IPPROTO_TCP : SysLinux.IPPROTO_TCP;
    static final int TCP_NODELAY = MACOS ? SysMacos.TCP_NODELAY : SysLinux.TCP_NODELAY;
    static final int IPPROTO_IPV6 = MACOS ? SysMacos.IPPROTO_IPV6 : SysLinux.IPPROTO_IPV6;
    static final int IPV6_V6ONLY = MACOS ? SysMacos.IPV6_V6ONLY : SysLinux.IPV6_V6ONLY;
    static final int SHUT_RD = MACOS ? SysMacos.SHUT_RD : SysLinux.SHUT_RD;
    static final int SHUT_WR = MACOS ? SysMacos.SHUT_WR : SysLinux.SHUT_WR;
    static final short POLLIN = MACOS ? SysMacos.POLLIN : SysLinux.POLLIN;
    static final short POLLOUT = MACOS ? SysMacos.POLLOUT : SysLinux.POLLOUT;
    static final int F_DUPFD_CLOEXEC = MACOS ? SysMacos.F_DUPFD_CLOEXEC : SysLinux.F_DUPFD_CLOEXEC;
    static final int SOMAXCONN = MACOS ? SysMacos.SOMAXCONN : SysLinux.SOMAXCONN;

    /** Bytes of an errno capture segment. */
    static final long ERRNO_SIZE = MACOS ? SysMacos.ERRNO_SIZE : SysLinux.ERRNO_SIZE;
    /** Bytes of a {@code struct linger} ({@code int l_onoff; int l_linger;} on both OSes). */
    static final long LINGER_SIZE = MACOS ? SysMacos.LINGER_SIZE : SysLinux.LINGER_SIZE;
    private static final long L_ONOFF = MACOS ? SysMacos.L_ONOFF : SysLinux.L_ONOFF;
    private static final long L_LINGER = MACOS ? SysMacos.L_LINGER : SysLinux.L_LINGER;
    /** {@code struct pollfd} ({@code int fd; short events; short revents;} on both OSes). */
    private static final long POLLFD_SIZE = MACOS ? SysMacos.POLLFD_SIZE : SysLinux.POLLFD_SIZE;
    private static final long PFD_FD = MACOS ? SysMacos.PFD_FD : SysLinux.PFD_FD;
    private static final long PFD_EVENTS = MACOS ? SysMacos.PFD_EVENTS : SysLinux.PFD_EVENTS;
    private static final long PFD_REVENTS = MACOS ? SysMacos.PFD_REVENTS : SysLinux.PFD_REVENTS;

    static int socket(MemorySegment errno, int family) {
        return OS.socket(errno, family);
    }

    static int bind(MemorySegment errno, int fd, MemorySegment sa, int len) {
        return OS.bind(errno, fd, sa, len);
    }

    static int listen(MemorySegment errno, int fd, int backlog) {
        return OS.listen(errno, fd, backlog);
    }

    /** accept with no peer address wanted: the caller asks getpeername only if needed. */
    static int accept(MemorySegment errno, int fd) {
        return OS.accept(errno, fd);
    }

    static int connect(MemorySegment errno, int fd, MemorySegment sa, int len) {
        return OS.connect(errno, fd, sa, len);
    }

    /** read(2) straight into {@code b[off, off+len)}: a critical downcall, no copy. */
    static long read(MemorySegment errno, int fd, byte[] b, int off, int len) {
        return OS.read(errno, fd, MemorySegment.ofArray(b).asSlice(off, len), len);
    }

    /** send(2) straight from {@code b[off, off+len)}: EPIPE, never SIGPIPE. */
    static long send(MemorySegment errno, int fd, byte[] b, int off, int len) {
        return OS.send(errno, fd, MemorySegment.ofArray(b).asSlice(off, len), len);
    }

    static int shutdown(MemorySegment errno, int fd, int how) {
        return OS.shutdown(errno, fd, how);
    }

    /** close(2); for a wake-up descriptor of {@link #eventfd} also whatever else it holds. */
    static int close(MemorySegment errno, int fd) {
        return OS.close(errno, fd);
    }

    static int dup(MemorySegment errno, int fd) {
        return OS.fcntl(errno, fd, F_DUPFD_CLOEXEC, 0);
    }

    static int setsockopt(MemorySegment errno, int fd, int level, int opt, MemorySegment val, int len) {
        return OS.setsockopt(errno, fd, level, opt, val, len);
    }

    /** getsockopt into {@code val}, its size passed (and returned) through {@code len}. */
    static int getsockopt(MemorySegment errno, int fd, int level, int opt, MemorySegment val,
            MemorySegment len) {
        len.set(ValueLayout.JAVA_INT, 0, (int) val.byteSize());
        return OS.getsockopt(errno, fd, level, opt, val, len);
    }

    /** getsockname ({@code peer} false) or getpeername into {@code sa}. */
    static int name(MemorySegment errno, int fd, boolean peer, MemorySegment sa, MemorySegment len) {
        len.set(ValueLayout.JAVA_INT, 0, (int) sa.byteSize());
        return peer ? OS.getpeername(errno, fd, sa, len) : OS.getsockname(errno, fd, sa, len);
    }

    /** SO_LINGER through {@code l} (a {@code struct linger}): {@code seconds < 0} turns it off. */
    static int setLinger(MemorySegment errno, MemorySegment l, int fd, int seconds) {
        l.set(ValueLayout.JAVA_INT, L_ONOFF, seconds >= 0 ? 1 : 0);
        l.set(ValueLayout.JAVA_INT, L_LINGER, Math.max(seconds, 0));
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
        return l.get(ValueLayout.JAVA_INT, L_ONOFF) != 0 ? l.get(ValueLayout.JAVA_INT, L_LINGER) : -1;
    }

    /**
     * A wake-up descriptor for a thread waiting in {@link #poll2}: an eventfd on Linux, the
     * read end of a pipe on macOS (whose write end {@link #close} closes with it).
     */
    static int eventfd(MemorySegment errno) {
        return OS.wakeFd(errno);
    }

    /** Makes wake-up descriptor {@code efd} readable; {@code buf} is 8 bytes. */
    static void signal(MemorySegment errno, MemorySegment buf, int efd) {
        OS.signal(errno, buf, efd);
    }

    /** Makes wake-up descriptor {@code efd} unreadable again; {@code buf} is 8 bytes. */
    static void drain(MemorySegment errno, MemorySegment buf, int efd) {
        OS.drain(errno, buf, efd);
    }

    /**
     * poll(2) on {@code fd} for {@code events} and on the wake-up descriptor {@code efd};
     * {@code fds} holds two {@code struct pollfd}. Returns a bit set (1: fd ready, 2: efd
     * readable), 0 on timeout, or -errno.
     */
    static int poll2(MemorySegment errno, MemorySegment fds, int fd, short events, int efd,
            int timeoutMillis) {
        fds.set(ValueLayout.JAVA_INT, PFD_FD, fd);
        fds.set(ValueLayout.JAVA_SHORT, PFD_EVENTS, events);
        fds.set(ValueLayout.JAVA_SHORT, PFD_REVENTS, (short) 0);
        fds.set(ValueLayout.JAVA_INT, POLLFD_SIZE + PFD_FD, efd);
        fds.set(ValueLayout.JAVA_SHORT, POLLFD_SIZE + PFD_EVENTS, POLLIN);
        fds.set(ValueLayout.JAVA_SHORT, POLLFD_SIZE + PFD_REVENTS, (short) 0);
        int r = OS.poll(errno, fds, 2, timeoutMillis);
        if (r <= 0) {
            return r;
        }
        return (fds.get(ValueLayout.JAVA_SHORT, PFD_REVENTS) != 0 ? 1 : 0)
                | (fds.get(ValueLayout.JAVA_SHORT, POLLFD_SIZE + PFD_REVENTS) != 0 ? 2 : 0);
    }

    /** Bytes of the two {@code struct pollfd} {@link #poll2} takes. */
    static long poll2Size() {
        return 2 * POLLFD_SIZE;
    }
}
