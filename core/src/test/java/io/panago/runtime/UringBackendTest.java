package io.panago.runtime;

import io.panago.bindings.linux.Linux;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The io_uring backend against the kernel, for readiness waits: the PollDesc scenarios with
 * Sched polling {@link NetpollUring} (its multishot polls stand in for epoll's registrations),
 * plus the wake-up rules of its blocking {@code io_uring_enter}.
 */
class UringBackendTest extends BackendReadinessTests {
    static final Object SELECTED = selectBackend("io_uring", () -> Boolean.TRUE);
    /** x86-64's syscall number of io_uring_enter, as /proc/PID/task/TID/syscall shows it. */
    private static final String IO_URING_ENTER = "426";

    @Override
    Class<? extends Netpoll> backendUnderTest() {
        return NetpollUring.class;
    }

    /**
     * A thread of this JVM blocked in io_uring_enter(GETEVENTS|EXT_ARG) whose
     * {@code io_uring_getevents_arg} (read from our own memory) has no timeout or one of at
     * least a second, or null.
     */
    static String threadInEnterForAtLeastASecond() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String line;
                try {
                    line = Files.readString(t.resolve("syscall")).trim();
                } catch (IOException gone) {
                    continue;
                }
                String[] f = line.split(" ");
                if (f.length < 7 || !f[0].equals(IO_URING_ENTER)) {
                    continue;
                }
                long flags = Long.decode(f[4]);
                long argp = Long.decode(f[5]);
                if ((flags & Linux.IORING_ENTER_EXT_ARG()) == 0 || argp == 0) {
                    continue;
                }
                long ts = MemorySegment.ofAddress(argp).reinterpret(24).get(ValueLayout.JAVA_LONG, 16);
                if (ts == 0 || MemorySegment.ofAddress(ts).reinterpret(16).get(ValueLayout.JAVA_LONG, 0) >= 1) {
                    return t.getFileName().toString();
                }
            }
        }
        return null;
    }

    /**
     * An M blocks in io_uring_enter until a distant deadline (or none: a goroutine waits on an
     * idle listener, and any timer left armed by earlier tests is a second or more away); a
     * timer added from another thread for 30 ms from now must end that wait through a wake-up
     * NOP and then fire on time.
     */
    @Test
    void aNewTimerWakesAnEnterBlockedUntilALaterDeadline() throws Exception {
        PollDesc lpd = pd(listener);
        Group g = parkAnAcceptor(lpd);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (threadInEnterForAtLeastASecond() == null) {
            if (System.nanoTime() > end) {
                fail("no thread blocked in io_uring_enter for a second or more; timers armed: " + Timers.count()
                        + ", next in " + (Timers.next - Sched.nanotime()) + " ns");
            }
            Thread.onSpinWait();
        }
        NetpollUring np = (NetpollUring) Sched.netpoll;
        int wakes = np.wakesPosted.get();
        CountDownLatch fired = new CountDownLatch(1);
        long[] firedAt = {0};
        long start = Sched.nanotime();
        new RTimer((arg, now) -> {
            firedAt[0] = now;
            fired.countDown();
        }, null).reset(start + 30_000_000L, 0);
        assertTrue(fired.await(10, TimeUnit.SECONDS), "the timer never fired");
        assertTrue(firedAt[0] >= start + 30_000_000L, "fired early");
        assertTrue(np.wakesPosted.get() > wakes, "the blocked enter was not woken by a NOP");
        lpd.evict();
        g.join(10);
    }

    /**
     * A non-blocking poll that reaps a pending wake-up NOP posts it again, so the M about to
     * block still gets it; the blocking poll's end clears it.
     */
    @Test
    void aNonBlockingPollThatReapsAPendingWakeUpPostsItAgain() throws Exception {
        NetpollUring np = new NetpollUring();
        try {
            GList out = new GList();
            np.wakeup();
            np.wakeup();
            assertEquals(1, np.wakesPosted.get(), "a pending wake-up is not posted twice");
            np.poll(0, out);
            assertEquals(2, np.wakesPosted.get(), "the reaped wake-up was not posted again");
            assertEquals(1, np.wakeSig.get());
            long t0 = System.nanoTime();
            np.poll(10_000_000_000L, out);
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "the pending wake-up did not end the blocking poll");
            assertEquals(0, np.wakeSig.get());
            np.poll(0, out); // takes the reposted NOP if the blocking poll did not
            t0 = System.nanoTime();
            np.poll(30_000_000L, out);
            assertTrue(System.nanoTime() - t0 >= 30_000_000L, "a consumed wake-up ended a later poll");
            assertTrue(out.isEmpty());
        } finally {
            np.release();
        }
    }
}
