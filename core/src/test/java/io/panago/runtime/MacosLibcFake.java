package io.panago.runtime;

import io.panago.bindings.linux.Linux;
import io.panago.bindings.linux.LinuxErrno;
import io.panago.bindings.macos.Macos;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The libc calls of net's macOS socket layer ({@code SysMacos}), with macOS's ABI, carried out
 * on real Linux sockets: {@code socket}, {@code bind}, {@code listen}, {@code accept},
 * {@code connect}, {@code getsockname}, {@code getpeername}, {@code setsockopt},
 * {@code getsockopt}, {@code shutdown}, {@code close}, {@code read}, {@code write},
 * {@code send}, {@code fcntl}, {@code ioctl} ({@code FIONREAD}), {@code poll}, {@code pipe}, {@code sysctlbyname} and
 * {@code __error}, as upcall stubs that {@link KqueueFakeKernel} binds into {@link Macos}
 * beside its kqueue. Descriptors are Linux's own numbers, so the kqueue watches them directly.
 *
 * <p>Every number crossing the boundary is macOS's, translated both ways: {@code SOL_SOCKET}
 * 0xffff and the {@code SO_*} values, {@code IPV6_V6ONLY} 27, {@code AF_INET6} 30,
 * {@code O_NONBLOCK} 4, {@code F_DUPFD_CLOEXEC} 67; a {@code sockaddr} starts with its length
 * byte, then a 1-byte family (read back, it comes out that way); errors are macOS's errno
 * numbers (by name: Linux's 11 EAGAIN is 35, 115 EINPROGRESS 36, 111 ECONNREFUSED 61),
 * left in a per-thread slot that {@code __error} returns, which is where the bindings'
 * {@code MacosErrno} reads errno when not on macOS. What macOS does differently, it does:
 * <ul>
 * <li>{@code socket} and {@code accept} return blocking descriptors that survive exec, and take
 * no {@code SOCK_NONBLOCK}/{@code SOCK_CLOEXEC}; an accepted socket inherits the listener's
 * {@code O_NONBLOCK} (XNU's accept copies the file flags), nothing else;</li>
 * <li>a {@code send} or {@code write} on a broken connection raises SIGPIPE unless the socket
 * has {@code SO_NOSIGPIPE}: here every send is Linux's {@code MSG_NOSIGNAL}, and one that
 * would have raised the signal is recorded as a failure (the signal kills the process);</li>
 * <li>{@code SO_LINGER_SEC} counts seconds ({@code SO_LINGER} counts clock ticks and is refused
 * here, since no caller means ticks); {@code SO_RCVBUF}/{@code SO_SNDBUF} read back the value
 * set (Linux reports double); boolean socket options read back as their flag bit, as BSD's
 * {@code sogetopt} and {@code tcp_ctloutput} report them ({@code SO_KEEPALIVE} 8,
 * {@code SO_REUSEADDR} 4, {@code TCP_NODELAY} 4); {@code SO_ERROR} reads a macOS errno;</li>
 * <li>{@code setsockopt} fails with EINVAL on a connection shut both ways (reset, refused, or
 * closed by both ends: XNU's "no more sockopt's" once {@code SS_CANTRCVMORE} and
 * {@code SS_CANTSENDMORE} are both set), where Linux still accepts it; told here by poll's
 * POLLHUP on a socket that has been connected or connecting;</li>
 * <li>{@code getsockname}/{@code getpeername}/{@code accept} truncate an address to the room
 * given and report the truncated length;</li>
 * <li>{@code sysctlbyname("kern.ipc.somaxconn")} answers Linux's {@code net.core.somaxconn};
 * any other name is ENOENT.</li>
 * </ul>
 * A value macOS would not accept, or one this fake does not emulate (a Linux constant that
 * leaked through, a flag, an option, an {@code fcntl} command, a {@code sockaddr} whose length
 * byte or size is wrong), fails the call with EINVAL and is recorded in the failures list it
 * shares with the kqueue, which fails the test session. Stricter than XNU in one place: the
 * length byte of a {@code sockaddr} passed in must equal its size (XNU overwrites it).
 */
public final class MacosLibcFake {
    private static final int AF_INET = Macos.AF_INET(), AF_INET6 = Macos.AF_INET6(),
            SOCK_STREAM = Macos.SOCK_STREAM(), IPPROTO_TCP = Macos.IPPROTO_TCP(),
            SOL_SOCKET = Macos.SOL_SOCKET(), IPPROTO_IPV6 = Macos.IPPROTO_IPV6();
    private static final int O_ACCMODE = Macos.O_RDONLY() | Macos.O_WRONLY() | Macos.O_RDWR(),
            L_O_ACCMODE = Linux.O_RDONLY() | Linux.O_WRONLY() | Linux.O_RDWR();
    private static final int POLL_EVENTS = Macos.POLLIN() | Macos.POLLPRI() | Macos.POLLOUT();
    private static final int IN4_SIZE = (int) io.panago.bindings.macos.sockaddr_in.sizeof(),
            IN6_SIZE = (int) io.panago.bindings.macos.sockaddr_in6.sizeof();
    private static final long SA_LEN = io.panago.bindings.macos.sockaddr_in.sin_len$offset(),
            SA_FAMILY = io.panago.bindings.macos.sockaddr_in.sin_family$offset();
    private static final String SOMAXCONN = "kern.ipc.somaxconn";

    /**
     * A socket option: macOS's level and name, Linux's, and what a get reports when the option
     * is on ({@code 0}: the value itself).
     */
    private record Opt(int level, int name, int linuxLevel, int linuxName, int onValue, boolean getOnly) {
    }

    private static final List<Opt> OPTIONS = List.of(
            new Opt(SOL_SOCKET, Macos.SO_REUSEADDR(), Linux.SOL_SOCKET(), Linux.SO_REUSEADDR(),
                    Macos.SO_REUSEADDR(), false),
            new Opt(SOL_SOCKET, Macos.SO_KEEPALIVE(), Linux.SOL_SOCKET(), Linux.SO_KEEPALIVE(),
                    Macos.SO_KEEPALIVE(), false),
            new Opt(SOL_SOCKET, Macos.SO_SNDBUF(), Linux.SOL_SOCKET(), Linux.SO_SNDBUF(), 0, false),
            new Opt(SOL_SOCKET, Macos.SO_RCVBUF(), Linux.SOL_SOCKET(), Linux.SO_RCVBUF(), 0, false),
            new Opt(SOL_SOCKET, Macos.SO_ERROR(), Linux.SOL_SOCKET(), Linux.SO_ERROR(), 0, true),
            new Opt(SOL_SOCKET, Macos.SO_TYPE(), Linux.SOL_SOCKET(), Linux.SO_TYPE(), 0, true),
            new Opt(SOL_SOCKET, Macos.SO_LINGER_SEC(), Linux.SOL_SOCKET(), Linux.SO_LINGER(), 0, false),
            new Opt(SOL_SOCKET, Macos.SO_NOSIGPIPE(), -1, -1, 1, false),
            new Opt(IPPROTO_TCP, Macos.TCP_NODELAY(), Linux.IPPROTO_TCP(), Linux.TCP_NODELAY(), 4, false),
            new Opt(IPPROTO_TCP, Macos.TCP_KEEPALIVE(), Linux.IPPROTO_TCP(), Linux.TCP_KEEPIDLE(), 0, false),
            new Opt(IPPROTO_TCP, Macos.TCP_KEEPINTVL(), Linux.IPPROTO_TCP(), Linux.TCP_KEEPINTVL(), 0, false),
            new Opt(IPPROTO_TCP, Macos.TCP_KEEPCNT(), Linux.IPPROTO_TCP(), Linux.TCP_KEEPCNT(), 0, false),
            new Opt(IPPROTO_IPV6, Macos.IPV6_V6ONLY(), Linux.IPPROTO_IPV6(), Linux.IPV6_V6ONLY(), 1, false));

    /** What macOS keeps per socket that Linux has no place for; shared by duplicated descriptors. */
    private static final class Sock {
        final int family;
        volatile boolean noSigpipe, sndbufSet, rcvbufSet;
        /** Accepted, or connect was called: from then on a POLLHUP means both directions are shut. */
        volatile boolean connected;

        Sock(int family) {
            this.family = family;
        }
    }

    private static final class Scratch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment errno = LinuxErrno.captureSegment(arena);
        final MemorySegment addr = arena.allocate(128, 8);
        final MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
        final MemorySegment word = arena.allocate(16, 8);
    }

    /** Linux's pipe2, which the Linux bindings do not bind (nothing else needs it). */
    private static final class Pipe2 {
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(
                Linker.nativeLinker().defaultLookup().find("pipe2").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                Linker.Option.captureCallState("errno"));
    }

    private final List<Throwable> failures;
    /** Sockets created by {@code socket} (not accept): proof that the socket layer calls here. */
    private final AtomicInteger sockets = new AtomicInteger();
    /** {@code sysctlbyname} calls answered. */
    private final AtomicInteger sysctls = new AtomicInteger();
    private final Arena arena = Arena.global();
    private final Map<String, MemorySegment> stubs = new HashMap<>();
    private final Map<Integer, Sock> socks = new ConcurrentHashMap<>();
    private final ThreadLocal<MemorySegment> errno = ThreadLocal.withInitial(() -> arena.allocate(ValueLayout.JAVA_INT));
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /** A fake recording broken calls in {@code failures} (the kqueue's list, so one check covers both). */
    MacosLibcFake(List<Throwable> failures) {
        this.failures = failures;
        stub("socket", "socket", Macos.socket$descriptor());
        stub("bind", "bind", Macos.bind$descriptor());
        stub("listen", "listen", Macos.listen$descriptor());
        stub("accept", "accept", Macos.accept$descriptor());
        stub("connect", "connect", Macos.connect$descriptor());
        stub("getsockname", "getsockname", Macos.getsockname$descriptor());
        stub("getpeername", "getpeername", Macos.getpeername$descriptor());
        stub("setsockopt", "setsockopt", Macos.setsockopt$descriptor());
        stub("getsockopt", "getsockopt", Macos.getsockopt$descriptor());
        stub("shutdown", "shutdown", Macos.shutdown$descriptor());
        stub("close", "close", Macos.close$descriptor());
        stub("read", "read", Macos.read$descriptor());
        stub("write", "write", Macos.write$descriptor());
        stub("send", "send", Macos.send$descriptor());
        stub("pipe", "pipe", Macos.pipe$descriptor());
        stub("fcntl", "fcntl", FunctionDescriptor.of(Macos.C_INT, Macos.C_INT, Macos.C_INT, Macos.C_INT));
        stub("ioctl", "ioctl", FunctionDescriptor.of(Macos.C_INT, Macos.C_INT, Macos.C_LONG, Macos.C_POINTER));
        stub("poll", "poll", Macos.poll$descriptor());
        stub("sysctlbyname", "sysctlbyname", Macos.sysctlbyname$descriptor());
        stub("__error", "error", Macos.__error$descriptor());
    }

    private void stub(String symbol, String method, FunctionDescriptor d) {
        stubs.put(symbol, upcall(this, method, d, arena));
    }

    /** An upcall stub of {@code target}'s method {@code method} (a fake's, in this package) with descriptor {@code d}. */
    static MemorySegment upcall(Object target, String method, FunctionDescriptor d, Arena arena) {
        try {
            var mh = MethodHandles.lookup().findVirtual(target.getClass(), method, d.toMethodType()).bindTo(target);
            return Linker.nativeLinker().upcallStub(mh, d, arena);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** The stubs, by symbol. */
    SymbolLookup lookup() {
        return name -> Optional.ofNullable(stubs.get(name));
    }

    /** {@return how many sockets {@code socket} has made} */
    public int sockets() {
        return sockets.get();
    }

    /** {@return how many {@code sysctlbyname} calls were answered} */
    public int sysctls() {
        return sysctls.get();
    }

    /** The macOS errno named as Linux errno {@code linux} is. */
    static int darwinErrno(int linux) {
        return io.panago.bindings.macos.Errno.value(io.panago.bindings.linux.Errno.name(linux));
    }

    /** Sets this thread's errno to the macOS twin of Linux errno {@code linux}; returns -1. */
    int fail(int linux) {
        errno.get().set(ValueLayout.JAVA_INT, 0, darwinErrno(linux));
        return -1;
    }

    /** {@link #fail} with the errno the last Linux call of this thread left. */
    private int failed() {
        return fail(LinuxErrno.errno(scratch.get().errno));
    }

    /** Records a value macOS would refuse (or one not emulated) and fails the call with EINVAL. */
    private int reject(String what) {
        failures.add(new AssertionError("macOS libc fake: " + what));
        return fail(Linux.EINVAL());
    }

    /** One call's body; an exception inside an upcall would kill the JVM, so {@link #run} catches it. */
    @FunctionalInterface
    private interface Body {
        long run(MemorySegment errno) throws Throwable;
    }

    private long run(Body b) {
        try {
            return b.run(scratch.get().errno);
        } catch (Throwable t) {
            failures.add(t);
            return fail(Linux.EFAULT());
        }
    }

    private int runInt(Body b) {
        return (int) run(b);
    }

    /** The socket behind {@code fd}, or null with errno set as macOS would (EBADF, ENOTSOCK). */
    private Sock sock(int fd) {
        Sock k = socks.get(fd);
        if (k == null) {
            fail(LinuxErrno.fcntl(scratch.get().errno, fd, Linux.F_GETFD(), 0) < 0
                    ? LinuxErrno.errno(scratch.get().errno) : Linux.ENOTSOCK());
        }
        return k;
    }

    private static int linuxFamily(int family) {
        return family == AF_INET ? Linux.AF_INET() : family == AF_INET6 ? Linux.AF_INET6() : -1;
    }

    /** A macOS {@code sockaddr_in}/{@code sockaddr_in6} of {@code len} bytes as Linux's, in this thread's scratch; null if refused. */
    private MemorySegment toLinux(MemorySegment sa, int len) {
        MemorySegment m = sa.reinterpret(Math.max(len, 0));
        int family = len >= 2 ? Byte.toUnsignedInt(m.get(ValueLayout.JAVA_BYTE, SA_FAMILY)) : -1;
        int size = family == AF_INET ? IN4_SIZE : family == AF_INET6 ? IN6_SIZE : -1;
        if (size < 0 || len != size || Byte.toUnsignedInt(m.get(ValueLayout.JAVA_BYTE, SA_LEN)) != size) {
            reject("sockaddr of " + len + " bytes with family " + family + " and length byte "
                    + (len >= 1 ? Byte.toUnsignedInt(m.get(ValueLayout.JAVA_BYTE, SA_LEN)) : -1)
                    + " (macOS: AF_INET " + AF_INET + " in " + IN4_SIZE + " bytes, AF_INET6 " + AF_INET6
                    + " in " + IN6_SIZE + ", the first byte the size)");
            return null;
        }
        MemorySegment a = scratch.get().addr;
        a.fill((byte) 0);
        MemorySegment.copy(m, 0, a, 0, len);
        a.set(ValueLayout.JAVA_SHORT, 0, (short) linuxFamily(family));
        return a;
    }

    /**
     * Copies Linux address {@code a} of {@code n} bytes to macOS's {@code sa}, whose room
     * {@code *salen} holds: truncated to the room, with the copied length stored back.
     */
    private void toDarwin(MemorySegment a, int n, MemorySegment sa, MemorySegment salen) {
        int family = Short.toUnsignedInt(a.get(ValueLayout.JAVA_SHORT, 0));
        int mac = family == Linux.AF_INET() ? AF_INET : family == Linux.AF_INET6() ? AF_INET6 : -1;
        if (mac < 0) {
            throw new AssertionError("Linux returned an address of family " + family);
        }
        a.set(ValueLayout.JAVA_BYTE, SA_LEN, (byte) n);
        a.set(ValueLayout.JAVA_BYTE, SA_FAMILY, (byte) mac);
        MemorySegment l = salen.reinterpret(4);
        int copied = Math.min(n, Math.max(l.get(ValueLayout.JAVA_INT, 0), 0));
        MemorySegment.copy(a, 0, sa.reinterpret(copied), 0, copied);
        l.set(ValueLayout.JAVA_INT, 0, copied);
    }

    // ------------------------------------------------------------------ the upcalls

    MemorySegment error() {
        return errno.get();
    }

    int socket(int domain, int type, int protocol) {
        return runInt(e -> {
            int af = linuxFamily(domain);
            if (af < 0) {
                return reject("socket domain " + domain + " (macOS: AF_INET " + AF_INET + ", AF_INET6 " + AF_INET6 + ")");
            }
            if (type != SOCK_STREAM) {
                return reject("socket type 0x" + Integer.toHexString(type) + ": macOS has no SOCK_NONBLOCK/SOCK_CLOEXEC");
            }
            if (protocol != 0 && protocol != IPPROTO_TCP) {
                return reject("socket protocol " + protocol);
            }
            int fd = LinuxErrno.socket(e, af, Linux.SOCK_STREAM(), protocol);
            if (fd < 0) {
                return failed();
            }
            socks.put(fd, new Sock(domain));
            sockets.incrementAndGet();
            return fd;
        });
    }

    int bind(int fd, MemorySegment sa, int len) {
        return addressCall(fd, sa, len, false);
    }

    int connect(int fd, MemorySegment sa, int len) {
        return addressCall(fd, sa, len, true);
    }

    /** bind or connect with a macOS address, made Linux's. */
    private int addressCall(int fd, MemorySegment sa, int len, boolean connect) {
        return runInt(e -> {
            if (sock(fd) == null) {
                return -1;
            }
            MemorySegment a = toLinux(sa, len);
            if (a == null) {
                return -1;
            }
            if (connect) {
                sock(fd).connected = true;
            }
            int r = connect ? LinuxErrno.connect(e, fd, a, len) : LinuxErrno.bind(e, fd, a, len);
            return r < 0 ? failed() : 0;
        });
    }

    int listen(int fd, int backlog) {
        return runInt(e -> sock(fd) == null ? -1 : LinuxErrno.listen(e, fd, backlog) < 0 ? failed() : 0);
    }

    int accept(int fd, MemorySegment sa, MemorySegment salen) {
        return runInt(e -> {
            Sock k = sock(fd);
            if (k == null) {
                return -1;
            }
            Scratch s = scratch.get();
            s.len.set(ValueLayout.JAVA_INT, 0, (int) s.addr.byteSize());
            int nfd = LinuxErrno.accept4(e, fd, s.addr, s.len, 0);
            if (nfd < 0) {
                return failed();
            }
            int fl = LinuxErrno.fcntl(e, fd, Linux.F_GETFL(), 0);
            if (fl >= 0 && (fl & Linux.O_NONBLOCK()) != 0) {
                LinuxErrno.fcntl(e, nfd, Linux.F_SETFL(), Linux.O_NONBLOCK());
            }
            Sock n = new Sock(k.family);
            n.connected = true;
            socks.put(nfd, n);
            if (sa.address() != 0) {
                toDarwin(s.addr, s.len.get(ValueLayout.JAVA_INT, 0), sa, salen);
            }
            return nfd;
        });
    }

    int getsockname(int fd, MemorySegment sa, MemorySegment salen) {
        return name(fd, sa, salen, false);
    }

    int getpeername(int fd, MemorySegment sa, MemorySegment salen) {
        return name(fd, sa, salen, true);
    }

    private int name(int fd, MemorySegment sa, MemorySegment salen, boolean peer) {
        return runInt(e -> {
            if (sock(fd) == null) {
                return -1;
            }
            Scratch s = scratch.get();
            s.len.set(ValueLayout.JAVA_INT, 0, (int) s.addr.byteSize());
            int r = peer ? LinuxErrno.getpeername(e, fd, s.addr, s.len) : LinuxErrno.getsockname(e, fd, s.addr, s.len);
            if (r < 0) {
                return failed();
            }
            toDarwin(s.addr, s.len.get(ValueLayout.JAVA_INT, 0), sa, salen);
            return 0;
        });
    }

    private static Opt option(int level, int name) {
        for (Opt o : OPTIONS) {
            if (o.level == level && o.name == name) {
                return o;
            }
        }
        return null;
    }

    private int unknownOption(int level, int name) {
        return reject("socket option level 0x" + Integer.toHexString(level) + " name 0x" + Integer.toHexString(name)
                + (level == SOL_SOCKET && name == Macos.SO_LINGER() ? " (SO_LINGER counts clock ticks on macOS)" : ""));
    }

    int setsockopt(int fd, int level, int name, MemorySegment val, int len) {
        return runInt(e -> {
            Opt o = option(level, name);
            if (o == null) {
                return unknownOption(level, name);
            }
            Sock k = sock(fd);
            if (k == null) {
                return -1;
            }
            if (o.getOnly) {
                return fail(Linux.ENOPROTOOPT());
            }
            boolean linger = o.name == Macos.SO_LINGER_SEC() && level == SOL_SOCKET;
            if (len != (linger ? 8 : 4)) {
                return reject("setsockopt 0x" + Integer.toHexString(name) + " with " + len + " bytes");
            }
            if (k.connected && shutBothWays(fd)) {
                return fail(Linux.EINVAL());
            }
            MemorySegment v = val.reinterpret(len);
            if (o.linuxLevel < 0) {
                k.noSigpipe = v.get(ValueLayout.JAVA_INT, 0) != 0;
                return 0;
            }
            if (LinuxErrno.setsockopt(e, fd, o.linuxLevel, o.linuxName, v, len) < 0) {
                return failed();
            }
            if (o.linuxName == Linux.SO_RCVBUF() && o.linuxLevel == Linux.SOL_SOCKET()) {
                k.rcvbufSet = true;
            } else if (o.linuxName == Linux.SO_SNDBUF() && o.linuxLevel == Linux.SOL_SOCKET()) {
                k.sndbufSet = true;
            }
            return 0;
        });
    }

    int getsockopt(int fd, int level, int name, MemorySegment val, MemorySegment lenp) {
        return runInt(e -> {
            Opt o = option(level, name);
            if (o == null) {
                return unknownOption(level, name);
            }
            Sock k = sock(fd);
            if (k == null) {
                return -1;
            }
            boolean linger = o.name == Macos.SO_LINGER_SEC() && level == SOL_SOCKET;
            int size = linger ? 8 : 4;
            MemorySegment l = lenp.reinterpret(4);
            if (l.get(ValueLayout.JAVA_INT, 0) != size) {
                return reject("getsockopt 0x" + Integer.toHexString(name) + " into " + l.get(ValueLayout.JAVA_INT, 0) + " bytes");
            }
            MemorySegment v = val.reinterpret(size);
            l.set(ValueLayout.JAVA_INT, 0, size);
            if (o.linuxLevel < 0) {
                v.set(ValueLayout.JAVA_INT, 0, k.noSigpipe ? o.onValue : 0);
                return 0;
            }
            Scratch s = scratch.get();
            s.len.set(ValueLayout.JAVA_INT, 0, size);
            if (LinuxErrno.getsockopt(e, fd, o.linuxLevel, o.linuxName, s.word, s.len) < 0) {
                return failed();
            }
            int x = s.word.get(ValueLayout.JAVA_INT, 0);
            if (linger) {
                v.set(ValueLayout.JAVA_INT, 0, x != 0 ? 1 : 0);
                v.set(ValueLayout.JAVA_INT, 4, s.word.get(ValueLayout.JAVA_INT, 4));
                return 0;
            }
            if (o.linuxName == Linux.SO_ERROR() && o.linuxLevel == Linux.SOL_SOCKET()) {
                x = x == 0 ? 0 : darwinErrno(x);
            } else if ((o.linuxName == Linux.SO_RCVBUF() && k.rcvbufSet || o.linuxName == Linux.SO_SNDBUF() && k.sndbufSet)
                    && o.linuxLevel == Linux.SOL_SOCKET()) {
                x /= 2; // socket(7): Linux reports twice what was set; macOS reports what was set
            } else if (o.onValue != 0) {
                x = x != 0 ? o.onValue : 0;
            }
            v.set(ValueLayout.JAVA_INT, 0, x);
            return 0;
        });
    }

    /**
     * Whether Linux reports POLLHUP for {@code fd}: both directions shut (or TCP_CLOSE, which on
     * a socket that has been connected means reset, refused or closed).
     */
    private boolean shutBothWays(int fd) {
        MemorySegment p = scratch.get().word;
        p.set(ValueLayout.JAVA_INT, io.panago.bindings.linux.pollfd.fd$offset(), fd);
        p.set(ValueLayout.JAVA_SHORT, io.panago.bindings.linux.pollfd.events$offset(), (short) 0);
        p.set(ValueLayout.JAVA_SHORT, io.panago.bindings.linux.pollfd.revents$offset(), (short) 0);
        return LinuxErrno.poll(scratch.get().errno, p, 1, 0) > 0
                && (p.get(ValueLayout.JAVA_SHORT, io.panago.bindings.linux.pollfd.revents$offset()) & Linux.POLLHUP()) != 0;
    }

    int shutdown(int fd, int how) {
        return runInt(e -> {
            if (how != Macos.SHUT_RD() && how != Macos.SHUT_WR() && how != Macos.SHUT_RDWR()) {
                return reject("shutdown how " + how);
            }
            // SHUT_RD/SHUT_WR/SHUT_RDWR are 0/1/2 on both.
            return sock(fd) == null ? -1 : LinuxErrno.shutdown(e, fd, how) < 0 ? failed() : 0;
        });
    }

    int close(int fd) {
        return runInt(e -> {
            socks.remove(fd); // before the number can be reused
            return LinuxErrno.close(e, fd) < 0 ? failed() : 0;
        });
    }

    long read(int fd, MemorySegment buf, long n) {
        return run(e -> {
            long r = LinuxErrno.read(e, fd, buf.reinterpret(n), n);
            return r < 0 ? failed() : r;
        });
    }

    /** write(2): on a socket a send without flags; on a pipe Linux's write. */
    long write(int fd, MemorySegment buf, long n) {
        return run(e -> {
            Sock k = socks.get(fd);
            long r = k != null ? LinuxErrno.send(e, fd, buf.reinterpret(n), n, Linux.MSG_NOSIGNAL())
                    : LinuxErrno.write(e, fd, buf.reinterpret(n), n);
            return r < 0 ? brokenPipe(k, "write") : r;
        });
    }

    long send(int fd, MemorySegment buf, long n, int flags) {
        return run(e -> {
            if (flags != 0) {
                return reject("send flags 0x" + Integer.toHexString(flags));
            }
            Sock k = sock(fd);
            if (k == null) {
                return -1;
            }
            long r = LinuxErrno.send(e, fd, buf.reinterpret(n), n, Linux.MSG_NOSIGNAL());
            return r < 0 ? brokenPipe(k, "send") : r;
        });
    }

    /** Fails a write or send with its errno; an EPIPE macOS would have delivered as SIGPIPE is recorded. */
    private int brokenPipe(Sock k, String op) {
        int err = LinuxErrno.errno(scratch.get().errno);
        if (err == Linux.EPIPE() && (k == null || !k.noSigpipe)) {
            failures.add(new AssertionError("macOS libc fake: " + op + " on a broken "
                    + (k == null ? "pipe" : "socket without SO_NOSIGPIPE") + " raises SIGPIPE, which kills the process"));
        }
        return fail(err);
    }

    int pipe(MemorySegment fds) {
        return runInt(e -> {
            int r = (int) Pipe2.HANDLE.invokeExact(e, fds.reinterpret(8), 0);
            return r < 0 ? failed() : 0;
        });
    }

    /** fcntl with macOS's commands and flags: F_GETFD/F_SETFD, F_GETFL/F_SETFL, F_DUPFD(_CLOEXEC). */
    int fcntl(int fd, int cmd, int arg) {
        return runInt(e -> {
            if (cmd == Macos.F_GETFD() || cmd == Macos.F_SETFD()) {
                // F_GETFD, F_SETFD and FD_CLOEXEC have the same values on macOS and Linux.
                if (cmd == Macos.F_SETFD() && (arg & ~Macos.FD_CLOEXEC()) != 0) {
                    return reject("F_SETFD 0x" + Integer.toHexString(arg));
                }
                int r = LinuxErrno.fcntl(e, fd, cmd, arg);
                return r < 0 ? failed() : r;
            }
            if (cmd == Macos.F_GETFL()) {
                int r = LinuxErrno.fcntl(e, fd, Linux.F_GETFL(), 0);
                if (r < 0) {
                    return failed();
                }
                if ((r & ~(L_O_ACCMODE | Linux.O_NONBLOCK())) != 0) {
                    throw new AssertionError("F_GETFL: Linux flags 0x" + Integer.toHexString(r) + " have no macOS twin here");
                }
                return (r & L_O_ACCMODE) | ((r & Linux.O_NONBLOCK()) != 0 ? Macos.O_NONBLOCK() : 0);
            }
            if (cmd == Macos.F_SETFL()) {
                if ((arg & ~(O_ACCMODE | Macos.O_NONBLOCK())) != 0) {
                    return reject("F_SETFL 0x" + Integer.toHexString(arg) + " (macOS's O_NONBLOCK is 0x"
                            + Integer.toHexString(Macos.O_NONBLOCK()) + ")");
                }
                // Both kernels ignore the access mode in F_SETFL.
                int r = LinuxErrno.fcntl(e, fd, Linux.F_SETFL(), (arg & Macos.O_NONBLOCK()) != 0 ? Linux.O_NONBLOCK() : 0);
                return r < 0 ? failed() : 0;
            }
            if (cmd == Macos.F_DUPFD_CLOEXEC() || cmd == Macos.F_DUPFD()) {
                int r = LinuxErrno.fcntl(e, fd, cmd == Macos.F_DUPFD() ? Linux.F_DUPFD() : Linux.F_DUPFD_CLOEXEC(), arg);
                if (r < 0) {
                    return failed();
                }
                Sock k = socks.get(fd);
                if (k != null) {
                    socks.put(r, k);
                }
                return r;
            }
            return reject("fcntl command " + cmd);
        });
    }

    /** ioctl with macOS's FIONREAD (an {@code int} out-parameter on both), the only request emulated. */
    int ioctl(int fd, long request, MemorySegment argp) {
        return runInt(e -> {
            if (request != Integer.toUnsignedLong(Macos.FIONREAD())) {
                return reject("ioctl request 0x" + Long.toHexString(request));
            }
            int r = LinuxErrno.ioctl(e, fd, Linux.FIONREAD(), argp.reinterpret(4));
            return r < 0 ? failed() : r;
        });
    }

    /** poll(2): {@code struct pollfd} and the POLL* bits are the same on both; only the events asked are checked. */
    int poll(MemorySegment fds, int nfds, int timeout) {
        return runInt(e -> {
            MemorySegment p = fds.reinterpret((long) nfds * io.panago.bindings.macos.pollfd.sizeof());
            for (int i = 0; i < nfds; i++) {
                short ev = p.get(ValueLayout.JAVA_SHORT, i * io.panago.bindings.macos.pollfd.sizeof()
                        + io.panago.bindings.macos.pollfd.events$offset());
                if ((ev & ~POLL_EVENTS) != 0) {
                    return reject("poll events 0x" + Integer.toHexString(ev));
                }
            }
            int r = LinuxErrno.poll(e, p, nfds, timeout);
            return r < 0 ? failed() : r;
        });
    }

    /** sysctlbyname: reads of kern.ipc.somaxconn (Linux's net.core.somaxconn); other names are ENOENT. */
    int sysctlbyname(MemorySegment name, MemorySegment oldp, MemorySegment oldlenp, MemorySegment newp, long newlen) {
        return runInt(e -> {
            String n = name.reinterpret(256).getString(0, StandardCharsets.US_ASCII);
            if (newp.address() != 0 || newlen != 0) {
                return reject("sysctlbyname(\"" + n + "\") writing");
            }
            if (!n.equals(SOMAXCONN)) {
                return fail(Linux.ENOENT());
            }
            MemorySegment lenp = oldlenp.reinterpret(8);
            if (oldp.address() != 0) {
                if (lenp.get(ValueLayout.JAVA_LONG, 0) < 4) {
                    return fail(Linux.ENOMEM());
                }
                oldp.reinterpret(4).set(ValueLayout.JAVA_INT, 0, linuxSomaxconn());
            }
            lenp.set(ValueLayout.JAVA_LONG, 0, 4);
            sysctls.incrementAndGet();
            return 0;
        });
    }

    private static int linuxSomaxconn() throws IOException {
        try (InputStream in = new FileInputStream("/proc/sys/net/core/somaxconn")) {
            return Integer.parseInt(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
        }
    }
}
