package io.panago.bindings.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The epoll and eventfd bindings against the real kernel. */
class EpollEventfdTest {

    @Test
    void eventfdWriteMakesEpollReportItWithItsData() {
        try (Arena arena = Arena.ofConfined()) {
            int ep = Linux.epoll_create1(Linux.EPOLL_CLOEXEC());
            int efd = Linux.eventfd(0, Linux.EFD_NONBLOCK() | Linux.EFD_CLOEXEC());
            assertTrue(ep >= 0 && efd >= 0);
            try {
                MemorySegment ev = epoll_event.allocate(arena);
                epoll_event.events(ev, Linux.EPOLLIN() | Linux.EPOLLET());
                ev.set(ValueLayout.JAVA_LONG_UNALIGNED, epoll_event.data$offset(), 0x1234_5678_9abc_def0L);
                assertEquals(0, Linux.epoll_ctl(ep, Linux.EPOLL_CTL_ADD(), efd, ev));

                MemorySegment events = epoll_event.allocateArray(4, arena);
                assertEquals(0, Linux.epoll_wait(ep, events, 4, 0), "nothing is ready yet");

                MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
                one.set(ValueLayout.JAVA_LONG, 0, 1L);
                assertEquals(8, Linux.write(efd, one, 8));

                assertEquals(1, Linux.epoll_wait(ep, events, 4, 1000));
                MemorySegment first = epoll_event.asSlice(events, 0);
                assertEquals(Linux.EPOLLIN(), epoll_event.events(first) & Linux.EPOLLIN());
                assertEquals(0x1234_5678_9abc_def0L,
                        first.get(ValueLayout.JAVA_LONG_UNALIGNED, epoll_event.data$offset()));
                MemorySegment data = epoll_event.data(first);
                assertEquals(0x1234_5678_9abc_def0L, data.get(
                        (ValueLayout.OfLong) epoll_event.data$layout().memberLayouts().get(3), 0));
            } finally {
                assertEquals(0, Linux.close(efd));
                assertEquals(0, Linux.close(ep));
            }
        }
    }

    @Test
    void epollEventHasTheSizeOfThisArchitecture() {
        boolean x86 = System.getProperty("os.arch").equals("amd64");
        assertEquals(x86 ? 12 : 16, epoll_event.sizeof());
        assertEquals(x86 ? 4 : 8, epoll_event.data$offset());
    }

    @Test
    void errnoIsCapturedFromTheFailingCall() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = LinuxErrno.captureSegment(arena);
            assertEquals(-1, LinuxErrno.close(errno, -1));
            assertEquals(Linux.EBADF(), LinuxErrno.errno(errno));
            int efd = LinuxErrno.eventfd(errno, 0, Linux.EFD_NONBLOCK());
            MemorySegment buf = arena.allocate(8);
            assertEquals(-1, LinuxErrno.read(errno, efd, buf, 8));
            assertEquals(Linux.EAGAIN(), LinuxErrno.errno(errno));
            assertEquals(0, LinuxErrno.close(errno, efd));
        }
    }

    @Test
    void heapVariantsMoveBytesThroughAJavaArray() {
        heapRoundTrip(false);
    }

    @Test
    void heapCopyPathMovesBytesThroughAJavaArray() {
        heapRoundTrip(true);
    }

    @Test
    void heapVariantsAreCriticalFromJdk24() {
        assertEquals(Runtime.version().feature() >= 24, LinuxErrno.heapCallsAreCritical());
    }

    private static void heapRoundTrip(boolean copyPath) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = LinuxErrno.captureSegment(arena);
            int efd = LinuxErrno.eventfd(errno, 0, Linux.EFD_NONBLOCK());
            try {
                byte[] out = new byte[16];
                MemorySegment outSeg = MemorySegment.ofArray(out).asSlice(8, 8);
                outSeg.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 41L);
                long w = copyPath ? LinuxErrno.writeHeapCopy(errno, efd, outSeg, 8) : LinuxErrno.writeHeap(errno, efd, outSeg, 8);
                assertEquals(8, w);
                byte[] in = new byte[12];
                MemorySegment inSeg = MemorySegment.ofArray(in).asSlice(4, 8);
                long r = copyPath ? LinuxErrno.readHeapCopy(errno, efd, inSeg, 8) : LinuxErrno.readHeap(errno, efd, inSeg, 8);
                assertEquals(8, r);
                assertEquals(41L, inSeg.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                assertArrayEquals(new byte[4], java.util.Arrays.copyOf(in, 4), "bytes before the slice untouched");
                r = copyPath ? LinuxErrno.readHeapCopy(errno, efd, inSeg, 8) : LinuxErrno.readHeap(errno, efd, inSeg, 8);
                assertEquals(-1, r);
                assertEquals(Linux.EAGAIN(), LinuxErrno.errno(errno));
            } finally {
                LinuxErrno.close(errno, efd);
            }
        }
    }
}
