package io.panago.net.poll;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The macOS side of the socket layer, checked on Linux: the bytes of a Darwin {@code sockaddr},
 * the errno numbers found by name, and every constant {@link SysMacos} passes to the kernel
 * against the values of the macOS SDK headers (transcribed here, as in the bindings'
 * {@code MacosDocumentedValuesTest}; cross-checked with golang.org/x/sys/unix's
 * zerrors_darwin_arm64.go). The Linux encoding is pinned too, since both now share one codec.
 */
class MacosSocketLayerTest {

    /** SysMacos's fields, by field name, with the SDK's value of the macro or struct member. */
    private static final Map<String, Long> SDK = new TreeMap<>(Map.ofEntries(
            Map.entry("SOCK_STREAM", 1L), Map.entry("SOCK_FLAGS", 0L),
            Map.entry("SOL_SOCKET", 0xffffL), Map.entry("SO_REUSEADDR", 0x4L),
            Map.entry("SO_ERROR", 0x1007L), Map.entry("SO_KEEPALIVE", 0x8L),
            Map.entry("SO_RCVBUF", 0x1002L), Map.entry("SO_SNDBUF", 0x1001L),
            Map.entry("SO_LINGER_SEC", 0x1080L), Map.entry("SO_NOSIGPIPE", 0x1022L),
            Map.entry("IPPROTO_TCP", 6L), Map.entry("TCP_NODELAY", 1L),
            // <netinet/tcp.h>: TCP_KEEPALIVE 0x10 (the idle time), TCP_KEEPINTVL 0x101, TCP_KEEPCNT 0x102
            Map.entry("TCP_KEEPIDLE", 0x10L), Map.entry("TCP_KEEPINTVL", 0x101L), Map.entry("TCP_KEEPCNT", 0x102L),
            Map.entry("IPPROTO_IPV6", 41L), Map.entry("IPV6_V6ONLY", 27L),
            Map.entry("SHUT_RD", 0L), Map.entry("SHUT_WR", 1L),
            Map.entry("POLLIN", 1L), Map.entry("POLLOUT", 4L),
            Map.entry("F_DUPFD_CLOEXEC", 0x43L), Map.entry("F_GETFL", 3L), Map.entry("F_SETFL", 4L),
            Map.entry("F_SETFD", 2L), Map.entry("O_NONBLOCK", 4L), Map.entry("FD_CLOEXEC", 1L),
            Map.entry("SOMAXCONN", 128L),
            // <sys/filio.h>: _IOR('f', 127, int)
            Map.entry("FIONREAD", 0x4004667fL),
            // <sys/errno.h>: accept's set-up turns EINVAL into ECONNABORTED
            Map.entry("EINVAL", 22L), Map.entry("ECONNABORTED", 53L),
            // the capture segment holds one int, errno
            Map.entry("ERRNO_SIZE", 4L),
            // struct linger { int l_onoff; int l_linger; }
            Map.entry("LINGER_SIZE", 8L), Map.entry("L_ONOFF", 0L), Map.entry("L_LINGER", 4L),
            // struct pollfd { int fd; short events; short revents; }
            Map.entry("POLLFD_SIZE", 8L), Map.entry("PFD_FD", 0L), Map.entry("PFD_EVENTS", 4L),
            Map.entry("PFD_REVENTS", 6L)));

    /** <sys/errno.h> of the macOS SDK, for every errno {@link Errors} branches on. */
    private static final Map<String, Integer> SDK_ERRNO = new TreeMap<>(Map.ofEntries(
            Map.entry("EAGAIN", 35), Map.entry("EINTR", 4), Map.entry("EINPROGRESS", 36),
            Map.entry("EALREADY", 37), Map.entry("EISCONN", 56), Map.entry("ECONNABORTED", 53),
            Map.entry("ECONNREFUSED", 61), Map.entry("ECONNRESET", 54), Map.entry("EPIPE", 32),
            Map.entry("EMFILE", 24), Map.entry("ENFILE", 23), Map.entry("ENOBUFS", 55),
            Map.entry("ENOMEM", 12), Map.entry("EAFNOSUPPORT", 47), Map.entry("EHOSTUNREACH", 65),
            Map.entry("ENOTCONN", 57)));

    @Test
    void everyConstantTheMacosCallsUseHasTheSdkValue() throws IllegalAccessException {
        assertEquals(SDK, StaticNumbers.of(SysMacos.class));
    }

    @Test
    void macosSockaddrLayoutIsTheSdks() {
        SockAddr.Codec c = SockAddr.Codec.MACOS;
        assertEquals(List.of(2, 30, 1L, 16L, 2L, 4L, 28L, 2L, 8L, 24L, 128L),
                List.of(c.afInet, c.afInet6, c.family, c.in4Size, c.port4, c.addr4, c.in6Size,
                        c.port6, c.addr6, c.scope6, c.maxSize));
        assertEquals(true, c.lengthByte);
    }

    @Test
    void macosErrnoConstantsAreFoundByNameWithMacosNumbers() throws IllegalAccessException {
        Map<String, Long> used = StaticNumbers.of(Errors.class);
        assertEquals(SDK_ERRNO.keySet(), used.keySet(), "the errors Errors branches on");
        List<String> wrong = new ArrayList<>();
        used.forEach((name, value) -> {
            int mac = Errors.Table.MACOS.value().applyAsInt(name);
            if (mac != SDK_ERRNO.get(name)) {
                wrong.add(name + ": macOS table " + mac + ", SDK " + SDK_ERRNO.get(name));
            }
            if (!name.equals(Errors.Table.MACOS.name().apply(mac))) {
                wrong.add(name + ": macOS " + mac + " is named " + Errors.Table.MACOS.name().apply(mac));
            }
            Errors.Table run = Sys.WINDOWS ? Errors.Table.WINDOWS : Sys.MACOS ? Errors.Table.MACOS : Errors.Table.LINUX;
            if (run.value().applyAsInt(name) != value) {
                wrong.add(name + ": this run's table " + run.value().applyAsInt(name) + ", in use " + value);
            }
        });
        assertEquals(List.of(), wrong);
    }

    @Test
    void macosErrnoNumbersAreDescribedByTheirNames() {
        assertEquals("Connection reset (ECONNRESET)", Errors.describe(Errors.Table.MACOS, 54));
        assertEquals("Connection refused (ECONNREFUSED)", Errors.describe(Errors.Table.MACOS, 61));
        assertEquals("Resource temporarily unavailable (EAGAIN)", Errors.describe(Errors.Table.MACOS, 35));
        assertEquals("Address already in use (EADDRINUSE)", Errors.describe(Errors.Table.MACOS, 48));
        // 104 is ECONNRESET on Linux and no error at all on macOS
        assertEquals("errno 104", Errors.describe(Errors.Table.MACOS, 104));
        assertEquals("Connection reset (ECONNRESET)", Errors.describe(Errors.Table.LINUX, 104));
    }

    private static byte[] encode(SockAddr.Codec c, InetSocketAddress a, int af, int[] len) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(c.maxSize, 8);
            len[0] = c.encode(seg, a, af);
            assertEquals(a, c.decode(seg), "decode(encode(a))");
            return seg.asSlice(0, len[0]).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @Test
    void macosIpv4SockaddrStartsWithItsLengthThenAOneByteFamily() throws Exception {
        int[] len = new int[1];
        byte[] b = encode(SockAddr.Codec.MACOS,
                new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), 2, len);
        assertEquals(16, len[0]);
        assertArrayEquals(bytes(16, 2, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), b);
    }

    @Test
    void macosIpv6SockaddrCarriesLengthFamily30AndTheScopeInHostOrder() throws Exception {
        int[] len = new int[1];
        InetAddress ll = Inet6Address.getByAddress(null,
                bytes(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 5);
        byte[] b = encode(SockAddr.Codec.MACOS, new InetSocketAddress(ll, 443), 30, len);
        assertEquals(28, len[0]);
        assertArrayEquals(bytes(28, 30, 0x01, 0xbb, 0, 0, 0, 0,
                0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                5, 0, 0, 0), b);
    }

    @Test
    void macosIpv4ForAnIpv6SocketIsMappedAndDecodesAsIpv4() throws Exception {
        int[] len = new int[1];
        byte[] b = encode(SockAddr.Codec.MACOS,
                new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 1), 30, len);
        assertEquals(28, len[0]);
        assertArrayEquals(bytes(28, 30, 0, 1, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3,
                0, 0, 0, 0), b);
    }

    @Test
    void aLinuxFamilyNumberIsNotAMacosAddress() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(128, 8);
            seg.set(ValueLayout.JAVA_BYTE, 0, (byte) 28);
            seg.set(ValueLayout.JAVA_BYTE, 1, (byte) 10); // Linux's AF_INET6
            assertNull(SockAddr.Codec.MACOS.decode(seg));
        }
    }

    @Test
    void linuxSockaddrKeepsItsTwoByteHostOrderFamily() throws Exception {
        int[] len = new int[1];
        byte[] v4 = encode(SockAddr.Codec.LINUX,
                new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), 2, len);
        assertEquals(16, len[0]);
        assertArrayEquals(bytes(2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), v4);
        byte[] v6 = encode(SockAddr.Codec.LINUX,
                new InetSocketAddress(InetAddress.getByName("::1"), 80), 10, len);
        assertEquals(28, len[0]);
        assertArrayEquals(bytes(10, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                0, 0, 0, 0), v6);
    }

    @Test
    void theOsNameSelectsTheCallsAndAnUnknownOsFailsByName() {
        assertEquals(SysMacos.class, Sys.select("Mac OS X").getClass());
        assertEquals(SysLinux.class, Sys.select("Linux").getClass());
        assertEquals(SysWindows.class, Sys.select("Windows 11").getClass());
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Sys.select("FreeBSD"));
        assertEquals("io.panago.net has socket calls for Linux, macOS and Windows, not FreeBSD", e.getMessage());
    }

    @Test
    void thisMachineUsesTheLinuxVariantUnlessTheTestsAskForAnother() {
        String os = System.getProperty("panago.test.os", "");
        assertEquals("windows".equals(os), Sys.WINDOWS);
        assertEquals("macos".equals(os), Sys.MACOS);
        if (Sys.MACOS) {
            assertEquals(30, SockAddr.AF_INET6);
            assertEquals(0xffff, Sys.SOL_SOCKET);
            assertEquals(0x1080, Sys.SO_LINGER, "SO_LINGER_SEC: macOS's SO_LINGER counts clock ticks");
            assertEquals(54, Errors.ECONNRESET);
        } else if (!Sys.WINDOWS) {
            assertEquals(SockAddr.Codec.LINUX.afInet6, SockAddr.AF_INET6);
            assertEquals(SysLinux.SOL_SOCKET, Sys.SOL_SOCKET);
            assertEquals(io.panago.bindings.linux.Linux.ECONNRESET(), Errors.ECONNRESET);
        }
    }

    /**
     * Linux's net.core.somaxconn from /proc; on the macOS socket layer by sysctl
     * kern.ipc.somaxconn, which the libc stand-in answers from the same file, so a wrong
     * sysctl call (or a read of /proc where macOS has none) shows as the header's 128.
     */
    @Test
    void theListenBacklogLimitIsTheKernels() throws Exception {
        if (Sys.WINDOWS) {
            assertEquals(Math.min(Sys.SOMAXCONN, 65535), FD.maxListenerBacklog(), "Windows has no such setting");
            return;
        }
        int proc;
        // Not Files.readString, which misreads sysctl files (see FD.maxListenerBacklog).
        try (java.io.InputStream in = new java.io.FileInputStream("/proc/sys/net/core/somaxconn")) {
            proc = Integer.parseInt(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim());
        }
        assertEquals(Math.min(proc, 65535), FD.maxListenerBacklog());
    }
}
