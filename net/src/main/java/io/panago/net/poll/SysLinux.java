package io.panago.net.poll;

import io.panago.bindings.linux.Linux;
import io.panago.bindings.linux.LinuxErrno;
import io.panago.bindings.linux.linger;
import io.panago.bindings.linux.pollfd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link Sys} on Linux (Go: syscall_linux.go): sockets born non-blocking and close-on-exec
 * ({@code SOCK_NONBLOCK | SOCK_CLOEXEC}, {@code accept4}), {@code MSG_NOSIGNAL} on every send,
 * an eventfd as the wake-up descriptor.
 */
final class SysLinux implements Sys.Os {
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
    static final int TCP_KEEPIDLE = Linux.TCP_KEEPIDLE();
    static final int TCP_KEEPINTVL = Linux.TCP_KEEPINTVL();
    static final int TCP_KEEPCNT = Linux.TCP_KEEPCNT();
    static final int IPPROTO_IPV6 = Linux.IPPROTO_IPV6();
    static final int IPV6_V6ONLY = Linux.IPV6_V6ONLY();
    static final int SHUT_RD = Linux.SHUT_RD();
    static final int SHUT_WR = Linux.SHUT_WR();
    static final int MSG_NOSIGNAL = Linux.MSG_NOSIGNAL();
    /** ioctl request: the bytes in the receive queue. */
    private static final long FIONREAD = Linux.FIONREAD();
    static final short POLLIN = (short) Linux.POLLIN();
    static final short POLLOUT = (short) Linux.POLLOUT();
    static final int EFD_FLAGS = Linux.EFD_NONBLOCK() | Linux.EFD_CLOEXEC();
    static final int F_DUPFD_CLOEXEC = Linux.F_DUPFD_CLOEXEC();
    static final int SOMAXCONN = Linux.SOMAXCONN();

    static final long ERRNO_SIZE = LinuxErrno.captureLayout().byteSize();
    static final long LINGER_SIZE = linger.sizeof();
    static final long L_ONOFF = linger.l_onoff$offset();
    static final long L_LINGER = linger.l_linger$offset();
    static final long POLLFD_SIZE = pollfd.sizeof();
    static final long PFD_FD = pollfd.fd$offset();
    static final long PFD_EVENTS = pollfd.events$offset();
    static final long PFD_REVENTS = pollfd.revents$offset();

    static {
        Sys.linkEagerly(LinuxErrno.class);
    }

    private static int check(MemorySegment errno, int r) {
        return r < 0 ? -LinuxErrno.errno(errno) : r;
    }

    private static long check(MemorySegment errno, long r) {
        return r < 0 ? -LinuxErrno.errno(errno) : r;
    }

    @Override
    public long socket(MemorySegment errno, int family) {
        return check(errno, LinuxErrno.socket(errno, family, SOCK_STREAM | SOCK_FLAGS, 0));
    }

    @Override
    public long accept(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len) {
        return check(errno, LinuxErrno.accept4(errno, (int) fd, sa, len, SOCK_FLAGS));
    }

    @Override
    public int bind(MemorySegment errno, long fd, MemorySegment sa, int len) {
        return check(errno, LinuxErrno.bind(errno, (int) fd, sa, len));
    }

    @Override
    public int listen(MemorySegment errno, long fd, int backlog) {
        return check(errno, LinuxErrno.listen(errno, (int) fd, backlog));
    }

    @Override
    public int connect(MemorySegment errno, long fd, MemorySegment sa, int len) {
        return check(errno, LinuxErrno.connect(errno, (int) fd, sa, len));
    }

    @Override
    public long read(MemorySegment errno, long fd, MemorySegment b, int len) {
        return check(errno, LinuxErrno.readHeap(errno, (int) fd, b, len));
    }

    @Override
    public long send(MemorySegment errno, long fd, MemorySegment b, int len) {
        return check(errno, LinuxErrno.sendHeap(errno, (int) fd, b, len, MSG_NOSIGNAL));
    }

    @Override
    public int shutdown(MemorySegment errno, long fd, int how) {
        return check(errno, LinuxErrno.shutdown(errno, (int) fd, how));
    }

    @Override
    public int close(MemorySegment errno, long fd) {
        return check(errno, LinuxErrno.close(errno, (int) fd));
    }

    @Override
    public long dup(MemorySegment errno, long fd) {
        return check(errno, LinuxErrno.fcntl(errno, (int) fd, F_DUPFD_CLOEXEC, 0));
    }

    @Override
    public int setsockopt(MemorySegment errno, long fd, int level, int opt, MemorySegment val, int len) {
        return check(errno, LinuxErrno.setsockopt(errno, (int) fd, level, opt, val, len));
    }

    @Override
    public int getsockopt(MemorySegment errno, long fd, int level, int opt, MemorySegment val,
            MemorySegment len) {
        return check(errno, LinuxErrno.getsockopt(errno, (int) fd, level, opt, val, len));
    }

    @Override
    public int getsockname(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len) {
        return check(errno, LinuxErrno.getsockname(errno, (int) fd, sa, len));
    }

    @Override
    public int getpeername(MemorySegment errno, long fd, MemorySegment sa, MemorySegment len) {
        return check(errno, LinuxErrno.getpeername(errno, (int) fd, sa, len));
    }

    @Override
    public int available(MemorySegment errno, long fd, MemorySegment count) {
        return check(errno, LinuxErrno.ioctl(errno, (int) fd, FIONREAD, count));
    }

    @Override
    public int poll(MemorySegment errno, MemorySegment fds, int nfds, int timeoutMillis) {
        return check(errno, LinuxErrno.poll(errno, fds, nfds, timeoutMillis));
    }

    @Override
    public int wakeFd(MemorySegment errno) {
        return check(errno, LinuxErrno.eventfd(errno, 0, EFD_FLAGS));
    }

    /** Adds 1 to the eventfd's counter, making it readable. */
    @Override
    public void signal(MemorySegment errno, MemorySegment buf, int wfd) {
        buf.set(ValueLayout.JAVA_LONG, 0, 1);
        LinuxErrno.write(errno, wfd, buf, 8);
    }

    /** One read resets the eventfd's counter to zero. */
    @Override
    public void drain(MemorySegment errno, MemorySegment buf, int wfd) {
        LinuxErrno.read(errno, wfd, buf, 8);
    }
}
