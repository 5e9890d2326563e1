package io.panago.runtime;

import io.panago.Go;
import io.panago.bindings.linux.Linux;
import io.panago.bindings.linux.LinuxErrno;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** PollDesc over real eventfds and the epoll backend. */
class PollDescTest {
    /** A non-blocking eventfd: readable while its counter is non-zero. */
    static final class EventFd implements AutoCloseable {
        final Arena arena = Arena.ofShared();
        final MemorySegment errno = LinuxErrno.captureSegment(arena);
        final MemorySegment word = arena.allocate(ValueLayout.JAVA_LONG);
        final int fd;

        EventFd() {
            fd = LinuxErrno.eventfd(errno, 0, Linux.O_NONBLOCK() | Linux.O_CLOEXEC());
            assertTrue(fd >= 0);
        }

        synchronized void signal() {
            word.set(ValueLayout.JAVA_LONG, 0, 1L);
            assertEquals(8, LinuxErrno.write(errno, fd, word, 8));
        }

        /** Consumes the counter; false on EAGAIN. */
        synchronized boolean tryConsume() {
            long r = LinuxErrno.read(errno, fd, word, 8);
            if (r == 8) {
                return true;
            }
            assertEquals(Linux.EAGAIN(), LinuxErrno.errno(errno));
            return false;
        }

        /** Go's read loop on a non-blocking fd: prepare, try, wait on EAGAIN. */
        int await(PollDesc pd) {
            for (;;) {
                int err = pd.prepare(PollDesc.MODE_READ);
                if (err != PollDesc.OK) {
                    return err;
                }
                if (tryConsume()) {
                    return PollDesc.OK;
                }
                err = pd.waitRead();
                if (err != PollDesc.OK) {
                    return err;
                }
            }
        }

        @Override
        public void close() {
            Linux.close(fd);
            arena.close();
        }
    }

    /**
     * A goroutine waits to read {@code efd}; once it has parked, {@code wake} runs; returns
     * what the reader's wait returned.
     */
    static int readerResultAfter(EventFd efd, PollDesc pd, Runnable wake) throws Exception {
        return Go.run(() -> {
            AtomicInteger result = new AtomicInteger(-1);
            G self = Sched.getg();
            Go.go(() -> {
                result.set(efd.await(pd));
                Sched.goready(self);
            });
            Go.sleep(Duration.ofMillis(30)); // let it park first
            assertEquals(-1, result.get(), "the reader must still be parked");
            wake.run();
            Sched.gopark((g, a) -> true, null, WaitReason.ZERO);
            return result.get();
        });
    }

    @Test
    void waitReadParksUntilTheFdIsReadable() throws Exception {
        try (EventFd efd = new EventFd()) {
            PollDesc pd = PollDesc.open(efd.fd);
            try {
                assertEquals(PollDesc.OK, readerResultAfter(efd, pd, efd::signal));
            } finally {
                pd.close();
            }
        }
    }

    @Test
    void readDeadlineWakesWithTimeoutNeverEarly() throws Exception {
        try (EventFd efd = new EventFd()) {
            PollDesc pd = PollDesc.open(efd.fd);
            try {
                Go.run(() -> {
                    long t0 = Sched.nanotime();
                    long deadline = t0 + 40_000_000L;
                    pd.setDeadline(deadline, PollDesc.MODE_READ);
                    assertEquals(PollDesc.ERR_TIMEOUT, efd.await(pd));
                    assertTrue(Sched.nanotime() >= deadline, "woke before the deadline");
                    // Expired stays expired until reset; clearing it makes waits possible again.
                    assertEquals(PollDesc.ERR_TIMEOUT, pd.prepare(PollDesc.MODE_READ));
                    pd.setDeadline(0, PollDesc.MODE_READ);
                    efd.signal();
                    assertEquals(PollDesc.OK, efd.await(pd));
                });
            } finally {
                pd.close();
            }
        }
    }

    @Test
    void pastDeadlineWakesAParkedReader() throws Exception {
        try (EventFd efd = new EventFd()) {
            PollDesc pd = PollDesc.open(efd.fd);
            try {
                assertEquals(PollDesc.ERR_TIMEOUT, readerResultAfter(efd, pd,
                        () -> pd.setDeadline(Sched.nanotime() - 1, PollDesc.MODE_READ)));
            } finally {
                pd.close();
            }
        }
    }

    @Test
    void evictWakesWaiterWithClosing() throws Exception {
        try (EventFd efd = new EventFd()) {
            PollDesc pd = PollDesc.open(efd.fd);
            assertEquals(PollDesc.ERR_CLOSING, readerResultAfter(efd, pd, pd::evict));
            assertEquals(PollDesc.ERR_CLOSING, pd.prepare(PollDesc.MODE_READ));
            pd.close();
        }
    }

    @Test
    void plainThreadCanWaitOnAPollDesc() throws Exception {
        try (EventFd efd = new EventFd()) {
            PollDesc pd = PollDesc.open(efd.fd);
            try {
                Thread signaller = new Thread(() -> {
                    LockSupportSleep.ms(30);
                    efd.signal();
                });
                signaller.start();
                assertEquals(PollDesc.OK, efd.await(pd));
                signaller.join();
            } finally {
                pd.close();
            }
        }
    }

    @Test
    void staleTagAfterSlotReuseIsDropped() throws Exception {
        try (EventFd a = new EventFd()) {
            PollDesc p1 = PollDesc.open(a.fd);
            long tag1 = p1.tag;
            p1.close();
            PollDesc p2 = PollDesc.open(a.fd); // same fd number, same slot, new sequence
            try {
                assertEquals((int) tag1, (int) p2.tag, "the slot is reused");
                assertNotEquals(tag1, p2.tag);
                assertNull(Sched.netpoll.lookup(tag1), "an event for the old registration is stale");
                assertSame(p2, Sched.netpoll.lookup(p2.tag));
            } finally {
                p2.close();
            }
        }
    }

    /**
     * Many goroutine pairs pass a token back and forth over eventfds: every hand-off is a park
     * on epoll and a wake-up by the poller. A lost wake-up hangs the run.
     */
    @Test
    void eventfdPingPongStressLosesNoWakeup() throws Exception {
        Set<String> fdsBefore = BackendFds.openFds();
        int pairs = 50, rounds = 400;
        List<EventFd> fds = new ArrayList<>();
        List<PollDesc> pds = new ArrayList<>();
        for (int i = 0; i < 2 * pairs; i++) {
            EventFd e = new EventFd();
            fds.add(e);
            pds.add(PollDesc.open(e.fd));
        }
        AtomicLong exchanges = new AtomicLong();
        CountDownLatch done = new CountDownLatch(2 * pairs);
        for (int p = 0; p < pairs; p++) {
            EventFd ping = fds.get(2 * p), pong = fds.get(2 * p + 1);
            PollDesc pingPd = pds.get(2 * p), pongPd = pds.get(2 * p + 1);
            Go.go(() -> {
                for (int i = 0; i < rounds; i++) {
                    ping.signal();
                    assertEquals(PollDesc.OK, pong.await(pongPd));
                    exchanges.incrementAndGet();
                }
                done.countDown();
            });
            Go.go(() -> {
                for (int i = 0; i < rounds; i++) {
                    assertEquals(PollDesc.OK, ping.await(pingPd));
                    pong.signal();
                }
                done.countDown();
            });
        }
        assertTrue(done.await(60, TimeUnit.SECONDS), "a wake-up was lost: " + exchanges + " exchanges");
        assertEquals((long) pairs * rounds, exchanges.get());
        for (PollDesc pd : pds) {
            pd.close();
        }
        for (EventFd e : fds) {
            e.close();
        }
        BackendFds.assertNoNewFds(fdsBefore, "descriptors leaked");
        assertEquals(0, Sched.netpoll.waiters.get());
    }

    static final class LockSupportSleep {
        static void ms(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
