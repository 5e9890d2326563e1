package io.panago.net.poll;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The Windows side of the socket layer, checked on any host: every constant {@link SysWindows}
 * passes to Winsock against the values of the Windows SDK headers (winsock2.h, ws2def.h,
 * ws2ipdef.h, mswsock.h, winerror.h; transcribed here, and cross-checked with Go's
 * syscall/types_windows.go), the bytes of a Windows {@code sockaddr}, and the Winsock error
 * numbers {@link Errors} finds by name. The calls themselves run in net's {@code netpoll-iocp}
 * execution, over core's Java stand-in for ws2_32.
 */
class WindowsSocketLayerTest {

    /** SysWindows's fields, by field name, with the SDK's value. */
    private static final Map<String, Long> SDK = new TreeMap<>(Map.ofEntries(
            Map.entry("SOCK_STREAM", 1L), Map.entry("SOL_SOCKET", 0xffffL),
            Map.entry("SO_REUSEADDR", 0x4L), Map.entry("SO_ERROR", 0x1007L),
            Map.entry("SO_KEEPALIVE", 0x8L), Map.entry("SO_RCVBUF", 0x1002L),
            Map.entry("SO_SNDBUF", 0x1001L), Map.entry("SO_LINGER", 0x80L),
            Map.entry("SO_UPDATE_ACCEPT_CONTEXT", 0x700bL), Map.entry("SO_UPDATE_CONNECT_CONTEXT", 0x7010L),
            Map.entry("IPPROTO_TCP", 6L), Map.entry("TCP_NODELAY", 1L),
            Map.entry("IPPROTO_IPV6", 41L), Map.entry("IPV6_V6ONLY", 27L),
            Map.entry("SD_RECEIVE", 0L), Map.entry("SD_SEND", 1L),
            Map.entry("SOMAXCONN", 0x7fffffffL), Map.entry("ERROR_NETNAME_DELETED", 64L),
            // winsock2.h: _IOR('f', 127, u_long)
            Map.entry("FIONREAD", 0x4004667fL),
            // WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT
            Map.entry("FLAGS", 0x81L),
            Map.entry("FROM_PROTOCOL_INFO", -1L), Map.entry("INVALID_SOCKET", -1L),
            Map.entry("SOCKET_ERROR", -1L),
            // struct linger { u_short l_onoff; u_short l_linger; }
            Map.entry("LINGER_SIZE", 4L), Map.entry("L_ONOFF", 0L), Map.entry("L_LINGER", 2L)));

    /** winerror.h's Winsock codes for the errors {@link Errors} branches on; -1: Winsock has none. */
    private static final Map<String, Integer> SDK_ERRORS = new TreeMap<>(Map.ofEntries(
            Map.entry("EAGAIN", 10035), Map.entry("EINTR", 10004), Map.entry("EINPROGRESS", 10036),
            Map.entry("EALREADY", 10037), Map.entry("EISCONN", 10056), Map.entry("ECONNABORTED", 10053),
            Map.entry("ECONNREFUSED", 10061), Map.entry("ECONNRESET", 10054), Map.entry("EPIPE", -1),
            Map.entry("EMFILE", 10024), Map.entry("ENFILE", -1), Map.entry("ENOBUFS", 10055),
            Map.entry("ENOMEM", -1), Map.entry("EAFNOSUPPORT", 10047), Map.entry("EHOSTUNREACH", 10065),
            Map.entry("ENOTCONN", 10057)));

    @Test
    void everyConstantTheWindowsCallsUseHasTheSdkValue() throws IllegalAccessException {
        Map<String, Long> used = StaticNumbers.of(SysWindows.class);
        // The capture segment holds GetLastError and WSAGetLastError (and on Windows errno):
        // its size is the host JDK's, not the SDK's.
        assertTrue(used.remove("ERRNO_SIZE") >= 8);
        assertEquals(SDK, used);
    }

    @Test
    void errorsFindTheirWinsockTwinsByName() throws IllegalAccessException {
        Map<String, Long> used = StaticNumbers.of(Errors.class);
        assertEquals(SDK_ERRORS.keySet(), used.keySet(), "the errors Errors branches on");
        Map<String, Integer> windows = new TreeMap<>();
        used.keySet().forEach(name -> windows.put(name, Errors.Table.WINDOWS.value().applyAsInt(name)));
        assertEquals(SDK_ERRORS, windows);
        if (Sys.WINDOWS) {
            used.forEach((name, v) -> assertEquals((long) SDK_ERRORS.get(name), v, name + " in use"));
        }
    }

    @Test
    void winsockErrorsAreDescribedInTheJdksWordsWithTheirWinsockNames() {
        assertEquals("Connection reset (WSAECONNRESET)", Errors.describe(Errors.Table.WINDOWS, 10054));
        assertEquals("Connection refused (WSAECONNREFUSED)", Errors.describe(Errors.Table.WINDOWS, 10061));
        assertEquals("Address already in use (WSAEADDRINUSE)", Errors.describe(Errors.Table.WINDOWS, 10048));
        assertEquals("Too many open files (WSAEMFILE)", Errors.describe(Errors.Table.WINDOWS, 10024));
        assertEquals("Connection timed out (WSAETIMEDOUT)", Errors.describe(Errors.Table.WINDOWS, 10060));
        assertEquals("WSAEWOULDBLOCK", Errors.describe(Errors.Table.WINDOWS, 10035));
        assertEquals("error 104", Errors.describe(Errors.Table.WINDOWS, 104)); // Linux's ECONNRESET
    }

    @Test
    void windowsSockaddrLayoutIsTheSdks() {
        SockAddr.Codec c = SockAddr.Codec.WINDOWS;
        assertEquals(List.of(2, 23, 0L, 16L, 2L, 4L, 28L, 2L, 8L, 24L, 128L),
                List.of(c.afInet, c.afInet6, c.family, c.in4Size, c.port4, c.addr4, c.in6Size,
                        c.port6, c.addr6, c.scope6, c.maxSize));
        assertEquals(false, c.lengthByte, "no sin_len on Windows");
    }

    @Test
    void windowsIpv6SockaddrHasATwoByteFamily23() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(128, 8);
            InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("::1"), 80);
            assertEquals(28, SockAddr.Codec.WINDOWS.encode(seg, a, 23));
            assertArrayEquals(new byte[] {23, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, seg.asSlice(0, 28).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(a, SockAddr.Codec.WINDOWS.decode(seg));
            seg.set(ValueLayout.JAVA_SHORT, 0, (short) 10); // Linux's AF_INET6 means nothing here
            assertEquals(null, SockAddr.Codec.WINDOWS.decode(seg));
        }
    }
}
