package io.panago.net.poll;

import io.panago.bindings.windows.WSADATA;
import io.panago.bindings.windows.WSAPROTOCOL_INFOW;
import io.panago.bindings.windows.WinError;
import io.panago.bindings.windows.Windows;
import io.panago.bindings.windows.WindowsErrno;
import io.panago.bindings.windows.linger;
import io.panago.bindings.windows.tcp_keepalive;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * {@link Sys} on Windows (Go: syscall_windows.go and internal/poll's fd_windows.go), Winsock
 * through {@code io.panago.bindings.windows}. Windows is the completion model all the way:
 * <ul>
 * <li>sockets are overlapped and not inheritable ({@code WSASocketW} with
 * {@code WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT}), and a {@code SOCKET} is a handle,
 * so every descriptor here is a {@code long};</li>
 * <li>accept, connect, read and send are no calls of this class: {@link FD} runs them as
 * overlapped {@code AcceptEx}, {@code ConnectEx}, {@code WSARecv} and {@code WSASend} on the
 * IOCP poller, and parks threads on the poll descriptor, so there is no poll(2) and no wake-up
 * descriptor either; those methods throw;</li>
 * <li>{@code tryClone} is {@code WSADuplicateSocketW} into this process plus
 * {@code WSASocketW(FROM_PROTOCOL_INFO)} (Windows has no dup(2) for sockets);</li>
 * <li>errors are {@code WSAGetLastError()}'s Winsock codes ({@code WSAECONNRESET} is 10054),
 * negated like errno elsewhere; {@link Errors} names them;</li>
 * <li>{@code WSAStartup} runs once, before the first socket.</li>
 * </ul>
 * Option values are Windows' own ({@code SOL_SOCKET} is 0xffff; {@code struct linger} is two
 * {@code u_short}s; boolean options are 4-byte {@code BOOL}s).
 */
final class SysWindows implements Sys.Os {
    static final int SOCK_STREAM = Windows.SOCK_STREAM();
    static final int SOL_SOCKET = Windows.SOL_SOCKET();
    static final int SO_REUSEADDR = Windows.SO_REUSEADDR();
    static final int SO_ERROR = Windows.SO_ERROR();
    static final int SO_KEEPALIVE = Windows.SO_KEEPALIVE();
    static final int SO_RCVBUF = Windows.SO_RCVBUF();
    static final int SO_SNDBUF = Windows.SO_SNDBUF();
    static final int SO_LINGER = Windows.SO_LINGER();
    static final int SO_UPDATE_ACCEPT_CONTEXT = Windows.SO_UPDATE_ACCEPT_CONTEXT();
    static final int SO_UPDATE_CONNECT_CONTEXT = Windows.SO_UPDATE_CONNECT_CONTEXT();
    static final int IPPROTO_TCP = Windows.IPPROTO_TCP();
    static final int TCP_NODELAY = Windows.TCP_NODELAY();
    static final int IPPROTO_IPV6 = Windows.IPPROTO_IPV6();
    static final int IPV6_V6ONLY = Windows.IPV6_V6ONLY();
    static final int SD_RECEIVE = Windows.SD_RECEIVE();
    static final int SD_SEND = Windows.SD_SEND();
    static final int SOMAXCONN = Windows.SOMAXCONN();
    private static final int FIONREAD = Windows.FIONREAD();
    /** A connection reset before {@code AcceptEx} took it: Go's fd_windows.go accepts the next one. */
    static final int ERROR_NETNAME_DELETED = Windows.ERROR_NETNAME_DELETED();
    private static final int FLAGS = Windows.WSA_FLAG_OVERLAPPED() | Windows.WSA_FLAG_NO_HANDLE_INHERIT();
    private static final int FROM_PROTOCOL_INFO = Windows.FROM_PROTOCOL_INFO();
    private static final long INVALID_SOCKET = Windows.INVALID_SOCKET();
    private static final int SOCKET_ERROR = Windows.SOCKET_ERROR();

    static final long ERRNO_SIZE = WindowsErrno.captureLayout().byteSize();
    static final long LINGER_SIZE = linger.sizeof();
    static final long L_ONOFF = linger.l_onoff$offset();
    static final long L_LINGER = linger.l_linger$offset();

    static {
        if (Windows.boundLookup().isPresent() || System.getProperty("os.name", "").startsWith("Windows")) {
            Sys.linkEagerly(WindowsErrno.class); // on another OS, only once its stand-in is bound
        }
    }

    /**
     * Go's {@code syscall.WSAStartup(0x0202)} of package syscall's init, here on the first
     * socket: a class initialiser runs once, and later checks of it cost nothing.
     */
    private static final class Startup {
        static {
            try (Arena a = Arena.ofConfined()) {
                int r = WindowsErrno.WSAStartup(WindowsErrno.captureSegment(a), (short) 0x0202,
                        a.allocate(WSADATA.layout()));
                if (r != 0) {
                    throw new IllegalStateException("WSAStartup: " + WinError.name(r));
                }
            }
        }

        static void ensure() {
            // the work is the class initialiser's
        }
    }

    private static int check(MemorySegment errno, int r) {
        return r == SOCKET_ERROR ? -WindowsErrno.wsaLastError(errno) : r;
    }

    private static long socketOrError(MemorySegment errno, long s) {
        return s == INVALID_SOCKET ? -WindowsErrno.wsaLastError(errno) : s;
    }

    @Override
    public long socket(MemorySegment errno, int family) {
        Startup.ensure();
        return socketOrError(errno, WindowsErrno.WSASocketW(errno, family, SOCK_STREAM, 0, MemorySegment.NULL, 0, FLAGS));
    }

    @Override
    public int bind(MemorySegment errno, long fd, MemorySegment sa, int len) {
        return check(errno, WindowsErrno.bind(errno, fd, sa, len));
    }

    @Override
    public int listen(MemorySegment errno, long fd, int backlog) {
        return check(errno, WindowsErrno.listen(errno, fd, backlog));
    }

    @Override
    public int shutdown(MemorySegment errno, long fd, int how) {
        return check(errno, WindowsErrno.shutdown(errno, fd, how));
    }

    @Override
    public int close(MemorySegment errno, long fd) {
        return check(errno, WindowsErrno.closesocket(errno, fd));
    }

    /**
     * Go's {@code dupSocket} for Windows: the socket duplicated into this very process, whose
     * protocol info then opens the new handle (cold; the info block is GC-managed).
     */
    @Override
    public long dup(MemorySegment errno, long fd) {
        MemorySegment info = Arena.ofAuto().allocate(WSAPROTOCOL_INFOW.layout());
        int r = WindowsErrno.WSADuplicateSocketW(errno, fd, WindowsErrno.GetCurrentProcessId(errno), info);
        if (r == SOCKET_ERROR) {
            return -WindowsErrno.wsaLastError(errno);
        }
        return socketOrError(errno, WindowsErrno.WSASocketW(errno, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                FROM_PROTOCOL_INFO, info, 0, FLAGS));
    }

    @Override
    public int setsockopt(MemorySegment errno, long fd, int level, int opt, MemorySegment val, int len) {
        return check(errno, WindowsErrno.setsockopt(errno, fd, level, opt, val, len));
    }

    /**
     * SIO_KEEPALIVE_VALS, which every Windows since 2000 has and Go used before 1.23: it turns
     * keep-alive on with both times (in milliseconds here); the probe count stays the system's
     * (10). The TCP_KEEPIDLE family of options is Windows 10 1709+ only, and not in the
     * headers the bindings are checked against.
     */
    @Override
    public int setKeepAlive(MemorySegment errno, MemorySegment scratch, long fd, int idle, int interval, int count) {
        MemorySegment v = scratch.asSlice(0, tcp_keepalive.sizeof());
        tcp_keepalive.onoff(v, 1);
        tcp_keepalive.keepalivetime(v, keepAliveMillis(idle));
        tcp_keepalive.keepaliveinterval(v, keepAliveMillis(interval));
        MemorySegment returned = scratch.asSlice(tcp_keepalive.sizeof(), 4);
        return check(errno, WindowsErrno.WSAIoctl(errno, fd, Windows.SIO_KEEPALIVE_VALS(), v, (int) v.byteSize(),
                MemorySegment.NULL, 0, returned, MemorySegment.NULL, MemorySegment.NULL));
    }

    /**
     * A keep-alive time in milliseconds; one not given (0: "leave it as it is") is Go's default
     * 15 s, since SIO_KEEPALIVE_VALS sets both times at once and neither can be read back.
     */
    private static int keepAliveMillis(int seconds) {
        return (int) Math.min((seconds > 0 ? seconds : 15) * 1000L, Integer.MAX_VALUE);
    }

    /** getsockopt into a zeroed {@code val}: some options answer with fewer bytes than asked. */
    @Override
    public int getsockopt(MemorySegment errno, long fd, int level, int opt, MemorySegment val,
            MemorySegment len) {
        val.fill((byte) 0);
        return check(errno, WindowsErrno.getsockopt(errno, fd, level, opt, val, len));
    }

    @Override
    public int getsockname(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len) {
        return check(errno, WindowsErrno.getsockname(errno, fd, sa, len));
    }

    @Override
    public int getpeername(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len) {
        return check(errno, WindowsErrno.getpeername(errno, fd, sa, len));
    }

    /** ioctlsocket's FIONREAD answers in a {@code u_long}: 4 bytes on Windows, as the caller's int. */
    @Override
    public int available(MemorySegment errno, long fd, MemorySegment count) {
        return check(errno, WindowsErrno.ioctlsocket(errno, fd, FIONREAD, count));
    }

    private static UnsupportedOperationException overlappedOnly(String call) {
        return new UnsupportedOperationException(call + " on Windows runs as an overlapped operation (NetpollOp)");
    }

    private static UnsupportedOperationException noPoll() {
        return new UnsupportedOperationException("no poll(2) on Windows: threads park on the poll descriptor");
    }

    @Override
    public long accept(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len) {
        throw overlappedOnly("accept");
    }

    @Override
    public int connect(MemorySegment errno, long fd, MemorySegment sa, int len) {
        throw overlappedOnly("connect");
    }

    @Override
    public long read(MemorySegment errno, long fd, MemorySegment b, int len) {
        throw overlappedOnly("read");
    }

    @Override
    public long send(MemorySegment errno, long fd, MemorySegment b, int len) {
        throw overlappedOnly("send");
    }

    @Override
    public int poll(MemorySegment errno, MemorySegment fds, int nfds, int timeoutMillis) {
        throw noPoll();
    }

    @Override
    public int wakeFd(MemorySegment errno) {
        throw noPoll();
    }

    @Override
    public void signal(MemorySegment errno, MemorySegment buf, int wfd) {
        throw noPoll();
    }

    @Override
    public void drain(MemorySegment errno, MemorySegment buf, int wfd) {
        throw noPoll();
    }
}
