package io.panago.net.poll;

import io.panago.bindings.macos.Macos;
import io.panago.bindings.macos.MacosErrno;
import io.panago.bindings.macos.linger;
import io.panago.bindings.macos.pollfd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Sys} on macOS (Go: syscall_darwin.go and internal/poll's sock_cloexec fallback). Darwin
 * has none of Linux's shortcuts, so each new descriptor is set up in separate calls:
 * <ul>
 * <li>no {@code SOCK_NONBLOCK}/{@code SOCK_CLOEXEC} and no {@code accept4}: {@code socket} or
 * {@code accept}, then {@code fcntl(F_SETFL, O_NONBLOCK)} and {@code fcntl(F_SETFD, FD_CLOEXEC)}
 * (the gap before close-on-exec matters only to a fork, and the JDK's process launcher
 * closes every inherited descriptor anyway);</li>
 * <li>no {@code MSG_NOSIGNAL} that older releases honour: {@code SO_NOSIGPIPE} on every socket,
 * so a write to a closed peer is EPIPE, never a signal;</li>
 * <li>no eventfd: the wake-up descriptor is a non-blocking pipe. {@link #wakeFd} returns its read
 * end and remembers the write end in {@link #WRITERS}, where {@link #signal} finds it and
 * {@link #close} closes it with the read end, so {@link FD} handles one int either way.</li>
 * <li>no /proc: the listen backlog limit is {@code kern.ipc.somaxconn}, read with
 * {@code sysctlbyname} ({@link #somaxconn}).</li>
 * </ul>
 * Errors are {@code -errno} in macOS's numbering; {@link Errors} names them.
 */
final class SysMacos implements Sys.Os {
    static final int SOCK_STREAM = Macos.SOCK_STREAM();
    /** ioctl request: the bytes in the receive queue (an unsigned 32-bit value in the headers). */
    private static final long FIONREAD = Integer.toUnsignedLong(Macos.FIONREAD());
    /** Nothing: macOS has no socket-type flags; {@link #setUp} does their work. */
    static final int SOCK_FLAGS = 0;
    static final int SOL_SOCKET = Macos.SOL_SOCKET();
    static final int SO_REUSEADDR = Macos.SO_REUSEADDR();
    static final int SO_ERROR = Macos.SO_ERROR();
    static final int SO_KEEPALIVE = Macos.SO_KEEPALIVE();
    static final int SO_RCVBUF = Macos.SO_RCVBUF();
    static final int SO_SNDBUF = Macos.SO_SNDBUF();
    static final int SO_LINGER_SEC = Macos.SO_LINGER_SEC();
    static final int SO_NOSIGPIPE = Macos.SO_NOSIGPIPE();
    static final int IPPROTO_TCP = Macos.IPPROTO_TCP();
    static final int TCP_NODELAY = Macos.TCP_NODELAY();
    /** macOS's name for TCP_KEEPIDLE. */
    static final int TCP_KEEPIDLE = Macos.TCP_KEEPALIVE();
    static final int TCP_KEEPINTVL = Macos.TCP_KEEPINTVL();
    static final int TCP_KEEPCNT = Macos.TCP_KEEPCNT();
    static final int IPPROTO_IPV6 = Macos.IPPROTO_IPV6();
    static final int IPV6_V6ONLY = Macos.IPV6_V6ONLY();
    static final int SHUT_RD = Macos.SHUT_RD();
    static final int SHUT_WR = Macos.SHUT_WR();
    static final short POLLIN = (short) Macos.POLLIN();
    static final short POLLOUT = (short) Macos.POLLOUT();
    static final int F_DUPFD_CLOEXEC = Macos.F_DUPFD_CLOEXEC();
    static final int F_GETFL = Macos.F_GETFL();
    static final int F_SETFL = Macos.F_SETFL();
    static final int F_SETFD = Macos.F_SETFD();
    static final int O_NONBLOCK = Macos.O_NONBLOCK();
    static final int FD_CLOEXEC = Macos.FD_CLOEXEC();
    static final int SOMAXCONN = Macos.SOMAXCONN();
    static final int EINVAL = Macos.EINVAL();
    static final int ECONNABORTED = Macos.ECONNABORTED();

    static final long ERRNO_SIZE = MacosErrno.captureLayout().byteSize();
    static final long LINGER_SIZE = linger.sizeof();
    static final long L_ONOFF = linger.l_onoff$offset();
    static final long L_LINGER = linger.l_linger$offset();
    static final long POLLFD_SIZE = pollfd.sizeof();
    static final long PFD_FD = pollfd.fd$offset();
    static final long PFD_EVENTS = pollfd.events$offset();
    static final long PFD_REVENTS = pollfd.revents$offset();

    /** An {@code int} 1, the value of every boolean option set here; never written after init. */
    private static final MemorySegment ONE = Arena.global().allocate(ValueLayout.JAVA_INT);

    static {
        ONE.set(ValueLayout.JAVA_INT, 0, 1);
        if (Macos.boundLookup().isPresent() || System.getProperty("os.name", "").startsWith("Mac")) {
            Sys.linkEagerly(MacosErrno.class); // on another OS, only once its stand-in is bound
        }
    }

    /**
     * Write end of each live wake-up pipe, by its read end. An entry is removed before its read
     * end is closed, so a number reused by a later descriptor never finds a stale entry.
     */
    private static final ConcurrentHashMap<Integer, Integer> WRITERS = new ConcurrentHashMap<>();

    private static int check(MemorySegment errno, int r) {
        return r < 0 ? -MacosErrno.errno(errno) : r;
    }

    private static long check(MemorySegment errno, long r) {
        return r < 0 ? -MacosErrno.errno(errno) : r;
    }

    /**
     * Makes new descriptor {@code fd} non-blocking and close-on-exec and, for a socket, free of
     * SIGPIPE: returns {@code fd}, or closes it and returns {@code -errno} of the failed step.
     */
    private static int setUp(MemorySegment errno, int fd, boolean socket) {
        int r = MacosErrno.fcntl(errno, fd, F_GETFL, 0);
        if (r >= 0) {
            r = MacosErrno.fcntl(errno, fd, F_SETFL, r | O_NONBLOCK);
        }
        if (r >= 0) {
            r = MacosErrno.fcntl(errno, fd, F_SETFD, FD_CLOEXEC);
        }
        if (r >= 0 && socket) {
            r = MacosErrno.setsockopt(errno, (int) fd, SOL_SOCKET, SO_NOSIGPIPE, ONE, 4);
        }
        if (r >= 0) {
            return fd;
        }
        int e = MacosErrno.errno(errno);
        MacosErrno.close(errno, fd);
        return -e;
    }

    @Override
    public long socket(MemorySegment errno, int family) {
        int fd = MacosErrno.socket(errno, family, SOCK_STREAM, 0);
        return fd < 0 ? -MacosErrno.errno(errno) : setUp(errno, fd, true);
    }

    /**
     * accept(2) plus the set-up (Darwin copies O_NONBLOCK from the listener, Linux does not). A
     * connection its peer reset while it waited in the queue is shut both ways, and Darwin
     * refuses every socket option on such a socket (EINVAL), SO_NOSIGPIPE included: it is
     * closed and reported as ECONNABORTED, which is what it is and what accept skips.
     */
    @Override
    public long accept(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len) {
        int nfd = MacosErrno.accept(errno, (int) fd, sa, len);
        if (nfd < 0) {
            return -MacosErrno.errno(errno);
        }
        int r = setUp(errno, nfd, true);
        return r == -EINVAL ? -ECONNABORTED : r;
    }

    @Override
    public int bind(MemorySegment errno, long fd, MemorySegment sa, int len) {
        return check(errno, MacosErrno.bind(errno, (int) fd, sa, len));
    }

    @Override
    public int listen(MemorySegment errno, long fd, int backlog) {
        return check(errno, MacosErrno.listen(errno, (int) fd, backlog));
    }

    @Override
    public int connect(MemorySegment errno, long fd, MemorySegment sa, int len) {
        return check(errno, MacosErrno.connect(errno, (int) fd, sa, len));
    }

    @Override
    public long read(MemorySegment errno, long fd, MemorySegment b, int len) {
        return check(errno, MacosErrno.readHeap(errno, (int) fd, b, len));
    }

    /** send(2) with no flags: the socket's SO_NOSIGPIPE turns SIGPIPE into EPIPE. */
    @Override
    public long send(MemorySegment errno, long fd, MemorySegment b, int len) {
        return check(errno, MacosErrno.sendHeap(errno, (int) fd, b, len, 0));
    }

    @Override
    public int shutdown(MemorySegment errno, long fd, int how) {
        return check(errno, MacosErrno.shutdown(errno, (int) fd, how));
    }

    /** close(2), and for a wake-up pipe's read end its write end first. */
    @Override
    public int close(MemorySegment errno, long fd) {
        Integer w = WRITERS.remove((int) fd);
        if (w != null) {
            MacosErrno.close(errno, w);
        }
        return check(errno, MacosErrno.close(errno, (int) fd));
    }

    @Override
    public long dup(MemorySegment errno, long fd) {
        return check(errno, MacosErrno.fcntl(errno, (int) fd, F_DUPFD_CLOEXEC, 0));
    }

    @Override
    public int setsockopt(MemorySegment errno, long fd, int level, int opt, MemorySegment val, int len) {
        return check(errno, MacosErrno.setsockopt(errno, (int) fd, level, opt, val, len));
    }

    @Override
    public int getsockopt(MemorySegment errno, long fd, int level, int opt, MemorySegment val,
            MemorySegment len) {
        return check(errno, MacosErrno.getsockopt(errno, (int) fd, level, opt, val, len));
    }

    @Override
    public int getsockname(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len) {
        return check(errno, MacosErrno.getsockname(errno, (int) fd, sa, len));
    }

    @Override
    public int getpeername(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len) {
        return check(errno, MacosErrno.getpeername(errno, (int) fd, sa, len));
    }

    @Override
    public int available(MemorySegment errno, long fd, MemorySegment count) {
        return check(errno, MacosErrno.ioctl(errno, (int) fd, FIONREAD, count));
    }

    @Override
    public int poll(MemorySegment errno, MemorySegment fds, int nfds, int timeoutMillis) {
        return check(errno, MacosErrno.poll(errno, fds, nfds, timeoutMillis));
    }

    /** A non-blocking close-on-exec pipe; its read end stands for the pair (cold path). */
    @Override
    public int wakeFd(MemorySegment errno) {
        int r, w;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            if (MacosErrno.pipe(errno, fds) < 0) {
                return -MacosErrno.errno(errno);
            }
            r = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
            w = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
        }
        int e = setUp(errno, w, false);
        if (e < 0) {
            MacosErrno.close(errno, r);
            return e;
        }
        e = setUp(errno, r, false);
        if (e < 0) {
            MacosErrno.close(errno, w);
            return e;
        }
        WRITERS.put(r, w);
        return r;
    }

    /**
     * Writes one byte to the pipe; a full pipe (EAGAIN) is readable already, so that is success.
     */
    @Override
    public void signal(MemorySegment errno, MemorySegment buf, int rfd) {
        Integer w = WRITERS.get(rfd);
        if (w != null) {
            buf.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            MacosErrno.write(errno, w, buf, 1);
        }
    }

    /**
     * {@code kern.ipc.somaxconn}, the kernel's limit on a listen backlog, or 0 if it cannot be
     * read (Go: maxListenerBacklog's {@code SysctlUint32} on Darwin). Cold: once per process.
     */
    static int somaxconn() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = MacosErrno.captureSegment(arena);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_LONG);
            len.set(ValueLayout.JAVA_LONG, 0, value.byteSize());
            int r = MacosErrno.sysctlbyname(errno, arena.allocateFrom("kern.ipc.somaxconn"), value, len,
                    MemorySegment.NULL, 0);
            return r < 0 || len.get(ValueLayout.JAVA_LONG, 0) != value.byteSize() ? 0 : value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Reads the pipe empty: signals since the last drain left one byte each. */
    @Override
    public void drain(MemorySegment errno, MemorySegment buf, int rfd) {
        long n;
        do {
            n = MacosErrno.read(errno, rfd, buf, buf.byteSize());
        } while (n == buf.byteSize());
    }
}
