package io.panago.net.poll;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The system calls behind {@link FD}, each returning its result or {@code -errno} (the way
 * the kernel itself reports failure), so callers branch on numbers instead of catching. Every
 * call takes the errno capture segment (and any buffer) to use: {@link FD} keeps its own
 * native scratch memory, so no call allocates. (Not a confined arena per call: a goroutine
 * may resume on another carrier thread, and compiled code may even read a stale
 * {@code Thread.currentThread()} after a yield, so thread-confined memory is off limits.)
 * With {@link SockAddr} (struct layouts) and {@link Errors} (errno values) it is all of
 * {@code io.panago.net} that sees the bindings.
 *
 * <p>A socket is a {@code long}: a Unix descriptor widens to it, and a Windows {@code SOCKET}
 * is a handle ({@code UINT_PTR}). Handles and descriptors are never negative, so a negative
 * result is still {@code -error}.
 *
 * <p>The OS is chosen once, when this class initialises, from {@code os.name}: {@link SysLinux},
 * {@link SysMacos} or {@link SysWindows} (Go: syscall's per-GOOS files), each a small set of
 * the same calls ({@link Os}) plus the constants of its headers under the same names; on any
 * other OS this class fails to load, naming the OS. The choice is a {@code static final}, so
 * the JIT sees one implementation and inlines it. On Windows errors are Winsock's
 * ({@code WSAGetLastError}), and the calls that a Windows socket only makes as overlapped
 * operations (accept, connect, read, send) or not at all (poll and its wake-up descriptors)
 * are not in {@link SysWindows}: {@link FD} runs them as {@code NetpollOp}s on the IOCP
 * poller, and parks threads on the poll descriptor, never in poll(2).
 *
 * <p>Test only: {@code -Dpanago.test.os=windows} or {@code =macos} selects that OS's socket layer
 * on another OS, where its calls must be served by a lookup given to
 * {@code io.panago.bindings.windows.Windows.bindLookup} or
 * {@code io.panago.bindings.macos.Macos.bindLookup} (net's test suite binds core's Java
 * stand-ins for ws2_32 and for macOS's libc there). It is read once, with {@code os.name}; no
 * program should set it.
 */
final class Sys {
    private Sys() {}

    /**
     * Initialises every nested class of {@code bindings} now: each bound function is a holder
     * class initialised at its first call (jextract's shape), and one whose first call meets a
     * full heap fails its initialiser and stays unusable for good, every later read or send in
     * the JVM throwing NoClassDefFoundError. A function the system lacks fails here quietly,
     * and at its call as before.
     */
    static void linkEagerly(Class<?> bindings) {
        for (Class<?> c : bindings.getDeclaredClasses()) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (LinkageError | ClassNotFoundException e) {
                // reported again, with its cause, by the call that needs it
            }
        }
    }

    /** {@code os.name}, or "Windows" / "Mac OS X" under the test-only {@code panago.test.os}. */
    private static final String OS_NAME = osName();

    /** Whether the socket calls are Winsock's. */
    static final boolean WINDOWS = OS_NAME.startsWith("Windows");
    /** Whether this is macOS (Darwin); Linux when neither this nor {@link #WINDOWS}. */
    static final boolean MACOS = OS_NAME.startsWith("Mac");

    private static String osName() {
        String test = System.getProperty("panago.test.os", "");
        if (test.isEmpty()) {
            return System.getProperty("os.name", "");
        }
        return switch (test) {
            case "windows" -> "Windows";
            case "macos" -> "Mac OS X";
            default -> throw new UnsupportedOperationException("panago.test.os=" + test
                    + ": only windows or macos can be selected");
        };
    }

    /** The calls of one OS; errors come back negated, in that OS's numbering. */
    interface Os {
        /** A non-blocking (Windows: overlapped), close-on-exec stream socket of {@code family}. */
        long socket(MemorySegment errno, int family);

        /**
         * accept, the peer's address into {@code sa} (its room in {@code len}, which the call
         * updates): non-blocking and close-on-exec, as socket.
         */
        long accept(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len);

        int bind(MemorySegment errno, long fd, MemorySegment sa, int len);

        int listen(MemorySegment errno, long fd, int backlog);

        int connect(MemorySegment errno, long fd, MemorySegment sa, int len);

        /** read(2) straight into the heap slice {@code b}: a critical downcall, no copy. */
        long read(MemorySegment errno, long fd, MemorySegment b, int len);

        /** send(2) from the heap slice {@code b}: a closed peer is EPIPE, never SIGPIPE. */
        long send(MemorySegment errno, long fd, MemorySegment b, int len);

        int shutdown(MemorySegment errno, long fd, int how);

        int close(MemorySegment errno, long fd);

        /** A new close-on-exec descriptor (handle) for the same socket. */
        long dup(MemorySegment errno, long fd);

        int setsockopt(MemorySegment errno, long fd, int level, int opt, MemorySegment val, int len);

        /**
         * Keep-alive timing: the first probe after {@code idle} seconds without traffic, then
         * one every {@code interval} seconds, and {@code count} unanswered probes (0: the
         * system's number) end the connection; {@code scratch} holds at least 16 bytes. It
         * does not turn SO_KEEPALIVE on, except on Windows (there SIO_KEEPALIVE_VALS does both).
         */
        default int setKeepAlive(MemorySegment errno, MemorySegment scratch, long fd, int idle, int interval,
                int count) {
            int[] names = {TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT};
            int[] values = {idle, interval, count};
            for (int i = 0; i < names.length; i++) {
                if (values[i] > 0) {
                    scratch.set(ValueLayout.JAVA_INT, 0, values[i]);
                    int r = setsockopt(errno, fd, IPPROTO_TCP, names[i], scratch, 4);
                    if (r < 0) {
                        return r;
                    }
                }
            }
            return 0;
        }

        int getsockopt(MemorySegment errno, long fd, int level, int opt, MemorySegment val, MemorySegment len);

        int getsockname(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len);

        int getpeername(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len);

        /** The bytes a read would return at once (FIONREAD), into the {@code int} at {@code count}. */
        int available(MemorySegment errno, long fd, MemorySegment count);

        int poll(MemorySegment errno, MemorySegment fds, int nfds, int timeoutMillis);

        /** A wake-up descriptor: readable after {@link #signal} until {@link #drain}. */
        int wakeFd(MemorySegment errno);

        void signal(MemorySegment errno, MemorySegment buf, int wfd);

        void drain(MemorySegment errno, MemorySegment buf, int wfd);
    }

    private static final Os OS = select(OS_NAME);

    /**
     * The calls of OS {@code osName} ({@code os.name}'s value).
     *
     * @throws UnsupportedOperationException for an OS with no socket calls here: loading this
     *     class fails with that as the cause, rather than with a missing symbol later
     */
    static Os select(String osName) {
        if (osName.startsWith("Mac")) {
            return new SysMacos();
        }
        if (osName.startsWith("Linux")) {
            return new SysLinux();
        }
        if (osName.startsWith("Windows")) {
            return new SysWindows();
        }
        throw new UnsupportedOperationException("io.panago.net has socket calls for Linux, macOS and Windows, not "
                + osName);
    }

    static final int SOCK_FLAGS = WINDOWS ? 0 : MACOS ? SysMacos.SOCK_FLAGS : SysLinux.SOCK_FLAGS;
    static final int SOL_SOCKET = WINDOWS ? SysWindows.SOL_SOCKET : MACOS ? SysMacos.SOL_SOCKET : SysLinux.SOL_SOCKET;
    static final int SO_REUSEADDR = WINDOWS ? SysWindows.SO_REUSEADDR
            : MACOS ? SysMacos.SO_REUSEADDR : SysLinux.SO_REUSEADDR;
    static final int SO_ERROR = WINDOWS ? SysWindows.SO_ERROR : MACOS ? SysMacos.SO_ERROR : SysLinux.SO_ERROR;
    static final int SO_KEEPALIVE = WINDOWS ? SysWindows.SO_KEEPALIVE
            : MACOS ? SysMacos.SO_KEEPALIVE : SysLinux.SO_KEEPALIVE;
    static final int SO_RCVBUF = WINDOWS ? SysWindows.SO_RCVBUF : MACOS ? SysMacos.SO_RCVBUF : SysLinux.SO_RCVBUF;
    static final int SO_SNDBUF = WINDOWS ? SysWindows.SO_SNDBUF : MACOS ? SysMacos.SO_SNDBUF : SysLinux.SO_SNDBUF;
    /** SO_LINGER in seconds: macOS's SO_LINGER counts clock ticks, its SO_LINGER_SEC seconds. */
    static final int SO_LINGER = WINDOWS ? SysWindows.SO_LINGER : MACOS ? SysMacos.SO_LINGER_SEC : SysLinux.SO_LINGER;
    static final int IPPROTO_TCP = WINDOWS ? SysWindows.IPPROTO_TCP
            : MACOS ? SysMacos.IPPROTO_TCP : SysLinux.IPPROTO_TCP;
    static final int TCP_NODELAY = WINDOWS ? SysWindows.TCP_NODELAY
            : MACOS ? SysMacos.TCP_NODELAY : SysLinux.TCP_NODELAY;
    /** Keep-alive options (POSIX; macOS names the idle time TCP_KEEPALIVE; Windows: see setKeepAlive). */
    static final int TCP_KEEPIDLE = WINDOWS ? -1 : MACOS ? SysMacos.TCP_KEEPIDLE : SysLinux.TCP_KEEPIDLE;
    static final int TCP_KEEPINTVL = WINDOWS ? -1 : MACOS ? SysMacos.TCP_KEEPINTVL : SysLinux.TCP_KEEPINTVL;
    static final int TCP_KEEPCNT = WINDOWS ? -1 : MACOS ? SysMacos.TCP_KEEPCNT : SysLinux.TCP_KEEPCNT;
    /**
     * The longest keep-alive idle time and interval the system takes, in seconds: Linux's
     * MAX_TCP_KEEPIDLE (a longer one fails with EINVAL); macOS refuses what overflows its 32-bit
     * milliseconds; Windows' SIO_KEEPALIVE_VALS takes milliseconds in a signed 32-bit field here.
     */
    static final int MAX_KEEPALIVE = WINDOWS ? Integer.MAX_VALUE / 1000 : MACOS ? (int) (0xFFFF_FFFFL / 1000) : 32_767;
    /** The largest keep-alive probe count: Linux's MAX_TCP_KEEPCNT (Windows' count is the system's). */
    static final int MAX_KEEPALIVE_COUNT = WINDOWS || MACOS ? Integer.MAX_VALUE : 127;
    static final int IPPROTO_IPV6 = WINDOWS ? SysWindows.IPPROTO_IPV6
            : MACOS ? SysMacos.IPPROTO_IPV6 : SysLinux.IPPROTO_IPV6;
    static final int IPV6_V6ONLY = WINDOWS ? SysWindows.IPV6_V6ONLY
            : MACOS ? SysMacos.IPV6_V6ONLY : SysLinux.IPV6_V6ONLY;
    /** shutdown's directions (Windows: SD_RECEIVE, SD_SEND). */
    static final int SHUT_RD = WINDOWS ? SysWindows.SD_RECEIVE : MACOS ? SysMacos.SHUT_RD : SysLinux.SHUT_RD;
    static final int SHUT_WR = WINDOWS ? SysWindows.SD_SEND : MACOS ? SysMacos.SHUT_WR : SysLinux.SHUT_WR;
    static final short POLLIN = WINDOWS ? 0 : MACOS ? SysMacos.POLLIN : SysLinux.POLLIN;
    static final short POLLOUT = WINDOWS ? 0 : MACOS ? SysMacos.POLLOUT : SysLinux.POLLOUT;
    static final int SOMAXCONN = WINDOWS ? SysWindows.SOMAXCONN : MACOS ? SysMacos.SOMAXCONN : SysLinux.SOMAXCONN;

    /** Bytes of an errno capture segment (Windows: GetLastError and WSAGetLastError). */
    static final long ERRNO_SIZE = WINDOWS ? SysWindows.ERRNO_SIZE : MACOS ? SysMacos.ERRNO_SIZE : SysLinux.ERRNO_SIZE;
    /**
     * Bytes of a {@code struct linger}: {@code int l_onoff; int l_linger;} on Linux and macOS,
     * two {@code u_short}s on Windows ({@link #LINGER_SHORTS}).
     */
    static final long LINGER_SIZE = WINDOWS ? SysWindows.LINGER_SIZE
            : MACOS ? SysMacos.LINGER_SIZE : SysLinux.LINGER_SIZE;
    private static final boolean LINGER_SHORTS = WINDOWS;
    private static final long L_ONOFF = WINDOWS ? SysWindows.L_ONOFF : MACOS ? SysMacos.L_ONOFF : SysLinux.L_ONOFF;
    private static final long L_LINGER = WINDOWS ? SysWindows.L_LINGER
            : MACOS ? SysMacos.L_LINGER : SysLinux.L_LINGER;
    /** {@code struct pollfd} ({@code int fd; short events; short revents;} on Unix; unused on Windows). */
    private static final long POLLFD_SIZE = WINDOWS ? 0 : MACOS ? SysMacos.POLLFD_SIZE : SysLinux.POLLFD_SIZE;
    private static final long PFD_FD = WINDOWS ? 0 : MACOS ? SysMacos.PFD_FD : SysLinux.PFD_FD;
    private static final long PFD_EVENTS = WINDOWS ? 0 : MACOS ? SysMacos.PFD_EVENTS : SysLinux.PFD_EVENTS;
    private static final long PFD_REVENTS = WINDOWS ? 0 : MACOS ? SysMacos.PFD_REVENTS : SysLinux.PFD_REVENTS;

    static long socket(MemorySegment errno, int family) {
        return OS.socket(errno, family);
    }

    static int bind(MemorySegment errno, long fd, MemorySegment sa, int len) {
        return OS.bind(errno, fd, sa, len);
    }

    static int listen(MemorySegment errno, long fd, int backlog) {
        return OS.listen(errno, fd, backlog);
    }

    /** accept, the peer's address into {@code sa} (Go: accept's sockaddr, no getpeername). */
    static long accept(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len) {
        len.set(ValueLayout.JAVA_INT, 0, (int) sa.byteSize());
        return OS.accept(errno, fd, sa, len);
    }

    static int connect(MemorySegment errno, long fd, MemorySegment sa, int len) {
        return OS.connect(errno, fd, sa, len);
    }

    /**
     * read(2) of at most {@code len} bytes straight into the heap segment {@code b} (at least
     * {@code len} long): a critical downcall, no copy.
     */
    static long read(MemorySegment errno, long fd, MemorySegment b, int len) {
        return OS.read(errno, fd, b, len);
    }

    /** send(2) of {@code len} bytes straight from the heap segment {@code b}: EPIPE, never SIGPIPE. */
    static long send(MemorySegment errno, long fd, MemorySegment b, int len) {
        return OS.send(errno, fd, b, len);
    }

    static int shutdown(MemorySegment errno, long fd, int how) {
        return OS.shutdown(errno, fd, how);
    }

    /** close(2); for a wake-up descriptor of {@link #eventfd} also whatever else it holds. */
    static int close(MemorySegment errno, long fd) {
        return OS.close(errno, fd);
    }

    /** dup(2) (F_DUPFD_CLOEXEC); on Windows WSADuplicateSocketW and WSASocketW. */
    static long dup(MemorySegment errno, long fd) {
        return OS.dup(errno, fd);
    }

    static int setsockopt(MemorySegment errno, long fd, int level, int opt, MemorySegment val, int len) {
        return OS.setsockopt(errno, fd, level, opt, val, len);
    }

    /** See {@link Os#setKeepAlive}. */
    static int setKeepAlive(MemorySegment errno, MemorySegment scratch, long fd, int idle, int interval, int count) {
        return OS.setKeepAlive(errno, scratch, fd, idle, interval, count);
    }

    /** getsockopt into {@code val}, its size passed (and returned) through {@code len}. */
    static int getsockopt(MemorySegment errno, long fd, int level, int opt, MemorySegment val,
            MemorySegment len) {
        len.set(ValueLayout.JAVA_INT, 0, (int) val.byteSize());
        return OS.getsockopt(errno, fd, level, opt, val, len);
    }

    /** FIONREAD: the bytes waiting in the socket's receive queue, or -errno. */
    static int available(MemorySegment errno, long fd, MemorySegment count) {
        int r = OS.available(errno, fd, count);
        return r < 0 ? r : count.get(ValueLayout.JAVA_INT, 0);
    }

    /** getsockname ({@code peer} false) or getpeername into {@code sa}. */
    static int name(MemorySegment errno, long fd, boolean peer, MemorySegment sa, MemorySegment len) {
        len.set(ValueLayout.JAVA_INT, 0, (int) sa.byteSize());
        return peer ? OS.getpeername(errno, fd, sa, len) : OS.getsockname(errno, fd, sa, len);
    }

    /** SO_LINGER through {@code l} (a {@code struct linger}): {@code seconds < 0} turns it off. */
    static int setLinger(MemorySegment errno, MemorySegment l, long fd, int seconds) {
        if (LINGER_SHORTS) {
            l.set(ValueLayout.JAVA_SHORT, L_ONOFF, (short) (seconds >= 0 ? 1 : 0));
            l.set(ValueLayout.JAVA_SHORT, L_LINGER, (short) Math.min(Math.max(seconds, 0), 0xffff));
        } else {
            l.set(ValueLayout.JAVA_INT, L_ONOFF, seconds >= 0 ? 1 : 0);
            l.set(ValueLayout.JAVA_INT, L_LINGER, Math.max(seconds, 0));
        }
        return setsockopt(errno, fd, SOL_SOCKET, SO_LINGER, l, (int) LINGER_SIZE);
    }

    /**
     * SO_LINGER's seconds, -1 when off, through {@code l}; an error is {@code -errno - 1}
     * (below -1).
     */
    static int getLinger(MemorySegment errno, MemorySegment l, MemorySegment len, long fd) {
        int r = getsockopt(errno, fd, SOL_SOCKET, SO_LINGER, l, len);
        if (r < 0) {
            return r - 1;
        }
        if (LINGER_SHORTS) {
            return l.get(ValueLayout.JAVA_SHORT, L_ONOFF) != 0
                    ? Short.toUnsignedInt(l.get(ValueLayout.JAVA_SHORT, L_LINGER)) : -1;
        }
        return l.get(ValueLayout.JAVA_INT, L_ONOFF) != 0 ? l.get(ValueLayout.JAVA_INT, L_LINGER) : -1;
    }

    /**
     * Windows, after {@code AcceptEx}: gives accepted socket {@code fd} the properties of
     * {@code listener} ({@code SO_UPDATE_ACCEPT_CONTEXT}), without which getpeername and
     * shutdown fail on it; {@code word} is 8 bytes.
     */
    static int acceptContext(MemorySegment errno, MemorySegment word, long fd, long listener) {
        word.set(ValueLayout.JAVA_LONG, 0, listener);
        return OS.setsockopt(errno, fd, SOL_SOCKET, SysWindows.SO_UPDATE_ACCEPT_CONTEXT, word, 8);
    }

    /** Windows, after {@code ConnectEx}: makes {@code fd} a fully connected socket ({@code SO_UPDATE_CONNECT_CONTEXT}). */
    static int connectContext(MemorySegment errno, long fd) {
        return OS.setsockopt(errno, fd, SOL_SOCKET, SysWindows.SO_UPDATE_CONNECT_CONTEXT, MemorySegment.NULL, 0);
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
    static int poll2(MemorySegment errno, MemorySegment fds, long fd, short events, int efd,
            int timeoutMillis) {
        fds.set(ValueLayout.JAVA_INT, PFD_FD, (int) fd);
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
