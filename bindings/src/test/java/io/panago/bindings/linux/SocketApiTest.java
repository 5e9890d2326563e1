package io.panago.bindings.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The socket API bindings over real loopback sockets. */
class SocketApiTest {

    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt NET_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Arena arena;
    private MemorySegment errno;
    private final java.util.List<Integer> fds = new java.util.ArrayList<>();

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
        errno = LinuxErrno.captureSegment(arena);
    }

    @AfterEach
    void close() {
        for (int fd : fds) {
            assertEquals(0, Linux.close(fd), "fd " + fd + " closed once");
        }
        arena.close();
    }

    private int track(int fd) {
        assertTrue(fd >= 0, () -> "fd, errno " + Errno.name(LinuxErrno.errno(errno)));
        fds.add(fd);
        return fd;
    }

    private MemorySegment loopback4(int port) {
        MemorySegment sa = sockaddr_in.allocate(arena);
        sockaddr_in.sin_family(sa, (short) Linux.AF_INET());
        sa.set(NET_SHORT, sockaddr_in.sin_port$offset(), (short) port);
        sa.set(NET_INT, sockaddr_in.sin_addr$offset() + in_addr.s_addr$offset(), Linux.INADDR_LOOPBACK());
        return sa;
    }

    private int boundPort(int fd, MemorySegment sa) {
        MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
        len.set(ValueLayout.JAVA_INT, 0, (int) sa.byteSize());
        assertEquals(0, LinuxErrno.getsockname(errno, fd, sa, len));
        return Short.toUnsignedInt(sa.get(NET_SHORT, 2));
    }

    private int listener4() {
        int l = track(LinuxErrno.socket(errno, Linux.AF_INET(), Linux.SOCK_STREAM() | Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC(), 0));
        MemorySegment one = arena.allocate(ValueLayout.JAVA_INT);
        one.set(ValueLayout.JAVA_INT, 0, 1);
        assertEquals(0, LinuxErrno.setsockopt(errno, l, Linux.SOL_SOCKET(), Linux.SO_REUSEADDR(), one, 4));
        assertEquals(0, LinuxErrno.bind(errno, l, loopback4(0), (int) sockaddr_in.sizeof()));
        assertEquals(0, LinuxErrno.listen(errno, l, Linux.SOMAXCONN()));
        return l;
    }

    private void awaitPoll(int fd, int events) {
        MemorySegment p = pollfd.allocate(arena);
        pollfd.fd(p, fd);
        pollfd.events(p, (short) events);
        assertEquals(1, Linux.poll(p, 1, 10_000), "fd became ready within the bound");
        assertTrue((pollfd.revents(p) & events) != 0);
    }

    @Test
    void nonBlockingConnectAcceptSendRecvAndShutdownOverIpv4() {
        int l = listener4();
        int port = boundPort(l, sockaddr_in.allocate(arena));
        assertNotEquals(0, port);

        MemorySegment peer = sockaddr_storage.allocate(arena);
        MemorySegment peerLen = arena.allocate(ValueLayout.JAVA_INT);
        peerLen.set(ValueLayout.JAVA_INT, 0, (int) peer.byteSize());
        assertEquals(-1, LinuxErrno.accept4(errno, l, peer, peerLen, Linux.SOCK_NONBLOCK()));
        assertEquals(Linux.EAGAIN(), LinuxErrno.errno(errno), "no pending connection yet");

        int c = track(LinuxErrno.socket(errno, Linux.AF_INET(), Linux.SOCK_STREAM() | Linux.SOCK_NONBLOCK(), 0));
        int r = LinuxErrno.connect(errno, c, loopback4(port), (int) sockaddr_in.sizeof());
        assertTrue(r == 0 || LinuxErrno.errno(errno) == Linux.EINPROGRESS(), () -> Errno.name(LinuxErrno.errno(errno)));
        awaitPoll(c, Linux.POLLOUT());
        MemorySegment soError = arena.allocate(ValueLayout.JAVA_INT);
        MemorySegment optLen = arena.allocate(ValueLayout.JAVA_INT);
        optLen.set(ValueLayout.JAVA_INT, 0, 4);
        assertEquals(0, LinuxErrno.getsockopt(errno, c, Linux.SOL_SOCKET(), Linux.SO_ERROR(), soError, optLen));
        assertEquals(0, soError.get(ValueLayout.JAVA_INT, 0));

        awaitPoll(l, Linux.POLLIN());
        int a = track(LinuxErrno.accept4(errno, l, peer, peerLen, Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC()));
        assertEquals(Linux.AF_INET(), sockaddr_storage.ss_family(peer));
        assertEquals(sockaddr_in.sizeof(), peerLen.get(ValueLayout.JAVA_INT, 0));
        assertEquals(Linux.INADDR_LOOPBACK(), peer.get(NET_INT, sockaddr_in.sin_addr$offset()));
        MemorySegment name = sockaddr_in.allocate(arena);
        MemorySegment nameLen = arena.allocate(ValueLayout.JAVA_INT);
        nameLen.set(ValueLayout.JAVA_INT, 0, (int) name.byteSize());
        assertEquals(0, LinuxErrno.getpeername(errno, c, name, nameLen));
        assertEquals(port, Short.toUnsignedInt(name.get(NET_SHORT, sockaddr_in.sin_port$offset())));

        int flags = LinuxErrno.fcntl(errno, a, Linux.F_GETFL(), 0);
        assertEquals(Linux.O_NONBLOCK(), flags & Linux.O_NONBLOCK());
        assertEquals(Linux.FD_CLOEXEC(), LinuxErrno.fcntl(errno, a, Linux.F_GETFD(), 0) & Linux.FD_CLOEXEC());

        byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
        assertEquals(5, LinuxErrno.sendHeap(errno, c, MemorySegment.ofArray(hello), 5, Linux.MSG_NOSIGNAL()));
        awaitPoll(a, Linux.POLLIN());
        byte[] got = new byte[8];
        assertEquals(2, LinuxErrno.recvHeap(errno, a, MemorySegment.ofArray(got), 2, Linux.MSG_PEEK()));
        assertEquals(5, LinuxErrno.recvHeap(errno, a, MemorySegment.ofArray(got), 8, 0));
        assertEquals("hello", new String(got, 0, 5, StandardCharsets.US_ASCII));
        assertEquals(-1, LinuxErrno.recv(errno, a, arena.allocate(8), 8, Linux.MSG_DONTWAIT()));
        assertEquals(Linux.EAGAIN(), LinuxErrno.errno(errno));

        assertEquals(0, LinuxErrno.shutdown(errno, c, Linux.SHUT_WR()));
        awaitPoll(a, Linux.POLLIN());
        assertEquals(0, LinuxErrno.recv(errno, a, arena.allocate(8), 8, 0), "end of stream after SHUT_WR");
    }

    @Test
    void readvAndWritevScatterAndGather() {
        int l = listener4();
        int port = boundPort(l, sockaddr_in.allocate(arena));
        int c = track(Linux.socket(Linux.AF_INET(), Linux.SOCK_STREAM(), 0));
        assertEquals(0, Linux.connect(c, loopback4(port), (int) sockaddr_in.sizeof()), "blocking connect");
        int a = track(Linux.accept4(l, MemorySegment.NULL, MemorySegment.NULL, 0));

        MemorySegment out = iovec.allocateArray(2, arena);
        MemorySegment abc = arena.allocateFrom("abc");
        MemorySegment de = arena.allocateFrom("de");
        iovec.iov_base(iovec.asSlice(out, 0), abc);
        iovec.iov_len(iovec.asSlice(out, 0), 3);
        iovec.iov_base(iovec.asSlice(out, 1), de);
        iovec.iov_len(iovec.asSlice(out, 1), 2);
        assertEquals(5, LinuxErrno.writev(errno, c, out, 2));

        MemorySegment in = iovec.allocateArray(2, arena);
        MemorySegment b1 = arena.allocate(1);
        MemorySegment b2 = arena.allocate(4);
        iovec.iov_base(iovec.asSlice(in, 0), b1);
        iovec.iov_len(iovec.asSlice(in, 0), 1);
        iovec.iov_base(iovec.asSlice(in, 1), b2);
        iovec.iov_len(iovec.asSlice(in, 1), 4);
        assertEquals(5, LinuxErrno.readv(errno, a, in, 2));
        assertEquals('a', b1.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals("bcde", new String(b2.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
    }

    @Test
    void ipv6OnlyListenerAcceptsOverLoopback6() {
        int l = track(LinuxErrno.socket(errno, Linux.AF_INET6(), Linux.SOCK_STREAM(), 0));
        MemorySegment one = arena.allocate(ValueLayout.JAVA_INT);
        one.set(ValueLayout.JAVA_INT, 0, 1);
        assertEquals(0, LinuxErrno.setsockopt(errno, l, Linux.IPPROTO_IPV6(), Linux.IPV6_V6ONLY(), one, 4));
        MemorySegment sa = sockaddr_in6.allocate(arena);
        sockaddr_in6.sin6_family(sa, (short) Linux.AF_INET6());
        in6_addr.__in6_u.__u6_addr8(sockaddr_in6.sin6_addr(sa), 15, (byte) 1);
        assertEquals(0, LinuxErrno.bind(errno, l, sa, (int) sockaddr_in6.sizeof()),
                () -> "bind [::1]:0: " + Errno.name(LinuxErrno.errno(errno)));
        assertEquals(0, LinuxErrno.listen(errno, l, 1));
        MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
        len.set(ValueLayout.JAVA_INT, 0, (int) sa.byteSize());
        assertEquals(0, LinuxErrno.getsockname(errno, l, sa, len));
        assertEquals(28, len.get(ValueLayout.JAVA_INT, 0));

        int c = track(LinuxErrno.socket(errno, Linux.AF_INET6(), Linux.SOCK_STREAM(), 0));
        assertEquals(0, LinuxErrno.connect(errno, c, sa, (int) sockaddr_in6.sizeof()));
        MemorySegment peer = sockaddr_in6.allocate(arena);
        len.set(ValueLayout.JAVA_INT, 0, (int) peer.byteSize());
        track(LinuxErrno.accept4(errno, l, peer, len, Linux.SOCK_CLOEXEC()));
        assertEquals(Linux.AF_INET6(), sockaddr_in6.sin6_family(peer));
        assertEquals(1, in6_addr.__in6_u.__u6_addr8(sockaddr_in6.sin6_addr(peer), 15));
    }

    @Test
    void connectToAClosedPortIsRefused() {
        int l = listener4();
        int port = boundPort(l, sockaddr_in.allocate(arena));
        fds.remove(Integer.valueOf(l));
        assertEquals(0, Linux.close(l));
        int c = track(LinuxErrno.socket(errno, Linux.AF_INET(), Linux.SOCK_STREAM(), 0));
        assertEquals(-1, LinuxErrno.connect(errno, c, loopback4(port), (int) sockaddr_in.sizeof()));
        assertEquals(Linux.ECONNREFUSED(), LinuxErrno.errno(errno));
        assertEquals("ECONNREFUSED", Errno.name(LinuxErrno.errno(errno)));
    }

    @Test
    void socketOptionsRoundTrip() {
        int s = track(LinuxErrno.socket(errno, Linux.AF_INET(), Linux.SOCK_STREAM(), Linux.IPPROTO_TCP()));
        MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
        MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
        v.set(ValueLayout.JAVA_INT, 0, 1);
        assertEquals(0, LinuxErrno.setsockopt(errno, s, Linux.IPPROTO_TCP(), Linux.TCP_NODELAY(), v, 4));
        v.set(ValueLayout.JAVA_INT, 0, 0);
        len.set(ValueLayout.JAVA_INT, 0, 4);
        assertEquals(0, LinuxErrno.getsockopt(errno, s, Linux.IPPROTO_TCP(), Linux.TCP_NODELAY(), v, len));
        assertEquals(1, v.get(ValueLayout.JAVA_INT, 0));

        MemorySegment lg = linger.allocate(arena);
        linger.l_onoff(lg, 1);
        linger.l_linger(lg, 7);
        assertEquals(0, LinuxErrno.setsockopt(errno, s, Linux.SOL_SOCKET(), Linux.SO_LINGER(), lg, (int) linger.sizeof()));
        MemorySegment back = linger.allocate(arena);
        len.set(ValueLayout.JAVA_INT, 0, (int) linger.sizeof());
        assertEquals(0, LinuxErrno.getsockopt(errno, s, Linux.SOL_SOCKET(), Linux.SO_LINGER(), back, len));
        assertEquals(7, linger.l_linger(back));

        len.set(ValueLayout.JAVA_INT, 0, 4);
        assertEquals(0, LinuxErrno.getsockopt(errno, s, Linux.SOL_SOCKET(), Linux.SO_TYPE(), v, len));
        assertEquals(Linux.SOCK_STREAM(), v.get(ValueLayout.JAVA_INT, 0));

        assertEquals(-1, LinuxErrno.setsockopt(errno, s, Linux.SOL_SOCKET(), 9999, v, 4));
        assertEquals(Linux.ENOPROTOOPT(), LinuxErrno.errno(errno));
        int d = track(LinuxErrno.dup(errno, s));
        assertNotEquals(s, d);
        assertEquals(-1, LinuxErrno.shutdown(errno, d, Linux.SHUT_RDWR()));
        assertEquals(Linux.ENOTCONN(), LinuxErrno.errno(errno));
    }

    @Test
    void variadicFcntlInvokerMatchesTheFixedArityVariant() {
        int s = track(Linux.socket(Linux.AF_INET(), Linux.SOCK_STREAM(), 0));
        int before = Linux.fcntl.makeInvoker().apply(s, Linux.F_GETFL());
        assertEquals(0, Linux.fcntl.makeInvoker(Linux.C_INT).apply(s, Linux.F_SETFL(), before | Linux.O_NONBLOCK()));
        assertEquals(before | Linux.O_NONBLOCK(), LinuxErrno.fcntl(errno, s, Linux.F_GETFL(), 0));
        int dup = track(LinuxErrno.fcntl(errno, s, Linux.F_DUPFD_CLOEXEC(), 100));
        assertTrue(dup >= 100);
    }

    @Test
    void fionreadCountsTheBytesWaitingThroughBothIoctlForms() {
        int l = listener4();
        int port = boundPort(l, sockaddr_in.allocate(arena));
        int c = track(LinuxErrno.socket(errno, Linux.AF_INET(), Linux.SOCK_STREAM(), 0));
        assertEquals(0, LinuxErrno.connect(errno, c, loopback4(port), (int) sockaddr_in.sizeof()));
        awaitPoll(l, Linux.POLLIN());
        int a = track(LinuxErrno.accept4(errno, l, MemorySegment.NULL, MemorySegment.NULL, Linux.SOCK_CLOEXEC()));
        MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
        assertEquals(0, LinuxErrno.ioctl(errno, a, Linux.FIONREAD(), count));
        assertEquals(0, count.get(ValueLayout.JAVA_INT, 0));

        MemorySegment data = arena.allocateFrom("seven b", StandardCharsets.US_ASCII);
        assertEquals(7, LinuxErrno.send(errno, c, data, 7, Linux.MSG_NOSIGNAL()));
        awaitPoll(a, Linux.POLLIN());
        assertEquals(0, LinuxErrno.ioctl(errno, a, Linux.FIONREAD(), count));
        assertEquals(7, count.get(ValueLayout.JAVA_INT, 0));
        count.set(ValueLayout.JAVA_INT, 0, -1);
        assertEquals(0, Linux.ioctl.makeInvoker(Linux.C_POINTER).apply(a, Linux.FIONREAD(), count));
        assertEquals(7, count.get(ValueLayout.JAVA_INT, 0));

        assertEquals(-1, LinuxErrno.ioctl(errno, l + 1000, Linux.FIONREAD(), count));
        assertEquals(Linux.EBADF(), LinuxErrno.errno(errno));
    }
}
