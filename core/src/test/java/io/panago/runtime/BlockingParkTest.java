package io.panago.runtime;

import io.panago.Chan;
import io.panago.Go;
import io.panago.PanicHandler;
import io.panago.sync.WaitGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Goroutine operations inside {@code Go.blocking}: a park or yield there leaves the syscall
 * state for its duration and enters it again after, so it parks as anywhere else (a sleep
 * sleeps, a nested {@code Go.run} waits, a receive gets its value) and leaves no goready behind
 * for a later park; nested calls keep the outer call's hand-off to its end.
 */
class BlockingParkTest {

    /** Whether the calling goroutine is in the syscall state, without a P, as Go.blocking puts it. */
    private static boolean inSyscall() {
        G g = Sched.getg();
        return (g.status & ~G.WAKE) == G.SYSCALL && Sched.currentM().p == null;
    }

    @Test
    void sleepInsideBlockingSleepsItsWholeDurationAndStaysInTheSyscall() throws Exception {
        long[] slept = new long[1];
        boolean after = Go.run(() -> Go.blocking(() -> {
            long t0 = System.nanoTime();
            Go.sleep(Duration.ofMillis(50));
            slept[0] = System.nanoTime() - t0;
            return inSyscall();
        }));
        // Before the fix it returned at once (74 us - 4 ms): the park's commit failed.
        assertTrue(slept[0] >= 50_000_000L, "Go.sleep(50 ms) inside Go.blocking returned after "
                + slept[0] / 1000 + " us");
        assertTrue(after, "after the sleep the call no longer hands its P off");
    }

    @Test
    void runInsideBlockingWaitsForItsMain() throws Exception {
        int r = Go.run(() -> Go.blocking(() -> Go.run(() -> {
            Go.sleep(Duration.ofMillis(20));
            return 42;
        })));
        assertEquals(42, r);
    }

    /**
     * The sleep's goready used to arrive after the cancelled park had returned, and ended the
     * next park of the goroutine: here the inner {@code Go.run}, which then returned null.
     */
    @Test
    void aParkInsideBlockingLeavesNoGoreadyForALaterPark() throws Exception {
        Object r = Go.run(() -> {
            Chan<Integer> c = Chan.make();
            Go.go(() -> {
                Go.sleep(Duration.ofMillis(5));
                c.send(7);
            });
            assertEquals(7, Go.blocking(c::recv));
            Go.blocking(() -> {
                Go.sleep(Duration.ofMillis(5));
                return null;
            });
            return Go.run(() -> {
                Go.sleep(Duration.ofMillis(50));
                return "inner";
            });
        });
        assertEquals("inner", r);
    }

    /**
     * After an inner {@code Go.blocking} returns, the rest of the outer one still blocks its
     * carrier, so the goroutine must still be in the syscall state (its P handed off after
     * ~20 us); the inner call used to leave it, and the P stayed until sysmon's 10 ms retake.
     */
    @Test
    void nestedBlockingKeepsTheOuterCallsSyscallState() throws Exception {
        boolean[] states = Go.run(() -> Go.blocking(() -> {
            boolean inner = Go.blocking(BlockingParkTest::inSyscall);
            boolean afterInner = inSyscall();
            Go.yield(); // and after a yield inside both
            boolean afterYield = Go.blocking(() -> {
                Go.yield();
                return inSyscall();
            }) && inSyscall();
            return new boolean[] {inner, afterInner, afterYield};
        }));
        assertArrayEquals(new boolean[] {true, true, true}, states);
        // and outside it, the goroutine runs with a P again
        assertTrue(Go.run(() -> !inSyscall() && Sched.currentM().p != null));
    }

    /**
     * Many goroutines park on a channel and yield inside {@code Go.blocking} (resuming on
     * either carrier): every value arrives once, no goroutine panics (a stray goready did:
     * "not parked (a second goready?)"), none is left, and the scheduler still works.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void parksAndYieldsInsideBlockingUnderLoad(int procs) throws Exception {
        int old = Go.gomaxprocs(procs);
        int before = Go.numGoroutine();
        List<Throwable> panics = new CopyOnWriteArrayList<>();
        PanicHandler prev = Go.setPanicHandler((id, t) -> panics.add(t));
        try {
            for (int round = 0; round < 20; round++) {
                FutureTask<Long> run = new FutureTask<>(() -> Go.run(() -> {
                    int n = 400;
                    Chan<Integer> c = Chan.make();
                    WaitGroup wg = new WaitGroup();
                    AtomicLong got = new AtomicLong();
                    for (int i = 0; i < n; i++) {
                        int v = i;
                        wg.go(() -> {
                            try {
                                Go.blocking(() -> {
                                    Go.yield();
                                    if ((v & 1) == 0) {
                                        c.send(v);
                                    } else {
                                        got.addAndGet(c.recv());
                                    }
                                    Go.yield();
                                    return null;
                                });
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
                    }
                    wg.await();
                    Chan<Integer> ping = Chan.make(), pong = Chan.make();
                    Go.go(() -> {
                        for (Integer x : ping) {
                            pong.send(x + 1);
                        }
                    });
                    for (int i = 0; i < 10_000; i++) {
                        ping.send(i);
                        assertEquals(i + 1, pong.recv());
                    }
                    ping.close();
                    return got.get();
                }));
                Thread.ofPlatform().daemon().start(run);
                long sum;
                try {
                    sum = run.get(60, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    throw new AssertionError("round " + round + " hangs\n" + Go.dump(), e);
                }
                assertEquals(199L * 200, sum, "values lost or doubled in round " + round);
            }
        } finally {
            Go.setPanicHandler(prev);
            Go.gomaxprocs(old);
        }
        assertTrue(panics.isEmpty(), "panics: " + panics);
        long end = System.nanoTime() + 10_000_000_000L;
        while (Go.numGoroutine() > before && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        assertTrue(Go.numGoroutine() <= before, "goroutines left\n" + Go.dump());
    }
}
