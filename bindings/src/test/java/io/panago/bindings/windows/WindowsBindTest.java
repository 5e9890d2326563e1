package io.panago.bindings.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.bindings.FakeLibrary;
import io.panago.bindings.HeaderShape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.util.Optional;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Windows bindings on a foreign OS, the way the runtime tests its IOCP backend: nothing loads
 * ws2_32 or kernel32, an unbound call fails clearly, and a lookup of upcall stubs then serves
 * every call, the per-thread last errors (emulated capture) and the extension function pointers.
 * One JVM binds once, so the order of these tests is part of what they check.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WindowsBindTest {

    private static final ThreadLocal<int[]> LAST = ThreadLocal.withInitial(() -> new int[2]);

    @Test
    @Order(1)
    void constantsAndLayoutsLoadWithoutTouchingWinsock() {
        HeaderShape shape = HeaderShape.of(Windows.class);
        assertTrue(shape.constants().size() > 100);
        assertTrue(WsaIds.WSAID_CONNECTEX().byteSize() == 16);
        assertFalse(Windows.NATIVE_OS, "this test is about a foreign OS");
        assertEquals(Optional.empty(), Windows.boundLookup());
    }

    @Test
    @Order(2)
    void anUnboundCallFailsNamingBindLookup() {
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class, Windows::WSACleanup);
        assertTrue(e.getMessage().contains("Windows.bindLookup(SymbolLookup)"), e.getMessage());
    }

    static int getLastError() {
        return LAST.get()[0];
    }

    static int wsaGetLastError() {
        return LAST.get()[1];
    }

    /** An overlapped receive that never completes at once: SOCKET_ERROR with WSA_IO_PENDING. */
    static int wsaRecv(long s, MemorySegment bufs, int count, MemorySegment received, MemorySegment flags,
                       MemorySegment overlapped, MemorySegment routine) {
        LAST.get()[1] = Windows.WSA_IO_PENDING();
        return Windows.SOCKET_ERROR();
    }

    /** Dequeues one completion: the overlapped 0x1000 of key 7, 5 bytes. */
    static int gqcsEx(MemorySegment port, MemorySegment entries, int count, MemorySegment removed, int millis,
                      int alertable) {
        MemorySegment e = entries.reinterpret(OVERLAPPED_ENTRY.sizeof() * count);
        OVERLAPPED_ENTRY.lpCompletionKey(e, 7);
        OVERLAPPED_ENTRY.lpOverlapped(e, MemorySegment.ofAddress(0x1000));
        OVERLAPPED_ENTRY.dwNumberOfBytesTransferred(e, 5);
        removed.reinterpret(4).set(ValueLayout.JAVA_INT, 0, 1);
        return 1;
    }

    /** An AcceptEx that was cancelled: FALSE with ERROR_OPERATION_ABORTED (995). */
    static int acceptEx(long listen, long accept, MemorySegment out, int recv, int local, int remote,
                        MemorySegment bytes, MemorySegment overlapped) {
        LAST.get()[1] = Windows.ERROR_OPERATION_ABORTED();
        return 0;
    }

    @Test
    @Order(3)
    void boundFunctionsReachTheFakeWithWindowsErrorSemantics() throws ReflectiveOperationException {
        SymbolLookup fake = new FakeLibrary(MethodHandles.lookup())
                .define("GetLastError", "getLastError", Windows.GetLastError$descriptor())
                .define("WSAGetLastError", "wsaGetLastError", Windows.WSAGetLastError$descriptor())
                .define("WSARecv", "wsaRecv", Windows.WSARecv$descriptor())
                .define("GetQueuedCompletionStatusEx", "gqcsEx", Windows.GetQueuedCompletionStatusEx$descriptor())
                .lookup();
        Windows.bindLookup(fake);

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = WindowsErrno.captureSegment(arena);
            MemorySegment overlapped = OVERLAPPED.allocate(arena);
            assertEquals(Windows.SOCKET_ERROR(), WindowsErrno.WSARecv(capture, 42, WSABUF.allocate(arena), 1,
                    arena.allocate(4), arena.allocate(4), overlapped, MemorySegment.NULL));
            assertEquals(Windows.WSA_IO_PENDING(), WindowsErrno.wsaLastError(capture));

            MemorySegment entries = OVERLAPPED_ENTRY.allocateArray(8, arena);
            MemorySegment removed = arena.allocate(ValueLayout.JAVA_INT);
            assertEquals(1, WindowsErrno.GetQueuedCompletionStatusEx(capture, MemorySegment.ofAddress(99), entries, 8,
                    removed, Windows.INFINITE(), 0));
            assertEquals(1, removed.get(ValueLayout.JAVA_INT, 0));
            assertEquals(7, OVERLAPPED_ENTRY.lpCompletionKey(entries));
            assertEquals(0x1000, OVERLAPPED_ENTRY.lpOverlapped(entries).address());
            assertEquals(5, OVERLAPPED_ENTRY.dwNumberOfBytesTransferred(entries));

            MemorySegment acceptEx = LPFN_ACCEPTEX.allocate(WindowsBindTest::acceptEx, arena);
            assertEquals(0, WindowsErrno.AcceptEx(capture, acceptEx, 1, 2, arena.allocate(64), 0, 32, 32,
                    arena.allocate(4), overlapped));
            assertEquals(995, WindowsErrno.wsaLastError(capture));
            assertEquals("ERROR_OPERATION_ABORTED", WinError.name(WindowsErrno.wsaLastError(capture)));
        }
    }
}
