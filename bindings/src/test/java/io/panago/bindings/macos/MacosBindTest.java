package io.panago.bindings.macos;

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
 * The macOS bindings on a foreign OS: loading them touches no native library, calling a function
 * unbound fails clearly, and once bound to a lookup of upcall stubs (the way the runtime tests its
 * kqueue backend) every call, errno capture included, reaches the fake. One JVM binds once, so the
 * order of these tests is part of what they check.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MacosBindTest {

    private static final Arena FAKE = Arena.ofShared();
    private static final ThreadLocal<MemorySegment> FAKE_ERRNO =
            ThreadLocal.withInitial(() -> FAKE.allocate(ValueLayout.JAVA_INT));
    private static int lastKeventChanges;

    @Test
    @Order(1)
    void constantsAndLayoutsLoadWithoutBindingAnything() {
        HeaderShape shape = HeaderShape.of(Macos.class);
        assertTrue(shape.constants().size() > 150);
        assertTrue(shape.structs().size() > 10);
        assertFalse(Macos.NATIVE_OS, "this test is about a foreign OS");
        assertEquals(Optional.empty(), Macos.boundLookup());
    }

    @Test
    @Order(2)
    void anUnboundCallFailsNamingBindAndLeavesBindingOpen() {
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class, () -> Macos.listen(3, 1));
        assertTrue(e.getMessage().contains("Macos.bindLookup(SymbolLookup)"), e.getMessage());
        assertEquals(Optional.empty(), Macos.boundLookup());
    }

    static int kqueue() {
        return 7;
    }

    /** Reports one EVFILT_USER event per call, or fails with EINTR when asked for none. */
    static int kevent(int kq, MemorySegment changes, int nchanges, MemorySegment events, int nevents,
                      MemorySegment timeout) {
        lastKeventChanges = nchanges;
        if (nevents == 0) {
            FAKE_ERRNO.get().set(ValueLayout.JAVA_INT, 0, Macos.EINTR());
            return -1;
        }
        MemorySegment change = changes.reinterpret(kevent.sizeof() * nchanges);
        MemorySegment out = events.reinterpret(kevent.sizeof() * nevents);
        kevent.ident(out, kevent.ident(change));
        kevent.filter(out, kevent.filter(change));
        kevent.fflags(out, kevent.fflags(change));
        kevent.udata(out, kevent.udata(change));
        return 1;
    }

    static long read(int fd, MemorySegment buf, long n) {
        MemorySegment b = buf.reinterpret(n);
        for (int i = 0; i < n; i++) {
            b.set(ValueLayout.JAVA_BYTE, i, (byte) (fd + i));
        }
        return n;
    }

    static MemorySegment error() {
        return FAKE_ERRNO.get();
    }

    @Test
    @Order(3)
    void boundFunctionsReachTheFakeAndCaptureItsErrno() throws ReflectiveOperationException {
        SymbolLookup fake = new FakeLibrary(MethodHandles.lookup())
                .define("kqueue", "kqueue", Macos.kqueue$descriptor())
                .define("kevent", "kevent", Macos.kevent$descriptor())
                .define("read", "read", Macos.read$descriptor())
                .define("__error", "error", Macos.__error$descriptor())
                .lookup();
        Macos.bindLookup(fake);
        Macos.bindLookup(fake);
        assertThrows(IllegalStateException.class, () -> Macos.bindLookup(name -> Optional.empty()));

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = MacosErrno.captureSegment(arena);
            int kq = MacosErrno.kqueue(errno);
            assertEquals(7, kq);

            MemorySegment change = kevent.allocate(arena);
            kevent.ident(change, 1);
            kevent.filter(change, (short) Macos.EVFILT_USER());
            kevent.flags(change, (short) (Macos.EV_ADD() | Macos.EV_CLEAR()));
            kevent.fflags(change, Macos.NOTE_TRIGGER());
            MemorySegment events = kevent.allocateArray(4, arena);
            assertEquals(1, MacosErrno.kevent(errno, kq, change, 1, events, 4, MemorySegment.NULL));
            assertEquals(1, lastKeventChanges);
            assertEquals(Macos.EVFILT_USER(), kevent.filter(events));
            assertEquals(Macos.NOTE_TRIGGER(), kevent.fflags(events));

            assertEquals(-1, MacosErrno.kevent(errno, kq, change, 1, events, 0, MemorySegment.NULL));
            assertEquals(Macos.EINTR(), MacosErrno.errno(errno));
            assertEquals("EINTR", Errno.name(MacosErrno.errno(errno)));

            byte[] into = new byte[4];
            assertEquals(4, MacosErrno.readHeap(errno, 10, MemorySegment.ofArray(into), 4));
            assertEquals(13, into[3]);
            assertFalse(MacosErrno.heapCallsAreCritical(), "no critical calls into a fake");
        }
    }
}
