package io.panago.runtime;

import io.panago.bindings.linux.Linux;
import io.panago.bindings.linux.LinuxErrno;
import io.panago.bindings.linux.epoll_event;
import io.panago.bindings.windows.LPFN_ACCEPTEX;
import io.panago.bindings.windows.LPFN_CONNECTEX;
import io.panago.bindings.windows.OVERLAPPED;
import io.panago.bindings.windows.OVERLAPPED_ENTRY;
import io.panago.bindings.windows.WSABUF;
import io.panago.bindings.windows.WSAPROTOCOL_INFOW;
import io.panago.bindings.windows.Windows;
import io.panago.bindings.windows.WsaIds;
import io.panago.bindings.windows.tcp_keepalive;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A Windows of our own for running the real {@link NetpollIocp} on Linux: the kernel32 and
 * ws2_32 calls the backend and its tests make, written in Java over Linux sockets and epoll,
 * exported as upcall stubs and bound into the Windows bindings with
 * {@link Windows#bindLookup}. Handles and error codes are Windows' (SOCKETs are handles of our
 * own table, errors are Winsock's and NTSTATUS values in {@code OVERLAPPED.Internal}); the data
 * moves over real loopback TCP.
 *
 * <p>Windows semantics it keeps, because the backend depends on them:
 * <ul>
 * <li>An overlapped {@code WSARecv}/{@code WSASend}/{@code AcceptEx}/{@code ConnectEx} either
 *     completes at once (success; a packet is queued unless the socket is in
 *     {@code FILE_SKIP_COMPLETION_PORT_ON_SUCCESS} mode), fails at once (no packet), or pends
 *     ({@code WSA_IO_PENDING}/{@code ERROR_IO_PENDING}) and later queues exactly one packet on
 *     the socket's port with its completion key, after writing the status and byte count into
 *     the OVERLAPPED.</li>
 * <li>A receive at the peer's end of stream completes with 0 bytes; a send completes once all
 *     its bytes are taken.</li>
 * <li>{@code CancelIoEx} completes a pending operation with {@code STATUS_CANCELLED}, which
 *     {@code WSAGetOverlappedResult} reports as error 995 ({@code ERROR_OPERATION_ABORTED});
 *     for an operation no longer pending it fails with {@code ERROR_NOT_FOUND}.
 *     {@code closesocket} cancels everything pending on the socket.</li>
 * <li>{@code ConnectEx} needs a bound socket ({@code WSAEINVAL} otherwise) and refuses an
 *     unspecified remote address, 0.0.0.0 or :: ({@code WSAEADDRNOTAVAIL}); {@code AcceptEx}
 *     accepts into a socket the caller created.</li>
 * <li>{@code GetQueuedCompletionStatusEx} dequeues up to the asked number of packets, waits up
 *     to the timeout ({@code INFINITE}: forever), and fails with {@code WAIT_TIMEOUT};
 *     {@code PostQueuedCompletionStatus} queues a packet as given.</li>
 * <li>{@code GetLastError} and {@code WSAGetLastError} are one per-thread value.</li>
 * <li>The socket calls of the net layer's Windows socket layer ({@code SysWindows}), with
 *     Windows' numbers translated to Linux's: {@code AF_INET6} is 23 in a {@code sockaddr},
 *     {@code SOL_SOCKET} 0xffff, {@code struct linger} two {@code u_short}s, errors Winsock's.
 *     A socket that {@code AcceptEx} or {@code ConnectEx} connected refuses
 *     {@code getpeername}, {@code getsockname} and {@code shutdown} ({@code WSAENOTCONN})
 *     until it gets {@code SO_UPDATE_ACCEPT_CONTEXT} (with the listener's handle) or
 *     {@code SO_UPDATE_CONNECT_CONTEXT}, as Windows does. After {@code shutdown},
 *     {@code WSARecv} (SD_RECEIVE) or {@code WSASend} (SD_SEND) fails with
 *     {@code WSAESHUTDOWN}, where Linux would report end of stream or EPIPE.</li>
 * <li>{@code WSADuplicateSocketW} into this process and {@code WSASocketW(FROM_PROTOCOL_INFO)}
 *     make a second handle to the same socket (a Linux dup). Like a Windows file object, the
 *     pair shares one completion port association and notification mode:
 *     {@code CreateIoCompletionPort} on the second handle fails with
 *     {@code ERROR_INVALID_PARAMETER}. Closing one handle leaves the other working.</li>
 * <li>Every socket may bind over connections in TIME_WAIT, Windows' default (Linux's
 *     {@code SO_REUSEADDR}); Windows' own {@code SO_REUSEADDR} (binding over a listener) is
 *     not emulated, only stored.</li>
 * </ul>
 * Pending operations are watched by one "kernel" thread with an epoll instance of its own.
 * Not emulated: anything the backend and the socket layer do not call, datagrams, partial
 * sends on overlapped sockets (they complete whole here, as they do on Windows in practice).
 */
public final class IocpFakeKernel {
    private static final AtomicReference<IocpFakeKernel> INSTANCE = new AtomicReference<>();

    static final int STATUS_SUCCESS = 0, STATUS_CANCELLED = 0xC0000120, STATUS_CONNECTION_RESET = 0xC000020D,
            STATUS_CONNECTION_REFUSED = 0xC0000236, STATUS_CONNECTION_ABORTED = 0xC0000241,
            STATUS_UNSUCCESSFUL = 0xC0000001, STATUS_IO_TIMEOUT = 0xC00000B5,
            STATUS_NETWORK_UNREACHABLE = 0xC000023C, STATUS_HOST_UNREACHABLE = 0xC000023D,
            STATUS_INSUFFICIENT_RESOURCES = 0xC000009A;
    /** Windows' numbers where they differ from Linux's (ws2def.h, ws2ipdef.h). */
    private static final int WIN_AF_INET6 = Windows.AF_INET6(), LINUX_AF_INET6 = Linux.AF_INET6();
    private static final int SOCKET_ERROR = Windows.SOCKET_ERROR(), WSA_IO_PENDING = Windows.WSA_IO_PENDING(),
            ERROR_IO_PENDING = Windows.ERROR_IO_PENDING();
    /** {@code <linux/in.h>}'s IP_BIND_ADDRESS_NO_PORT (Linux 4.2+), not in the bindings. */
    private static final int IP_BIND_ADDRESS_NO_PORT = 24;
    private static final int KIND_RECV = 1, KIND_SEND = 2, KIND_ACCEPT = 3, KIND_CONNECT = 4;

    /** Calls that failed inside the fake (an assertion in every test). */
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    /** Packets queued on any port, and those queued for completions that happened at once. */
    final AtomicInteger packetsQueued = new AtomicInteger(), inlinePackets = new AtomicInteger();
    final AtomicInteger cancelsFound = new AtomicInteger(), cancelsNotFound = new AtomicInteger();
    /** Wake-up packets (no OVERLAPPED) dequeued by a GQCS call that waited. */
    final AtomicInteger wakePacketsToWaiters = new AtomicInteger();
    /** Sockets for which SetFileCompletionNotificationModes is to fail (the backend's fallback). */
    final AtomicInteger refuseSkipModeForNext = new AtomicInteger();
    /** Runs at the start of CancelIoEx (to let a completion win the race deterministically). */
    final AtomicReference<Runnable> beforeCancel = new AtomicReference<>();
    /** Threads in GetQueuedCompletionStatusEx with INFINITE; guarded by waitLock, never with a port's lock order. */
    private int foreverWaiters;
    private final Object waitLock = new Object();

    private final Arena arena = Arena.global();
    private final Map<String, MemorySegment> stubs = new HashMap<>();
    private final MemorySegment acceptExStub, connectExStub;
    private final ThreadLocal<int[]> lastError = ThreadLocal.withInitial(() -> new int[1]);
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    /** Handles: sockets and ports. Guarded by this. */
    private final Map<Long, Object> handles = new HashMap<>();
    private long nextHandle = 0x1000;
    private final int epfd;
    private final Thread watcher;

    private static final class Scratch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment errno = LinuxErrno.captureSegment(arena);
        final MemorySegment ev = epoll_event.allocate(arena);
        final MemorySegment events = epoll_event.allocateArray(64, arena);
        final MemorySegment word = arena.allocate(16, 8);
        final MemorySegment addr = arena.allocate(128, 8);
        final MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
    }

    private static final class Port {
        final ArrayDeque<long[]> packets = new ArrayDeque<>(); // {key, overlapped, bytes}
    }

    /** What Windows keeps per file object, shared by a socket's duplicate handles. */
    private static final class FileObject {
        boolean skipOnSuccess;
        /** shutdown's SD_RECEIVE and SD_SEND: later receives or sends fail with WSAESHUTDOWN. */
        boolean shutRecv, shutSend;
        Port port;
        long key;
    }

    private static final class Sock {
        final long handle;
        final int family; // Windows' AF_INET or AF_INET6
        final FileObject file;
        int fd; // -1: an AcceptEx target whose placeholder could not be reopened
        boolean bound, listening;
        /** Connected by AcceptEx or ConnectEx, still without its SO_UPDATE_*_CONTEXT. */
        boolean needsContext;
        final List<Pending> pending = new ArrayList<>();
        int watching; // epoll events registered for the pending operations

        Sock(long handle, int fd, int family, FileObject file) {
            this.handle = handle;
            this.fd = fd;
            this.family = family;
            this.file = file;
        }
    }

    private static final class Pending {
        final int kind;
        final long ovl;
        final long buf;
        final int len;
        int done;
        final Sock target; // AcceptEx's accept socket

        Pending(int kind, long ovl, long buf, int len, Sock target) {
            this.kind = kind;
            this.ovl = ovl;
            this.buf = buf;
            this.len = len;
            this.target = target;
        }
    }

    private IocpFakeKernel() {
        Scratch s = scratch.get();
        epfd = LinuxErrno.epoll_create1(s.errno, Linux.EPOLL_CLOEXEC());
        stub("WSAStartup", "wsaStartup", Windows.WSAStartup$descriptor());
        stub("WSASocketW", "wsaSocketW", Windows.WSASocketW$descriptor());
        stub("bind", "bind", Windows.bind$descriptor());
        stub("listen", "listen", Windows.listen$descriptor());
        stub("closesocket", "closesocket", Windows.closesocket$descriptor());
        stub("shutdown", "shutdown", Windows.shutdown$descriptor());
        stub("getsockname", "getsockname", Windows.getsockname$descriptor());
        stub("getpeername", "getpeername", Windows.getpeername$descriptor());
        stub("setsockopt", "setsockopt", Windows.setsockopt$descriptor());
        stub("getsockopt", "getsockopt", Windows.getsockopt$descriptor());
        stub("ioctlsocket", "ioctlsocket", Windows.ioctlsocket$descriptor());
        stub("WSADuplicateSocketW", "wsaDuplicateSocketW", Windows.WSADuplicateSocketW$descriptor());
        stub("GetCurrentProcessId", "getCurrentProcessId", Windows.GetCurrentProcessId$descriptor());
        stub("WSARecv", "wsaRecv", Windows.WSARecv$descriptor());
        stub("WSASend", "wsaSend", Windows.WSASend$descriptor());
        stub("WSAIoctl", "wsaIoctl", Windows.WSAIoctl$descriptor());
        stub("WSAGetOverlappedResult", "wsaGetOverlappedResult", Windows.WSAGetOverlappedResult$descriptor());
        stub("CreateIoCompletionPort", "createIoCompletionPort", Windows.CreateIoCompletionPort$descriptor());
        stub("GetQueuedCompletionStatusEx", "gqcsEx", Windows.GetQueuedCompletionStatusEx$descriptor());
        stub("PostQueuedCompletionStatus", "postQueuedCompletionStatus", Windows.PostQueuedCompletionStatus$descriptor());
        stub("CancelIoEx", "cancelIoEx", Windows.CancelIoEx$descriptor());
        stub("SetFileCompletionNotificationModes", "setFileCompletionNotificationModes",
                Windows.SetFileCompletionNotificationModes$descriptor());
        stub("CloseHandle", "closeHandle", Windows.CloseHandle$descriptor());
        stub("GetLastError", "getLastError", Windows.GetLastError$descriptor());
        stub("WSAGetLastError", "getLastError", Windows.WSAGetLastError$descriptor());
        acceptExStub = upcall("acceptEx", LPFN_ACCEPTEX.descriptor());
        connectExStub = upcall("connectEx", LPFN_CONNECTEX.descriptor());
        watcher = new Thread(this::watch, "iocp-fake-kernel");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** The fake, bound into {@link Windows} on first use. */
    public static IocpFakeKernel install() {
        synchronized (INSTANCE) {
            if (INSTANCE.get() == null) {
                IocpFakeKernel fake = new IocpFakeKernel();
                Windows.bindLookup(name -> Optional.ofNullable(fake.stubs.get(name)));
                INSTANCE.set(fake);
            }
            return INSTANCE.get();
        }
    }

    private MemorySegment upcall(String method, FunctionDescriptor d) {
        try {
            var mh = MethodHandles.lookup().findVirtual(IocpFakeKernel.class, method, d.toMethodType()).bindTo(this);
            return Linker.nativeLinker().upcallStub(mh, d, arena);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private void stub(String symbol, String method, FunctionDescriptor d) {
        stubs.put(symbol, upcall(method, d));
    }

    private int fail(int error, int result) {
        lastError.get()[0] = error;
        return result;
    }

    private int broken(Throwable t, int result) {
        failures.add(t);
        return fail(Windows.ERROR_INVALID_PARAMETER(), result);
    }

    /** Calls that failed inside the fake; net's test session asserts there are none. */
    public List<Throwable> failures() {
        return failures;
    }

    /** Completion ports created so far (net's test session checks that the poller uses the fake). */
    public synchronized int ports() {
        int n = 0;
        for (Object h : handles.values()) {
            n += h instanceof Port ? 1 : 0;
        }
        return n;
    }

    /** The Linux descriptor behind a socket handle (tests use it to poke the connection directly). */
    synchronized int linuxFd(long socket) {
        return ((Sock) handles.get(socket)).fd;
    }

    /** Blocks until a thread waits in GetQueuedCompletionStatusEx with INFINITE, or the time is up. */
    boolean awaitForeverWaiter(long timeout, TimeUnit unit) throws InterruptedException {
        synchronized (waitLock) {
            long end = System.nanoTime() + unit.toNanos(timeout);
            while (foreverWaiters == 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(waitLock, left);
            }
            return true;
        }
    }

    // ------------------------------------------------------------------ ws2_32

    int getLastError() {
        return lastError.get()[0];
    }

    int wsaStartup(short version, MemorySegment data) {
        return 0;
    }

    long wsaSocketW(int af, int type, int protocol, MemorySegment info, int g, int flags) {
        try {
            int from = Windows.FROM_PROTOCOL_INFO();
            if (af == from && type == from && protocol == from) {
                return duplicate(info.reinterpret(WSAPROTOCOL_INFOW.sizeof()));
            }
            if ((af != Windows.AF_INET() && af != WIN_AF_INET6) || type != Windows.SOCK_STREAM()) {
                return fail(Windows.WSAEAFNOSUPPORT(), -1);
            }
            Scratch s = scratch.get();
            int fd = LinuxErrno.socket(s.errno, af == WIN_AF_INET6 ? LINUX_AF_INET6 : Linux.AF_INET(),
                    Linux.SOCK_STREAM() | Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC(), 0);
            if (fd < 0) {
                return fail(wsaError(LinuxErrno.errno(s.errno)), -1);
            }
            // Windows binds over connections in TIME_WAIT by default: Linux's SO_REUSEADDR.
            s.word.set(ValueLayout.JAVA_INT, 0, 1);
            LinuxErrno.setsockopt(s.errno, fd, Linux.SOL_SOCKET(), Linux.SO_REUSEADDR(), s.word, 4);
            // ConnectEx wants a socket bound to port 0 first. Windows picks that port among those
            // free for the destination; Linux's bind would pick one free of every socket,
            // TIME_WAIT included, and a machine that just ran tens of thousands of loopback
            // connections has few. So bind defers the port to connect, as Windows in effect does.
            LinuxErrno.setsockopt(s.errno, fd, Linux.IPPROTO_IP(), IP_BIND_ADDRESS_NO_PORT, s.word, 4);
            return newHandle(fd, af, new FileObject());
        } catch (Throwable t) {
            return broken(t, -1);
        }
    }

    private synchronized long newHandle(int fd, int af, FileObject file) {
        long h = nextHandle;
        nextHandle += 4;
        handles.put(h, new Sock(h, fd, af, file));
        return h;
    }

    /** WSASocketW(FROM_PROTOCOL_INFO): a second handle to the socket WSADuplicateSocketW described. */
    private long duplicate(MemorySegment info) {
        Sock k = sock(Integer.toUnsignedLong(WSAPROTOCOL_INFOW.dwProviderReserved(info)));
        if (k == null) {
            return fail(Windows.WSAEINVAL(), -1);
        }
        MemorySegment errno = scratch.get().errno;
        int fd = LinuxErrno.fcntl(errno, k.fd, Linux.F_DUPFD_CLOEXEC(), 0);
        if (fd < 0) {
            return fail(wsaError(LinuxErrno.errno(errno)), -1);
        }
        long h = newHandle(fd, k.family, k.file);
        synchronized (this) {
            sock(h).bound = k.bound;
        }
        return h;
    }

    int wsaDuplicateSocketW(long s, int pid, MemorySegment info) {
        try {
            Sock k = sock(s);
            if (k == null) {
                return fail(Windows.WSAENOTSOCK(), SOCKET_ERROR);
            }
            if (pid != getCurrentProcessId()) {
                return fail(Windows.WSAEINVAL(), SOCKET_ERROR); // only this process is emulated
            }
            MemorySegment i = info.reinterpret(WSAPROTOCOL_INFOW.sizeof());
            i.fill((byte) 0);
            WSAPROTOCOL_INFOW.iAddressFamily(i, k.family);
            WSAPROTOCOL_INFOW.iSocketType(i, Windows.SOCK_STREAM());
            WSAPROTOCOL_INFOW.iProtocol(i, Windows.IPPROTO_TCP());
            WSAPROTOCOL_INFOW.dwProviderReserved(i, (int) s); // the provider's own word: the handle
            return 0;
        } catch (Throwable t) {
            return broken(t, SOCKET_ERROR);
        }
    }

    int getCurrentProcessId() {
        return (int) ProcessHandle.current().pid();
    }

    private synchronized Sock sock(long h) {
        return handles.get(h) instanceof Sock s ? s : null;
    }

    /** A Linux call on a socket's descriptor: its result, negative with errno set on failure. */
    @FunctionalInterface
    private interface LinuxCall {
        int call(Sock k, MemorySegment errno);
    }

    /** Runs {@code c} on socket {@code s}: 0, or SOCKET_ERROR with the Winsock error set. */
    private int socketCall(long s, LinuxCall c) {
        try {
            Sock k = sock(s);
            if (k == null) {
                return fail(Windows.WSAENOTSOCK(), SOCKET_ERROR);
            }
            MemorySegment errno = scratch.get().errno;
            return c.call(k, errno) < 0 ? fail(wsaError(LinuxErrno.errno(errno)), SOCKET_ERROR) : 0;
        } catch (Throwable t) {
            return broken(t, SOCKET_ERROR);
        }
    }

    /** {@link #socketCall} for a call Windows refuses on a socket still without its connect/accept context. */
    private int connectedCall(long s, LinuxCall c) {
        Sock k = sock(s);
        if (k != null && k.needsContext) {
            return fail(Windows.WSAENOTCONN(), SOCKET_ERROR);
        }
        return socketCall(s, c);
    }

    /**
     * A Windows {@code sockaddr} of {@code len} bytes as Linux's, in this thread's scratch:
     * the layouts agree (a 2-byte family, then the port and address at the same offsets),
     * the numbers of AF_INET6 do not.
     */
    private MemorySegment toLinux(MemorySegment name, int len) {
        MemorySegment a = scratch.get().addr;
        a.fill((byte) 0);
        MemorySegment.copy(name.reinterpret(len), 0, a, 0, Math.min(len, a.byteSize()));
        if (Short.toUnsignedInt(a.get(ValueLayout.JAVA_SHORT, 0)) == WIN_AF_INET6) {
            a.set(ValueLayout.JAVA_SHORT, 0, (short) LINUX_AF_INET6);
        }
        return a;
    }

    /** Whether the Linux sockaddr {@code a} holds 0.0.0.0 or :: (any port). */
    private static boolean unspecified(MemorySegment a) {
        boolean v6 = Short.toUnsignedInt(a.get(ValueLayout.JAVA_SHORT, 0)) == LINUX_AF_INET6;
        int off = v6 ? 8 : 4, n = v6 ? 16 : 4;
        for (int i = 0; i < n; i++) {
            if (a.get(ValueLayout.JAVA_BYTE, off + i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** getsockname/getpeername of Linux, answered in Windows' numbers. */
    private int nameCall(long s, MemorySegment name, MemorySegment len, boolean peer) {
        MemorySegment l = len.reinterpret(4);
        int room = l.get(ValueLayout.JAVA_INT, 0);
        return connectedCall(s, (k, errno) -> {
            MemorySegment a = scratch.get().addr;
            MemorySegment al = scratch.get().len;
            al.set(ValueLayout.JAVA_INT, 0, (int) a.byteSize());
            int r = peer ? LinuxErrno.getpeername(errno, k.fd, a, al) : LinuxErrno.getsockname(errno, k.fd, a, al);
            if (r < 0) {
                return r;
            }
            int n = al.get(ValueLayout.JAVA_INT, 0);
            if (n > room) {
                errno.set(ValueLayout.JAVA_INT, 0, Linux.EFAULT()); // WSAEFAULT: the buffer is too small
                return -1;
            }
            if (Short.toUnsignedInt(a.get(ValueLayout.JAVA_SHORT, 0)) == LINUX_AF_INET6) {
                a.set(ValueLayout.JAVA_SHORT, 0, (short) WIN_AF_INET6);
            }
            MemorySegment.copy(a, 0, name.reinterpret(n), 0, n);
            l.set(ValueLayout.JAVA_INT, 0, n);
            return 0;
        });
    }

    int bind(long s, MemorySegment name, int len) {
        return socketCall(s, (k, errno) -> {
            int r = LinuxErrno.bind(errno, k.fd, toLinux(name, len), len);
            if (r == 0) {
                synchronized (this) {
                    k.bound = true;
                }
            }
            return r;
        });
    }

    int listen(long s, int backlog) {
        return socketCall(s, (k, errno) -> {
            int r = LinuxErrno.listen(errno, k.fd, backlog);
            if (r == 0) {
                synchronized (this) {
                    k.listening = true;
                }
            }
            return r;
        });
    }

    int getsockname(long s, MemorySegment name, MemorySegment len) {
        return nameCall(s, name, len, false);
    }

    int getpeername(long s, MemorySegment name, MemorySegment len) {
        return nameCall(s, name, len, true);
    }

    /** ioctlsocket with FIONREAD (a {@code u_long}, 4 bytes on Windows), the only command emulated. */
    int ioctlsocket(long s, int cmd, MemorySegment argp) {
        if (cmd != Windows.FIONREAD()) {
            return broken(new AssertionError("IOCP fake: ioctlsocket command 0x" + Integer.toHexString(cmd)),
                    SOCKET_ERROR);
        }
        return socketCall(s, (k, errno) -> LinuxErrno.ioctl(errno, k.fd, Linux.FIONREAD(), argp.reinterpret(4)));
    }

    int shutdown(long s, int how) {
        // SD_RECEIVE/SD_SEND/SD_BOTH are 0/1/2, as SHUT_RD/SHUT_WR/SHUT_RDWR.
        return connectedCall(s, (k, errno) -> {
            int r = LinuxErrno.shutdown(errno, k.fd, how);
            if (r == 0) {
                synchronized (this) {
                    k.file.shutRecv |= how == Windows.SD_RECEIVE() || how == Windows.SD_BOTH();
                    k.file.shutSend |= how == Windows.SD_SEND() || how == Windows.SD_BOTH();
                }
            }
            return r;
        });
    }

    /** An option's Linux level and name, {-1, -1} for one not emulated. */
    private static int[] linuxOption(int level, int name) {
        if (level == Windows.SOL_SOCKET()) {
            int n = name == Windows.SO_SNDBUF() ? Linux.SO_SNDBUF() : name == Windows.SO_RCVBUF() ? Linux.SO_RCVBUF()
                    : name == Windows.SO_REUSEADDR() ? Linux.SO_REUSEADDR() : name == Windows.SO_KEEPALIVE()
                    ? Linux.SO_KEEPALIVE() : name == Windows.SO_LINGER() ? Linux.SO_LINGER()
                    : name == Windows.SO_ERROR() ? Linux.SO_ERROR() : -1;
            return new int[] {n < 0 ? -1 : Linux.SOL_SOCKET(), n};
        }
        if (level == Windows.IPPROTO_TCP() && name == Windows.TCP_NODELAY()) {
            return new int[] {Linux.IPPROTO_TCP(), Linux.TCP_NODELAY()};
        }
        if (level == Windows.IPPROTO_IPV6() && name == Windows.IPV6_V6ONLY()) {
            return new int[] {Linux.IPPROTO_IPV6(), Linux.IPV6_V6ONLY()};
        }
        return new int[] {-1, -1};
    }

    int setsockopt(long s, int level, int name, MemorySegment value, int len) {
        if (level == Windows.SOL_SOCKET() && name == Windows.SO_UPDATE_ACCEPT_CONTEXT()) {
            return updateContext(s, value, len, true);
        }
        if (level == Windows.SOL_SOCKET() && name == Windows.SO_UPDATE_CONNECT_CONTEXT()) {
            return updateContext(s, value, len, false);
        }
        int[] o = linuxOption(level, name);
        if (o[0] < 0 || name == Windows.SO_ERROR()) {
            return fail(Windows.WSAENOPROTOOPT(), SOCKET_ERROR);
        }
        if (name == Windows.SO_LINGER() && level == Windows.SOL_SOCKET()) {
            if (len < 4) {
                return fail(Windows.WSAEFAULT(), SOCKET_ERROR);
            }
            // struct linger { u_short l_onoff; u_short l_linger; } becomes Linux's two ints.
            MemorySegment v = value.reinterpret(4);
            MemorySegment w = scratch.get().word;
            w.set(ValueLayout.JAVA_INT, 0, Short.toUnsignedInt(v.get(ValueLayout.JAVA_SHORT, 0)));
            w.set(ValueLayout.JAVA_INT, 4, Short.toUnsignedInt(v.get(ValueLayout.JAVA_SHORT, 2)));
            return socketCall(s, (k, errno) -> LinuxErrno.setsockopt(errno, k.fd, o[0], o[1], w, 8));
        }
        if (len < 4) {
            return fail(Windows.WSAEFAULT(), SOCKET_ERROR);
        }
        return socketCall(s, (k, errno) -> LinuxErrno.setsockopt(errno, k.fd, o[0], o[1], value.reinterpret(4), 4));
    }

    /**
     * SO_UPDATE_ACCEPT_CONTEXT (value: the listening socket's handle) or
     * SO_UPDATE_CONNECT_CONTEXT (no value): the socket becomes fully usable.
     */
    private int updateContext(long s, MemorySegment value, int len, boolean accept) {
        try {
            synchronized (this) {
                Sock k = sock(s);
                if (k == null) {
                    return fail(Windows.WSAENOTSOCK(), SOCKET_ERROR);
                }
                if (accept) {
                    Sock l = len == 8 ? sock(value.reinterpret(8).get(ValueLayout.JAVA_LONG, 0)) : null;
                    if (l == null || !l.listening) {
                        return fail(Windows.WSAEINVAL(), SOCKET_ERROR);
                    }
                }
                k.needsContext = false;
                return 0;
            }
        } catch (Throwable t) {
            return broken(t, SOCKET_ERROR);
        }
    }

    int getsockopt(long s, int level, int name, MemorySegment value, MemorySegment len) {
        MemorySegment l = len.reinterpret(4);
        int room = l.get(ValueLayout.JAVA_INT, 0);
        int[] o = linuxOption(level, name);
        if (o[0] < 0) {
            return fail(Windows.WSAENOPROTOOPT(), SOCKET_ERROR);
        }
        if (room < 4) {
            return fail(Windows.WSAEFAULT(), SOCKET_ERROR);
        }
        boolean linger = level == Windows.SOL_SOCKET() && name == Windows.SO_LINGER();
        return socketCall(s, (k, errno) -> {
            MemorySegment w = scratch.get().word;
            MemorySegment wl = scratch.get().len;
            wl.set(ValueLayout.JAVA_INT, 0, linger ? 8 : 4);
            int r = LinuxErrno.getsockopt(errno, k.fd, o[0], o[1], w, wl);
            if (r < 0) {
                return r;
            }
            MemorySegment v = value.reinterpret(4);
            if (linger) {
                v.set(ValueLayout.JAVA_SHORT, 0, (short) w.get(ValueLayout.JAVA_INT, 0));
                v.set(ValueLayout.JAVA_SHORT, 2, (short) w.get(ValueLayout.JAVA_INT, 4));
            } else if (name == Windows.SO_ERROR() && level == Windows.SOL_SOCKET()) {
                int e = w.get(ValueLayout.JAVA_INT, 0);
                v.set(ValueLayout.JAVA_INT, 0, e == 0 ? 0 : wsaError(e));
            } else {
                v.set(ValueLayout.JAVA_INT, 0, w.get(ValueLayout.JAVA_INT, 0));
            }
            l.set(ValueLayout.JAVA_INT, 0, 4);
            return 0;
        });
    }

    int closesocket(long s) {
        try {
            Sock k;
            synchronized (this) {
                k = sock(s);
                if (k == null) {
                    return fail(Windows.WSAENOTSOCK(), SOCKET_ERROR);
                }
                handles.remove(s);
                for (Pending p : k.pending) {
                    complete(k, p, STATUS_CANCELLED, p.done);
                }
                k.pending.clear();
                unwatch(k);
            }
            if (k.fd >= 0) {
                LinuxErrno.close(scratch.get().errno, k.fd);
            }
            return 0;
        } catch (Throwable t) {
            return broken(t, SOCKET_ERROR);
        }
    }

    int wsaIoctl(long s, int code, MemorySegment in, int inLen, MemorySegment out, int outLen, MemorySegment returned,
                 MemorySegment ovl, MemorySegment routine) {
        try {
            if (code == Windows.SIO_KEEPALIVE_VALS()) {
                return keepAliveVals(s, in, inLen);
            }
            if (code != Windows.SIO_GET_EXTENSION_FUNCTION_POINTER() || inLen != 16 || outLen < 8) {
                return fail(Windows.WSAEINVAL(), SOCKET_ERROR);
            }
            MemorySegment guid = in.reinterpret(16);
            MemorySegment fn;
            if (guid.mismatch(WsaIds.WSAID_ACCEPTEX()) == -1) {
                fn = acceptExStub;
            } else if (guid.mismatch(WsaIds.WSAID_CONNECTEX()) == -1) {
                fn = connectExStub;
            } else {
                return fail(Windows.WSAEINVAL(), SOCKET_ERROR);
            }
            out.reinterpret(8).set(ValueLayout.ADDRESS, 0, fn);
            returned.reinterpret(4).set(ValueLayout.JAVA_INT, 0, 8);
            return 0;
        } catch (Throwable t) {
            return broken(t, SOCKET_ERROR);
        }
    }

    /**
     * SIO_KEEPALIVE_VALS ({@code struct tcp_keepalive}: on/off, then the idle time and the probe
     * interval in milliseconds) as Linux's SO_KEEPALIVE, TCP_KEEPIDLE and TCP_KEEPINTVL, the
     * times rounded up to whole seconds (Linux's unit).
     */
    private int keepAliveVals(long s, MemorySegment in, int inLen) {
        if (inLen < tcp_keepalive.sizeof()) {
            return fail(Windows.WSAEFAULT(), SOCKET_ERROR);
        }
        MemorySegment v = in.reinterpret(tcp_keepalive.sizeof());
        int[] values = {tcp_keepalive.onoff(v) != 0 ? 1 : 0, seconds(tcp_keepalive.keepalivetime(v)),
            seconds(tcp_keepalive.keepaliveinterval(v))};
        int[][] options = {{Linux.SOL_SOCKET(), Linux.SO_KEEPALIVE()}, {Linux.IPPROTO_TCP(), Linux.TCP_KEEPIDLE()},
            {Linux.IPPROTO_TCP(), Linux.TCP_KEEPINTVL()}};
        for (int i = 0; i < options.length; i++) {
            int[] o = options[i];
            int value = values[i];
            int r = socketCall(s, (k, errno) -> {
                MemorySegment w = scratch.get().word;
                w.set(ValueLayout.JAVA_INT, 0, value);
                return LinuxErrno.setsockopt(errno, k.fd, o[0], o[1], w, 4);
            });
            if (r != 0) {
                return r;
            }
        }
        return 0;
    }

    private static int seconds(int millis) {
        return (int) Math.max(1, (Integer.toUnsignedLong(millis) + 999) / 1000);
    }

    int wsaGetOverlappedResult(long s, MemorySegment ovl, MemorySegment bytes, int wait, MemorySegment flags) {
        try {
            MemorySegment o = ovl.reinterpret(OVERLAPPED.sizeof());
            int status = (int) OVERLAPPED.Internal(o);
            bytes.reinterpret(4).set(ValueLayout.JAVA_INT, 0, (int) OVERLAPPED.InternalHigh(o));
            if (status == STATUS_SUCCESS) {
                return 1;
            }
            return fail(switch (status) {
                case STATUS_CANCELLED -> Windows.WSA_OPERATION_ABORTED();
                case STATUS_CONNECTION_RESET -> Windows.WSAECONNRESET();
                case STATUS_CONNECTION_REFUSED -> Windows.WSAECONNREFUSED();
                case STATUS_CONNECTION_ABORTED -> Windows.WSAECONNABORTED();
                default -> Windows.WSAEINVAL();
            }, 0);
        } catch (Throwable t) {
            return broken(t, 0);
        }
    }

    int wsaRecv(long s, MemorySegment bufs, int count, MemorySegment received, MemorySegment flags, MemorySegment ovl,
                MemorySegment routine) {
        return start(s, KIND_RECV, bufs, count, received, ovl, null);
    }

    int wsaSend(long s, MemorySegment bufs, int count, MemorySegment sent, int flags, MemorySegment ovl,
                MemorySegment routine) {
        return start(s, KIND_SEND, bufs, count, sent, ovl, null);
    }

    int acceptEx(long listen, long accept, MemorySegment out, int recvLen, int localLen, int remoteLen,
                 MemorySegment bytes, MemorySegment ovl) {
        Sock target = sock(accept);
        if (target == null) {
            return fail(Windows.WSAENOTSOCK(), 0);
        }
        synchronized (this) {
            target.needsContext = true;
        }
        int r = start(listen, KIND_ACCEPT, out, 0, bytes, ovl, target);
        return r == 0 ? 1 : 0;
    }

    int connectEx(long s, MemorySegment name, int len, MemorySegment send, int sendLen, MemorySegment sent,
                  MemorySegment ovl) {
        try {
            Sock k = sock(s);
            if (k == null) {
                return fail(Windows.WSAENOTSOCK(), 0);
            }
            if (!k.bound) {
                return fail(Windows.WSAEINVAL(), 0); // ConnectEx wants a bound socket
            }
            synchronized (this) {
                k.needsContext = true;
            }
            Scratch sc = scratch.get();
            MemorySegment to = toLinux(name, len);
            if (unspecified(to)) {
                // Windows refuses INADDR_ANY and in6addr_any as a remote address (connect's
                // WSAEADDRNOTAVAIL), where Linux connects to the local host.
                return fail(Windows.WSAEADDRNOTAVAIL(), 0);
            }
            int r = LinuxErrno.connect(sc.errno, k.fd, to, len);
            int e = r == 0 ? 0 : LinuxErrno.errno(sc.errno);
            if (e != 0 && e != Linux.EINPROGRESS()) {
                return fail(wsaError(e), 0);
            }
            return start(s, KIND_CONNECT, MemorySegment.NULL, e == 0 ? -1 : 0, sent, ovl, null) == 0 ? 1 : 0;
        } catch (Throwable t) {
            return broken(t, 0);
        }
    }

    /**
     * Starts an overlapped operation: tries it at once, and completes it (0; a packet unless in
     * skip mode), fails it (SOCKET_ERROR, no packet) or leaves it pending (SOCKET_ERROR,
     * WSA_IO_PENDING). For connect, {@code count} -1 means "already connected".
     */
    private int start(long s, int kind, MemorySegment bufs, int count, MemorySegment bytes, MemorySegment ovl, Sock target) {
        try {
            Sock k = sock(s);
            if (k == null) {
                return fail(Windows.WSAENOTSOCK(), SOCKET_ERROR);
            }
            long buf = 0;
            int len = 0;
            if (kind == KIND_RECV || kind == KIND_SEND) {
                if (count != 1) {
                    return fail(Windows.WSAEINVAL(), SOCKET_ERROR);
                }
                MemorySegment b = bufs.reinterpret(WSABUF.sizeof());
                buf = WSABUF.buf(b).address();
                len = WSABUF.len(b);
            } else if (kind == KIND_ACCEPT) {
                buf = bufs.address();
            }
            Pending p = new Pending(kind, ovl.address(), buf, len, target);
            synchronized (this) {
                if ((kind == KIND_RECV && k.file.shutRecv) || (kind == KIND_SEND && k.file.shutSend)) {
                    return fail(Windows.WSAESHUTDOWN(), SOCKET_ERROR); // WSARecv, WSASend: after shutdown
                }
                OVERLAPPED.Internal(ovl.reinterpret(OVERLAPPED.sizeof()), 0x103); // STATUS_PENDING
                // A connect in progress is only looked at again once the socket is writable.
                int status = kind != KIND_CONNECT ? attempt(k, p) : count == -1 ? STATUS_SUCCESS : ERROR_IO_PENDING;
                if (status == ERROR_IO_PENDING) {
                    k.pending.add(p);
                    watch(k);
                    return fail(WSA_IO_PENDING, SOCKET_ERROR);
                }
                if (status != STATUS_SUCCESS) {
                    OVERLAPPED.Internal(ovl.reinterpret(OVERLAPPED.sizeof()), status);
                    return fail(wsaErrorOf(status), SOCKET_ERROR);
                }
                if (bytes.address() != 0) {
                    bytes.reinterpret(4).set(ValueLayout.JAVA_INT, 0, p.done);
                }
                if (k.file.skipOnSuccess) {
                    MemorySegment o = ovl.reinterpret(OVERLAPPED.sizeof());
                    OVERLAPPED.Internal(o, STATUS_SUCCESS);
                    OVERLAPPED.InternalHigh(o, p.done);
                } else {
                    inlinePackets.incrementAndGet();
                    complete(k, p, STATUS_SUCCESS, p.done);
                }
                return 0;
            }
        } catch (Throwable t) {
            return broken(t, SOCKET_ERROR);
        }
    }

    /** One non-blocking attempt: STATUS_SUCCESS (p.done set), ERROR_IO_PENDING, or an error status. */
    private int attempt(Sock k, Pending p) {
        Scratch s = scratch.get();
        switch (p.kind) {
            case KIND_RECV -> {
                long n = LinuxErrno.recv(s.errno, k.fd, MemorySegment.ofAddress(p.buf).reinterpret(p.len), p.len,
                        Linux.MSG_DONTWAIT());
                if (n >= 0) {
                    p.done = (int) n; // 0: the peer's end of stream
                    return STATUS_SUCCESS;
                }
                return statusOf(LinuxErrno.errno(s.errno));
            }
            case KIND_SEND -> {
                while (p.done < p.len) {
                    long n = LinuxErrno.send(s.errno, k.fd, MemorySegment.ofAddress(p.buf + p.done).reinterpret(p.len - p.done),
                            p.len - p.done, Linux.MSG_DONTWAIT() | Linux.MSG_NOSIGNAL());
                    if (n < 0) {
                        return statusOf(LinuxErrno.errno(s.errno));
                    }
                    p.done += (int) n;
                }
                return STATUS_SUCCESS;
            }
            case KIND_ACCEPT -> {
                // The connection takes the place of the unconnected socket the caller made, as
                // on Windows, where AcceptEx needs no new handle: its descriptor goes first.
                if (p.target.fd >= 0) {
                    LinuxErrno.close(s.errno, p.target.fd);
                    p.target.fd = -1;
                }
                int fd = LinuxErrno.accept4(s.errno, k.fd, MemorySegment.NULL, MemorySegment.NULL,
                        Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC());
                if (fd < 0) {
                    int e = LinuxErrno.errno(s.errno);
                    p.target.fd = LinuxErrno.socket(s.errno, k.family == WIN_AF_INET6 ? LINUX_AF_INET6 : Linux.AF_INET(),
                            Linux.SOCK_STREAM() | Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC(), 0);
                    return e == Linux.EMFILE() || e == Linux.ENFILE() ? ERROR_IO_PENDING : statusOf(e);
                }
                p.target.fd = fd;
                return STATUS_SUCCESS;
            }
            case KIND_CONNECT -> {
                s.len.set(ValueLayout.JAVA_INT, 0, 4);
                LinuxErrno.getsockopt(s.errno, k.fd, Linux.SOL_SOCKET(), Linux.SO_ERROR(), s.word, s.len);
                int e = s.word.get(ValueLayout.JAVA_INT, 0);
                if (e == 0) {
                    return STATUS_SUCCESS; // called once writable: connected
                }
                return statusOf(e);
            }
            default -> throw new IllegalStateException("kind " + p.kind);
        }
    }

    /** The NTSTATUS an overlapped operation ends with for a Linux errno. */
    private static int statusOf(int errno) {
        if (errno == Linux.EAGAIN() || errno == Linux.EINPROGRESS()) {
            return ERROR_IO_PENDING;
        }
        if (errno == Linux.ECONNRESET() || errno == Linux.EPIPE()) {
            return STATUS_CONNECTION_RESET;
        }
        if (errno == Linux.ECONNREFUSED()) {
            return STATUS_CONNECTION_REFUSED;
        }
        if (errno == Linux.ECONNABORTED()) {
            return STATUS_CONNECTION_ABORTED;
        }
        if (errno == Linux.ETIMEDOUT()) {
            return STATUS_IO_TIMEOUT;
        }
        if (errno == Linux.ENETUNREACH()) {
            return STATUS_NETWORK_UNREACHABLE;
        }
        if (errno == Linux.EHOSTUNREACH()) {
            return STATUS_HOST_UNREACHABLE;
        }
        if (errno == Linux.ENOBUFS() || errno == Linux.ENOMEM()) {
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        return STATUS_UNSUCCESSFUL;
    }

    /** What WSAGetOverlappedResult reports for an NTSTATUS (afd's mapping, as far as emulated). */
    private static int wsaErrorOf(int status) {
        return switch (status) {
            case STATUS_CONNECTION_RESET -> Windows.WSAECONNRESET();
            case STATUS_CONNECTION_REFUSED -> Windows.WSAECONNREFUSED();
            case STATUS_CONNECTION_ABORTED -> Windows.WSAECONNABORTED();
            case STATUS_CANCELLED -> Windows.WSA_OPERATION_ABORTED();
            case STATUS_IO_TIMEOUT -> Windows.WSAETIMEDOUT();
            case STATUS_NETWORK_UNREACHABLE -> Windows.WSAENETUNREACH();
            case STATUS_HOST_UNREACHABLE -> Windows.WSAEHOSTUNREACH();
            case STATUS_INSUFFICIENT_RESOURCES -> Windows.WSAENOBUFS();
            default -> Windows.WSAEINVAL();
        };
    }

    /** The Winsock error of a failed synchronous call, by the Linux errno behind it. */
    private static int wsaError(int errno) {
        if (errno == Linux.EADDRINUSE()) {
            return Windows.WSAEADDRINUSE();
        }
        if (errno == Linux.EADDRNOTAVAIL()) {
            return Windows.WSAEADDRNOTAVAIL();
        }
        if (errno == Linux.ECONNREFUSED()) {
            return Windows.WSAECONNREFUSED();
        }
        if (errno == Linux.ECONNRESET()) {
            return Windows.WSAECONNRESET();
        }
        if (errno == Linux.ENOTCONN()) {
            return Windows.WSAENOTCONN();
        }
        if (errno == Linux.EISCONN()) {
            return Windows.WSAEISCONN();
        }
        if (errno == Linux.EMFILE() || errno == Linux.ENFILE()) {
            return Windows.WSAEMFILE();
        }
        if (errno == Linux.ENOBUFS() || errno == Linux.ENOMEM()) {
            return Windows.WSAENOBUFS();
        }
        if (errno == Linux.EAFNOSUPPORT()) {
            return Windows.WSAEAFNOSUPPORT();
        }
        if (errno == Linux.ENETUNREACH()) {
            return Windows.WSAENETUNREACH();
        }
        if (errno == Linux.EHOSTUNREACH()) {
            return Windows.WSAEHOSTUNREACH();
        }
        if (errno == Linux.ETIMEDOUT()) {
            return Windows.WSAETIMEDOUT();
        }
        if (errno == Linux.EFAULT()) {
            return Windows.WSAEFAULT();
        }
        if (errno == Linux.ENOPROTOOPT()) {
            return Windows.WSAENOPROTOOPT();
        }
        return Windows.WSAEINVAL();
    }

    /** Writes the result into the OVERLAPPED and queues the packet (guarded by this). */
    private void complete(Sock k, Pending p, int status, int bytes) {
        MemorySegment o = MemorySegment.ofAddress(p.ovl).reinterpret(OVERLAPPED.sizeof());
        OVERLAPPED.Internal(o, status);
        OVERLAPPED.InternalHigh(o, bytes);
        Port port = k.file.port;
        if (port != null) {
            synchronized (port) {
                port.packets.add(new long[] {k.file.key, p.ovl, bytes});
                port.notifyAll();
            }
            packetsQueued.incrementAndGet();
        }
    }

    // ------------------------------------------------------------------ kernel32

    MemorySegment createIoCompletionPort(MemorySegment file, MemorySegment existing, long key, int threads) {
        try {
            synchronized (this) {
                if (file.address() == Windows.INVALID_HANDLE_VALUE().address()) {
                    long h = nextHandle;
                    nextHandle += 4;
                    handles.put(h, new Port());
                    return MemorySegment.ofAddress(h);
                }
                Sock k = sock(file.address());
                if (k == null || !(handles.get(existing.address()) instanceof Port port)) {
                    fail(Windows.ERROR_INVALID_HANDLE(), 0);
                    return MemorySegment.NULL;
                }
                if (k.file.port != null) {
                    fail(Windows.ERROR_INVALID_PARAMETER(), 0); // one association per file object
                    return MemorySegment.NULL;
                }
                k.file.port = port;
                k.file.key = key;
                return existing;
            }
        } catch (Throwable t) {
            broken(t, 0);
            return MemorySegment.NULL;
        }
    }

    int setFileCompletionNotificationModes(MemorySegment file, byte flags) {
        try {
            if (refuseSkipModeForNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                return fail(Windows.ERROR_INVALID_PARAMETER(), 0);
            }
            synchronized (this) {
                Sock k = sock(file.address());
                if (k == null) {
                    return fail(Windows.ERROR_INVALID_HANDLE(), 0);
                }
                k.file.skipOnSuccess = (flags & Windows.FILE_SKIP_COMPLETION_PORT_ON_SUCCESS()) != 0;
                return 1;
            }
        } catch (Throwable t) {
            return broken(t, 0);
        }
    }

    int postQueuedCompletionStatus(MemorySegment port, int bytes, long key, MemorySegment ovl) {
        try {
            Port p;
            synchronized (this) {
                if (!(handles.get(port.address()) instanceof Port q)) {
                    return fail(Windows.ERROR_INVALID_HANDLE(), 0);
                }
                p = q;
            }
            synchronized (p) {
                p.packets.add(new long[] {key, ovl.address(), Integer.toUnsignedLong(bytes)});
                p.notifyAll();
            }
            packetsQueued.incrementAndGet();
            return 1;
        } catch (Throwable t) {
            return broken(t, 0);
        }
    }

    int gqcsEx(MemorySegment port, MemorySegment entries, int count, MemorySegment removed, int millis, int alertable) {
        try {
            Port p;
            synchronized (this) {
                if (!(handles.get(port.address()) instanceof Port q)) {
                    return fail(Windows.ERROR_INVALID_HANDLE(), 0);
                }
                p = q;
            }
            boolean forever = millis == Windows.INFINITE();
            MemorySegment out = entries.reinterpret(OVERLAPPED_ENTRY.sizeof() * count);
            int n = 0;
            boolean wake = false;
            synchronized (p) {
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Integer.toUnsignedLong(millis));
                if (forever) {
                    foreverWaiters(1);
                }
                try {
                    while (p.packets.isEmpty()) {
                        long left = end - System.nanoTime();
                        if (!forever && left <= 0) {
                            return fail(Windows.WAIT_TIMEOUT(), 0);
                        }
                        if (forever) {
                            p.wait();
                        } else {
                            TimeUnit.NANOSECONDS.timedWait(p, left);
                        }
                    }
                } finally {
                    if (forever) {
                        foreverWaiters(-1);
                    }
                }
                while (n < count && !p.packets.isEmpty()) {
                    long[] pk = p.packets.poll();
                    long base = n * OVERLAPPED_ENTRY.sizeof();
                    out.set(ValueLayout.JAVA_LONG, base + OVERLAPPED_ENTRY.lpCompletionKey$offset(), pk[0]);
                    out.set(ValueLayout.JAVA_LONG, base + OVERLAPPED_ENTRY.lpOverlapped$offset(), pk[1]);
                    out.set(ValueLayout.JAVA_LONG, base + OVERLAPPED_ENTRY.Internal$offset(), 0L);
                    out.set(ValueLayout.JAVA_INT, base + OVERLAPPED_ENTRY.dwNumberOfBytesTransferred$offset(), (int) pk[2]);
                    wake |= pk[1] == 0;
                    n++;
                }
            }
            if (wake && millis != 0) {
                wakePacketsToWaiters.incrementAndGet();
            }
            removed.reinterpret(4).set(ValueLayout.JAVA_INT, 0, n);
            return 1;
        } catch (Throwable t) {
            return broken(t, 0);
        }
    }

    private void foreverWaiters(int delta) {
        synchronized (waitLock) {
            foreverWaiters += delta;
            waitLock.notifyAll();
        }
    }

    int cancelIoEx(MemorySegment file, MemorySegment ovl) {
        try {
            Runnable hook = beforeCancel.getAndSet(null);
            if (hook != null) {
                hook.run();
            }
            synchronized (this) {
                Sock k = sock(file.address());
                if (k == null) {
                    return fail(Windows.ERROR_INVALID_HANDLE(), 0);
                }
                boolean found = false;
                for (Iterator<Pending> it = k.pending.iterator(); it.hasNext(); ) {
                    Pending p = it.next();
                    if (ovl.address() == 0 || p.ovl == ovl.address()) {
                        it.remove();
                        complete(k, p, STATUS_CANCELLED, p.done);
                        found = true;
                    }
                }
                watch(k);
                if (!found) {
                    cancelsNotFound.incrementAndGet();
                    return fail(Windows.ERROR_NOT_FOUND(), 0);
                }
                cancelsFound.incrementAndGet();
                return 1;
            }
        } catch (Throwable t) {
            return broken(t, 0);
        }
    }

    int closeHandle(MemorySegment h) {
        synchronized (this) {
            return handles.remove(h.address()) instanceof Port ? 1 : fail(Windows.ERROR_INVALID_HANDLE(), 0);
        }
    }

    // ------------------------------------------------------------------ the "kernel" thread

    /** Keeps k's epoll registration in line with what its pending operations wait for (guarded by this). */
    private void watch(Sock k) {
        int want = 0;
        for (Pending p : k.pending) {
            want |= p.kind == KIND_RECV || p.kind == KIND_ACCEPT ? Linux.EPOLLIN() | Linux.EPOLLRDHUP() : Linux.EPOLLOUT();
        }
        if (want == k.watching) {
            return;
        }
        Scratch s = scratch.get();
        epoll_event.events(s.ev, want);
        s.ev.set(ValueLayout.JAVA_LONG_UNALIGNED, epoll_event.data$offset(), k.handle);
        int op = k.watching == 0 ? Linux.EPOLL_CTL_ADD() : want == 0 ? Linux.EPOLL_CTL_DEL() : Linux.EPOLL_CTL_MOD();
        LinuxErrno.epoll_ctl(s.errno, epfd, op, k.fd, s.ev);
        k.watching = want;
    }

    private void unwatch(Sock k) {
        if (k.watching != 0) {
            Scratch s = scratch.get();
            LinuxErrno.epoll_ctl(s.errno, epfd, Linux.EPOLL_CTL_DEL(), k.fd, s.ev);
            k.watching = 0;
        }
    }

    /** Runs the pending operations of the socket now (as the watcher does when it is ready). */
    synchronized void pump(long socket) {
        Sock k = sock(socket);
        if (k != null) {
            progress(k);
        }
    }

    private void progress(Sock k) {
        for (Iterator<Pending> it = k.pending.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            int status = attempt(k, p);
            if (status != ERROR_IO_PENDING) {
                it.remove();
                complete(k, p, status, p.done);
            }
        }
        watch(k);
    }

    private void watch() {
        Scratch s = scratch.get();
        for (;;) {
            int n = LinuxErrno.epoll_wait(s.errno, epfd, s.events, 64, -1);
            for (int i = 0; i < n; i++) {
                long h = s.events.get(ValueLayout.JAVA_LONG_UNALIGNED, i * epoll_event.sizeof() + epoll_event.data$offset());
                try {
                    pump(h);
                } catch (Throwable t) {
                    failures.add(t);
                }
            }
        }
    }
}
