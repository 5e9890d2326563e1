package io.panago.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.bindings.linux.Linux;
import io.panago.bindings.macos.Macos;

import java.io.FileInputStream;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MacosLibcFake} on its own, called directly (not through the bindings): that it speaks
 * macOS's numbers and layouts, refuses Linux's, and records what would break on a Mac. net's
 * netpoll-kqueue run is where it serves the real socket layer.
 */
class MacosLibcFakeTest {
    private static final int AF_INET = Macos.AF_INET(), AF_INET6 = Macos.AF_INET6(), SOCK_STREAM = Macos.SOCK_STREAM(),
            SOL_SOCKET = Macos.SOL_SOCKET();

    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final MacosLibcFake fake = new MacosLibcFake(failures);
    private final Arena arena = Arena.ofConfined();
    private final List<Integer> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        open.forEach(fake::close);
        arena.close();
    }

    private int errno() {
        return fake.error().get(ValueLayout.JAVA_INT, 0);
    }

    private int socket(int family) {
        int fd = fake.socket(family, SOCK_STREAM, 0);
        assertTrue(fd >= 0, "socket: errno " + errno());
        open.add(fd);
        return fd;
    }

    private MemorySegment int4(int v) {
        return arena.allocateFrom(ValueLayout.JAVA_INT, v);
    }

    private int getInt(int fd, int level, int name) {
        MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
        assertEquals(0, fake.getsockopt(fd, level, name, v, int4(4)), "getsockopt: errno " + errno());
        return v.get(ValueLayout.JAVA_INT, 0);
    }

    /** 127.0.0.1:port as macOS lays it out: length byte, 1-byte family, port, address. */
    private MemorySegment loopback4(int port) {
        MemorySegment sa = arena.allocate(16);
        sa.set(ValueLayout.JAVA_BYTE, 0, (byte) 16);
        sa.set(ValueLayout.JAVA_BYTE, 1, (byte) AF_INET);
        sa.set(ValueLayout.JAVA_BYTE, 2, (byte) (port >> 8));
        sa.set(ValueLayout.JAVA_BYTE, 3, (byte) port);
        sa.set(ValueLayout.JAVA_BYTE, 4, (byte) 127);
        sa.set(ValueLayout.JAVA_BYTE, 7, (byte) 1);
        return sa;
    }

    private int port(int fd) {
        MemorySegment sa = arena.allocate(128);
        MemorySegment len = int4(128);
        assertEquals(0, fake.getsockname(fd, sa, len));
        return (Byte.toUnsignedInt(sa.get(ValueLayout.JAVA_BYTE, 2)) << 8) | Byte.toUnsignedInt(sa.get(ValueLayout.JAVA_BYTE, 3));
    }

    private int listener() {
        int l = socket(AF_INET);
        assertEquals(0, fake.bind(l, loopback4(0), 16));
        assertEquals(0, fake.listen(l, 8));
        return l;
    }

    @Test
    void linuxConstantsAreRefusedAndRecorded() {
        assertEquals(-1, fake.socket(AF_INET, SOCK_STREAM | Linux.SOCK_NONBLOCK(), 0));
        assertEquals(Macos.EINVAL(), errno());
        assertEquals(-1, fake.socket(Linux.AF_INET6(), SOCK_STREAM, 0), "Linux's AF_INET6 is 10, macOS's 30");
        int fd = socket(AF_INET);
        assertEquals(-1, fake.fcntl(fd, Macos.F_SETFL(), Linux.O_NONBLOCK()), "O_NONBLOCK is 4 on macOS");
        assertEquals(-1, fake.setsockopt(fd, Linux.SOL_SOCKET(), Linux.SO_REUSEADDR(), int4(1), 4));
        assertEquals(-1, fake.setsockopt(fd, SOL_SOCKET, Macos.SO_LINGER(), arena.allocate(8), 8),
                "SO_LINGER counts clock ticks on macOS: SO_LINGER_SEC is meant");
        MemorySegment linuxAddr = loopback4(0);
        linuxAddr.set(ValueLayout.JAVA_SHORT, 0, (short) Linux.AF_INET());
        assertEquals(-1, fake.bind(fd, linuxAddr, 16), "a Linux sockaddr has no length byte");
        assertEquals(6, failures.size(), failures.toString());
    }

    @Test
    void errorsComeBackInMacosNumbers() {
        int fd = socket(AF_INET);
        assertEquals(Macos.O_RDWR(), fake.fcntl(fd, Macos.F_GETFL(), 0), "macOS's socket is born blocking");
        assertEquals(0, fake.fcntl(fd, Macos.F_SETFL(), Macos.O_RDWR() | Macos.O_NONBLOCK()));
        assertEquals(Macos.O_RDWR() | Macos.O_NONBLOCK(), fake.fcntl(fd, Macos.F_GETFL(), 0));
        assertEquals(-1, fake.read(fd, arena.allocate(8), 8));
        assertEquals(57, errno(), "ENOTCONN is 57 on macOS, 107 on Linux");
        int l = listener();
        assertEquals(0, fake.fcntl(l, Macos.F_SETFL(), Macos.O_NONBLOCK()));
        assertEquals(-1, fake.accept(l, MemorySegment.NULL, MemorySegment.NULL));
        assertEquals(35, errno(), "EAGAIN is 35 on macOS, 11 on Linux");
        assertEquals(-1, fake.connect(fd, loopback4(port(l)), 16));
        assertEquals(36, errno(), "EINPROGRESS is 36 on macOS, 115 on Linux");
        int refused = socket(AF_INET);
        int unused = port(listenerClosed());
        assertEquals(-1, fake.connect(refused, loopback4(unused), 16));
        assertEquals(61, errno(), "ECONNREFUSED is 61 on macOS, 111 on Linux");
        assertEquals(List.of(), failures);
    }

    private int listenerClosed() {
        int l = socket(AF_INET);
        assertEquals(0, fake.bind(l, loopback4(0), 16));
        return l; // bound, not listening: a connect to its port is refused
    }

    @Test
    void addressesComeBackWithTheLengthByteAndMacosFamilyAndTruncateToTheRoom() {
        int fd = socket(AF_INET6);
        MemorySegment sa = arena.allocate(28);
        sa.set(ValueLayout.JAVA_BYTE, 0, (byte) 28);
        sa.set(ValueLayout.JAVA_BYTE, 1, (byte) AF_INET6);
        sa.set(ValueLayout.JAVA_BYTE, 8 + 15, (byte) 1); // ::1
        assertEquals(0, fake.bind(fd, sa, 28), "errno " + errno());
        MemorySegment out = arena.allocate(128);
        MemorySegment len = int4(128);
        assertEquals(0, fake.getsockname(fd, out, len));
        assertEquals(28, len.get(ValueLayout.JAVA_INT, 0));
        assertArrayEquals(new byte[] {28, 30}, out.asSlice(0, 2).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(1, out.get(ValueLayout.JAVA_BYTE, 8 + 15));
        MemorySegment small = arena.allocate(8);
        MemorySegment smallLen = int4(8);
        assertEquals(0, fake.getsockname(fd, small, smallLen));
        assertEquals(8, smallLen.get(ValueLayout.JAVA_INT, 0), "macOS reports the truncated length");
        assertEquals(List.of(), failures);
    }

    @Test
    void optionsReadBackAsMacosReportsThem() {
        int fd = socket(AF_INET);
        assertEquals(0, fake.setsockopt(fd, SOL_SOCKET, Macos.SO_KEEPALIVE(), int4(1), 4));
        assertEquals(Macos.SO_KEEPALIVE(), getInt(fd, SOL_SOCKET, Macos.SO_KEEPALIVE()), "BSD reports the option's bit");
        assertEquals(0, fake.setsockopt(fd, Macos.IPPROTO_TCP(), Macos.TCP_NODELAY(), int4(1), 4));
        assertEquals(4, getInt(fd, Macos.IPPROTO_TCP(), Macos.TCP_NODELAY()), "TF_NODELAY");
        assertEquals(0, fake.setsockopt(fd, SOL_SOCKET, Macos.SO_RCVBUF(), int4(32 * 1024), 4));
        assertEquals(32 * 1024, getInt(fd, SOL_SOCKET, Macos.SO_RCVBUF()), "as set, where Linux reports double");
        MemorySegment l = arena.allocate(8);
        l.set(ValueLayout.JAVA_INT, 0, 1);
        l.set(ValueLayout.JAVA_INT, 4, 7);
        assertEquals(0, fake.setsockopt(fd, SOL_SOCKET, Macos.SO_LINGER_SEC(), l, 8));
        MemorySegment back = arena.allocate(8);
        assertEquals(0, fake.getsockopt(fd, SOL_SOCKET, Macos.SO_LINGER_SEC(), back, int4(8)));
        assertEquals(7, back.get(ValueLayout.JAVA_INT, 4), "SO_LINGER_SEC is in seconds");
        assertEquals(List.of(), failures);
    }

    /** A connected pair {client, accepted}, the accepted end already closed, so the client's sends end in EPIPE. */
    private int brokenClient(boolean noSigpipe) {
        int l = listener();
        int c = socket(AF_INET);
        if (noSigpipe) {
            assertEquals(0, fake.setsockopt(c, SOL_SOCKET, Macos.SO_NOSIGPIPE(), int4(1), 4));
        }
        assertEquals(0, fake.connect(c, loopback4(port(l)), 16), "errno " + errno());
        int a = fake.accept(l, MemorySegment.NULL, MemorySegment.NULL);
        assertTrue(a >= 0);
        assertEquals(0, fake.close(a));
        return c;
    }

    /** Sends until EPIPE (a reset may come first): the errno macOS gives once the peer is gone. */
    private void sendUntilBrokenPipe(int c) {
        MemorySegment b = arena.allocate(1024);
        for (int i = 0; i < 1000; i++) {
            if (fake.send(c, b, 1024, 0) < 0 && errno() != Macos.ECONNRESET()) {
                assertEquals(Macos.EPIPE(), errno());
                return;
            }
        }
        throw new AssertionError("sends to a closed peer kept succeeding");
    }

    @Test
    void aBrokenPipeWithoutNoSigpipeIsRecordedAsTheSignalItWouldBe() {
        sendUntilBrokenPipe(brokenClient(false));
        assertEquals(1, failures.size(), failures.toString());
        assertTrue(failures.get(0).getMessage().contains("SIGPIPE"), failures.get(0).getMessage());
        failures.clear();
        sendUntilBrokenPipe(brokenClient(true));
        assertEquals(List.of(), failures, "SO_NOSIGPIPE turns the signal into EPIPE");
    }

    @Test
    void sysctlAnswersKernIpcSomaxconnFromLinuxAndNothingElse() throws Exception {
        int proc;
        try (InputStream in = new FileInputStream("/proc/sys/net/core/somaxconn")) {
            proc = Integer.parseInt(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
        }
        MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
        MemorySegment len = arena.allocateFrom(ValueLayout.JAVA_LONG, 4);
        assertEquals(0, fake.sysctlbyname(arena.allocateFrom("kern.ipc.somaxconn"), v, len, MemorySegment.NULL, 0));
        assertEquals(proc, v.get(ValueLayout.JAVA_INT, 0));
        assertEquals(4, len.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(-1, fake.sysctlbyname(arena.allocateFrom("net.core.somaxconn"), v, len, MemorySegment.NULL, 0));
        assertEquals(Macos.ENOENT(), errno());
        assertEquals(1, fake.sysctls());
        assertEquals(List.of(), failures);
    }
}
