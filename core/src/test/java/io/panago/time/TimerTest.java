package io.panago.time;

import static io.panago.TestMode.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Chan;
import io.panago.RecvChan;
import io.panago.Select;
import io.panago.TestMode;
import io.panago.runtime.Sched;
import io.panago.sync.WaitGroup;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Go's {@code time/sleep_test.go} and {@code tick_test.go}, with Go 1.23 timer channels. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TimerTest {

    private static final Duration LONG = Duration.ofHours(1);

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void afterDeliversTheTimeOnceTheDurationElapsed(TestMode mode) throws Exception {
        mode.run(() -> {
            long t0 = System.nanoTime();
            Instant before = Instant.now();
            Instant fired = Time.after(Duration.ofMillis(20)).recv();
            assertTrue(System.nanoTime() - t0 >= 20_000_000L);
            assertFalse(fired.isBefore(before));
        });
    }

    /**
     * A reset refused for a null duration changes nothing: the timer and the ticker still
     * fire, and other timers still run. (The timer's lock was taken before the duration was
     * read, so the refusal left it held and the expiry hung the runtime's timers.)
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aRefusedResetChangesNothing() throws Exception {
        io.panago.Go.run(() -> {
            Timer t = Time.newTimer(Duration.ofMillis(20));
            assertEquals("d", assertThrows(NullPointerException.class, () -> t.reset(null)).getMessage());
            Ticker k = Time.newTicker(Duration.ofMillis(20));
            assertThrows(NullPointerException.class, () -> k.reset(null));
            assertNotNull(t.c().recv());
            assertNotNull(k.c().recv());
            k.stop();
            io.panago.Go.sleep(Duration.ofMillis(10));
            assertFalse(t.reset(Duration.ofMillis(10)));
            assertNotNull(t.c().recv());
            return null;
        });
    }

    @Test
    void stopBeforeExpiryPreventsDelivery() throws Exception {
        // 50 ms: room for this thread to be descheduled before stop() on a loaded machine.
        Timer t = Time.newTimer(Duration.ofMillis(50));
        assertTrue(t.stop());
        assertFalse(t.stop());
        Time.after(Duration.ofMillis(80)).recv();
        assertNull(t.c().tryRecv());
    }

    /** Go 1.23: a value that arrived but was not received is discarded by stop. */
    @Test
    void stopAfterExpiryDiscardsTheUnreceivedValue() {
        Timer t = Time.newTimer(Duration.ofMillis(1));
        until(() -> t.c().len() == 1);
        assertTrue(t.stop(), "stop must report it kept a value from being received");
        assertNull(t.c().tryRecv());
    }

    @Test
    void stopAfterReceiveReportsFalse() {
        Timer t = Time.newTimer(Duration.ofMillis(1));
        assertNotNull(t.c().recv());
        assertFalse(t.stop());
    }

    /** Go 1.23: after reset no value of the earlier arming can be received. */
    @Test
    void resetDiscardsTheStaleValueAndRearms() {
        Timer t = Time.newTimer(Duration.ofMillis(1));
        until(() -> t.c().len() == 1);
        Instant armed = Instant.now();
        long t0 = System.nanoTime(); // before the reset, so a late thread cannot shorten the wait
        assertTrue(t.reset(Duration.ofMillis(20)));
        assertNull(t.c().tryRecv());
        Instant v = t.c().recv();
        assertTrue(System.nanoTime() - t0 >= 20_000_000L);
        assertFalse(v.isBefore(armed));
        assertFalse(t.reset(Duration.ofMillis(1)));
        assertNotNull(t.c().recv());
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void stopWakesNobodyAndAParkedReceiverGetsTheRearmedValue(TestMode mode) throws Exception {
        mode.run(() -> {
            Timer t = Time.newTimer(LONG);
            RecvChan<Instant> got = mode.async(() -> t.c().recv());
            until(() -> io.panago.ChanProbe.waitingReceivers(t.c()) == 1);
            t.stop();
            assertNull(got.tryRecv());
            t.reset(Duration.ofMillis(5));
            assertNotNull(got.recv());
        });
    }

    /**
     * Timers stopped and reset at random from many parties at once: a received value is
     * never older than the arming it was received under, and after stop nothing arrives.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void stopAndResetUnderLoadNeverDeliverAStaleValue(TestMode mode) throws Exception {
        mode.run(() -> {
            int parties = 16;
            int rounds = mode == TestMode.THREADS ? 100 : 300;
            AtomicReference<String> failure = new AtomicReference<>();
            WaitGroup wg = new WaitGroup();
            wg.add(parties);
            for (int p = 0; p < parties; p++) {
                mode.go(() -> {
                    Timer t = Time.newTimer(LONG);
                    Select sel = new Select();
                    var rc = sel.recv(t.c());
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int i = 0; i < rounds; i++) {
                        Instant armed = Instant.now();
                        t.reset(Duration.ofNanos(rnd.nextLong(300_000)));
                        switch (rnd.nextInt(3)) {
                            case 0 -> {
                                if (sel.select(Duration.ofSeconds(10)) != rc.index()) {
                                    failure.set("timer did not fire");
                                } else if (rc.value().isBefore(armed)) {
                                    failure.set("stale value " + rc.value() + " < " + armed);
                                }
                            }
                            case 1 -> {
                                t.stop();
                                if (t.c().tryRecv() != null) {
                                    failure.set("value after stop");
                                }
                            }
                            default -> {
                                if (rnd.nextBoolean()) {
                                    io.panago.runtime.Sched.gosched();
                                }
                            }
                        }
                    }
                    t.stop();
                    wg.done();
                });
            }
            wg.await();
            assertNull(failure.get());
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void afterFuncRunsInAGoroutineUnlessStopped(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<String> ran = Chan.make(2);
            // Due long after the stop: however late this party runs, stop() finds it armed.
            Timer stopped = Time.afterFunc(LONG, () -> ran.send("stopped"));
            assertNull(stopped.c());
            assertTrue(stopped.stop());
            Time.afterFunc(Duration.ofMillis(10), () -> ran.send("ran"));
            assertEquals("ran", ran.recv());
            Time.after(Duration.ofMillis(10)).recv();
            assertNull(ran.tryRecv());
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void tickerTicksUntilStopped(TestMode mode) throws Exception {
        mode.run(() -> {
            long t0 = System.nanoTime(); // before arming: a late party cannot shorten the wait
            Ticker tk = Time.newTicker(Duration.ofMillis(5));
            for (int i = 0; i < 5; i++) {
                tk.c().recv();
            }
            assertTrue(System.nanoTime() - t0 >= 20_000_000L);
            tk.stop();
            assertNull(tk.c().tryRecv(), "stop must discard a pending tick");
            Time.after(Duration.ofMillis(20)).recv();
            assertNull(tk.c().tryRecv(), "tick after stop");
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void slowTickerReceiverMissesTicksInsteadOfQueueingThem(TestMode mode) throws Exception {
        mode.run(() -> {
            Ticker tk = Time.newTicker(Duration.ofMillis(2));
            TestMode.sleep(Duration.ofMillis(30)); // about 15 ticks fall due unreceived
            Instant beforeFirst = Instant.now();
            tk.c().recv();
            Instant next = tk.c().recv();
            // The ticks due while nobody received were dropped, not queued behind the first:
            // the channel was full from the first tick until that receive, so the next tick
            // must have been sent after it (a queued one carries a time from the sleep).
            assertFalse(next.isBefore(beforeFirst), next + " was sent before the first receive at "
                    + beforeFirst);
            tk.stop();
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void tickerResetChangesThePeriod(TestMode mode) throws Exception {
        mode.run(() -> {
            Ticker tk = Time.newTicker(LONG);
            // Read before the reset: the second tick is due two periods after it, so however
            // late this thread runs, the two receives end at least 10 ms after t0.
            long t0 = System.nanoTime();
            tk.reset(Duration.ofMillis(5));
            tk.c().recv();
            tk.c().recv();
            assertTrue(System.nanoTime() - t0 >= 10_000_000L);
            tk.reset(LONG);
            assertNull(tk.c().tryRecv());
            tk.stop();
        });
    }

    @Test
    void runtimeClockNeverReadsZeroOrLessSoZeroCanMeanNoDeadline() {
        long prev = Sched.nanotime();
        assertTrue(prev >= 1, "nanotime " + prev);
        for (int i = 0; i < 100_000; i++) {
            long now = Sched.nanotime();
            assertTrue(now >= prev, "nanotime went back from " + prev + " to " + now);
            prev = now;
        }
    }

    @Test
    void nonPositiveTickerPeriodIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Time.newTicker(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> Time.newTicker(LONG).reset(Duration.ofMillis(-1)));
        // Go's time.Tick gives a nil channel: a receive blocks forever, a try finds nothing.
        assertSame(Chan.nil(), Time.tick(Duration.ZERO));
        assertSame(Chan.nil(), Time.tick(Duration.ofNanos(-1)));
        assertNull(Time.tick(Duration.ZERO).tryRecv());
    }
}
