package io.panago.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Chan;
import io.panago.Go;
import io.panago.RecvChan;
import io.panago.Select;
import io.panago.TestMode;
import java.time.Instant;
import io.panago.sync.WaitGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Hunting for departures from Go's {@code time} package (Go 1.23 timer channels). */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TimeHuntTest {

    private static final Duration LONG = Duration.ofHours(1);

    /**
     * Go 1.23 (time.Timer.Reset): once Reset returns, no value of the earlier arming is
     * received. Timers armed to expire about now are reset to an hour while they expire:
     * any value that shows up afterwards is a stale one.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void resetRacingExpiryNeverDeliversTheOldValue(TestMode mode) throws Exception {
        mode.run(() -> {
            int parties = 4;
            int rounds = 3000;
            List<List<Timer>> all = new ArrayList<>();
            for (int p = 0; p < parties; p++) {
                all.add(new ArrayList<>());
            }
            WaitGroup wg = new WaitGroup();
            wg.add(parties);
            for (int p = 0; p < parties; p++) {
                List<Timer> mine = all.get(p);
                mode.go(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int i = 0; i < rounds; i++) {
                        long ns = rnd.nextLong(20_000);
                        Timer t = Time.newTimer(Duration.ofNanos(ns));
                        long end = System.nanoTime() + rnd.nextLong(ns + 1);
                        while (System.nanoTime() < end) {
                            Thread.onSpinWait();
                        }
                        t.reset(LONG);
                        mine.add(t);
                    }
                    wg.done();
                });
            }
            wg.await();
            TestMode.sleep(Duration.ofMillis(100)); // a stale expiry in flight lands by then
            int stale = 0;
            for (List<Timer> l : all) {
                for (Timer t : l) {
                    if (t.c().len() != 0) {
                        stale++;
                    }
                    t.stop();
                }
            }
            assertEquals(0, stale, "values received after reset(1h) returned");
        });
    }
    /**
     * The same race made certain: the resetting thread is held between reading the clock
     * for its new deadline and taking the runtime's timer heap lock (a thread descheduled
     * there, which a loaded machine does now and then), while the old deadline passes and
     * a scheduler takes the old expiry. Go 1.23: once Reset returns, that expiry must not
     * deliver; here {@code reset(1h)} is followed by a value at once.
     */
    @Test
    void resetDescheduledBeforeTheTimerLockNeverDeliversTheOldValue() throws Exception {
        Object heapLock = timersLock();
        int stale = 0;
        int raced = 0;
        for (int i = 0; i < 20 && stale == 0; i++) {
            Timer t = Time.newTimer(Duration.ofMillis(2));
            Thread resetter = new Thread(() -> t.reset(LONG), "resetter");
            resetter.setDaemon(true);
            boolean schedulerWaiting;
            synchronized (heapLock) {
                resetter.start();
                waitFor(() -> resetter.getState() == Thread.State.BLOCKED, 5_000);
                // The old deadline passes; a scheduler thread reads the clock and waits for
                // the heap lock to take the expiry.
                schedulerWaiting = waitFor(TimeHuntTest::aSchedulerWaitsToRunTimers, 1_000);
            }
            resetter.join(10_000);
            assertTrue(!resetter.isAlive(), "reset did not return");
            if (schedulerWaiting) {
                raced++;
            }
            Thread.sleep(20);
            if (t.c().len() != 0) {
                stale++;
            }
            t.stop();
        }
        assertTrue(raced > 0, "no scheduler thread ever reached the timer heap lock");
        assertEquals(0, stale, "a value was delivered after reset(1h) returned");
    }

    private static Object timersLock() throws ReflectiveOperationException {
        var f = Class.forName("io.panago.runtime.Timers").getDeclaredField("LOCK");
        f.setAccessible(true);
        return f.get(null);
    }

    private static boolean aSchedulerWaitsToRunTimers() {
        for (var e : Thread.getAllStackTraces().entrySet()) {
            StackTraceElement[] st = e.getValue();
            if (e.getKey().getState() == Thread.State.BLOCKED && st.length > 0
                    && st[0].getClassName().equals("io.panago.runtime.Timers")
                    && st[0].getMethodName().equals("runDue")) {
                return true;
            }
        }
        return false;
    }

    private static boolean waitFor(java.util.function.BooleanSupplier cond, long millis)
            throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** Go's AfterFunc: Stop is true only before f started; Reset after it ran re-arms it (false). */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void afterFuncStopAndResetReturnValues(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> ran = Chan.make(10);
            AtomicInteger runs = new AtomicInteger();
            Timer t = Time.afterFunc(Duration.ZERO, () -> ran.send(runs.incrementAndGet()));
            assertEquals(1, ran.recv());
            assertFalse(t.stop());
            assertFalse(t.reset(Duration.ofNanos(-1)));
            assertEquals(2, ran.recv());
            assertFalse(t.reset(LONG));
            assertTrue(t.reset(LONG));
            assertTrue(t.stop());
            assertFalse(t.stop());
            assertFalse(t.reset(Duration.ofMillis(1)));
            assertEquals(3, ran.recv());
            Time.after(Duration.ofMillis(20)).recv();
            assertNull(ran.tryRecv());
        });
    }

    /** Zero, negative and out-of-range durations: now, now, never (Go: when() saturates). */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void zeroNegativeAndHugeDurations(TestMode mode) throws Exception {
        mode.run(() -> {
            assertNotNull(Time.after(Duration.ZERO).recv());
            assertNotNull(Time.after(Duration.ofSeconds(-10)).recv());
            assertNotNull(Time.after(Duration.ofSeconds(Long.MIN_VALUE)).recv());
            Timer huge = Time.newTimer(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
            Timer huge2 = Time.newTimer(Duration.ofNanos(Long.MAX_VALUE));
            Ticker tk = Time.newTicker(Duration.ofSeconds(Long.MAX_VALUE));
            Time.after(Duration.ofMillis(10)).recv();
            assertNull(huge.c().tryRecv());
            assertNull(huge2.c().tryRecv());
            assertNull(tk.c().tryRecv());
            assertTrue(huge.stop());
            assertTrue(huge2.stop());
            tk.reset(Duration.ofMillis(1));
            assertNotNull(tk.c().recv());
            tk.stop();
            Select sel = new Select();
            sel.recv(Chan.make());
            assertEquals(Select.TIMEOUT, sel.select(Duration.ofSeconds(Long.MIN_VALUE)));
        });
    }

    /**
     * Tickers stopped or reset to an hour while ticking fast, from many parties: once
     * stop/reset returned, no tick arrives (Go 1.23).
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void tickerStopOrResetWhileTickingLeavesNoTick(TestMode mode) throws Exception {
        mode.run(() -> {
            int parties = 6;
            int rounds = 150;
            List<Ticker> all = java.util.Collections.synchronizedList(new ArrayList<>());
            WaitGroup wg = new WaitGroup();
            wg.add(parties);
            for (int p = 0; p < parties; p++) {
                mode.go(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int i = 0; i < rounds; i++) {
                        Ticker tk = Time.newTicker(Duration.ofNanos(rnd.nextLong(1_000, 30_000)));
                        if (rnd.nextBoolean()) {
                            tk.c().recv();
                        }
                        long end = System.nanoTime() + rnd.nextLong(30_000);
                        while (System.nanoTime() < end) {
                            Thread.onSpinWait();
                        }
                        if (rnd.nextBoolean()) {
                            tk.stop();
                        } else {
                            tk.reset(LONG);
                        }
                        all.add(tk);
                    }
                    wg.done();
                });
            }
            wg.await();
            TestMode.sleep(Duration.ofMillis(50));
            int late = 0;
            for (Ticker tk : all) {
                if (tk.c().tryRecv() != null) {
                    late++;
                }
                tk.stop();
            }
            assertEquals(0, late, "ticks received after stop/reset(1h) returned");
        });
    }

    /** A receiver parked in a select on a timer channel from a virtual thread is woken. */
    @Test
    void virtualThreadWaitsOnTimerAndTicker() throws Exception {
        AtomicInteger got = new AtomicInteger();
        Thread vt = Thread.ofVirtual().start(() -> {
            Timer t = Time.newTimer(Duration.ofMillis(3));
            Ticker tk = Time.newTicker(Duration.ofMillis(1));
            Select sel = new Select();
            var a = sel.recv(t.c());
            var b = sel.recv(tk.c());
            int ticks = 0;
            boolean fired = false;
            while (!fired || ticks < 3) {
                int k = sel.select();
                if (k == a.index()) {
                    fired = true;
                    a.chan(null);
                } else if (k == b.index()) {
                    ticks++;
                }
            }
            tk.stop();
            got.set(ticks);
        });
        vt.join(20_000);
        assertFalse(vt.isAlive());
        assertTrue(got.get() >= 3);
    }

    /**
     * Go's Timer.Reset is atomic (runtime/time.go: the timer's state changes under t.mu):
     * whatever the interleaving of Resets from several goroutines, the timer ends up armed
     * with the deadline of the Reset that ran last, and fires once. Here two parties reset
     * each shared timer to short random durations at the same time; afterwards every timer
     * must deliver a value.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void concurrentResetsLeaveTheTimerArmedByTheLastOne(TestMode mode) throws Exception {
        mode.run(() -> {
            int timers = 4;
            int perTimer = 4;
            int rounds = Integer.getInteger("hunt.rounds", 2000);
            List<Timer> all = new ArrayList<>();
            for (int i = 0; i < timers; i++) {
                all.add(Time.newTimer(LONG));
            }
            WaitGroup wg = new WaitGroup();
            wg.add(perTimer * timers);
            for (int i = 0; i < perTimer * timers; i++) {
                Timer t = all.get(i / perTimer);
                mode.go(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int j = 0; j < rounds; j++) {
                        t.reset(Duration.ofNanos(rnd.nextLong(1, 2_000_000)));
                        if (rnd.nextInt(8) == 0) {
                            Go.yield();
                        }
                    }
                    wg.done();
                });
            }
            wg.await();
            int silent = 0;
            for (Timer t : all) {
                Select sel = new Select();
                var r = sel.recv(t.c());
                if (sel.select(Duration.ofSeconds(3)) != r.index()) {
                    silent++;
                }
            }
            assertEquals(0, silent, "timers armed by a last reset of at most 2 ms never fired");
        });
    }

    /**
     * As above, checked after every round: two threads reset one timer at the same moment
     * to short random durations; once both returned, the timer must fire (it is armed by
     * whichever Reset ran last). A Reset that loses the race must not leave the runtime
     * timer at its own deadline while the timer waits for the other's.
     */
    @Test
    void twoSimultaneousResetsAlwaysLeaveTheTimerFiring() throws Exception {
        Timer t = Time.newTimer(LONG);
        int rounds = Integer.getInteger("hunt.rounds2", 3000);
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.CyclicBarrier end = new java.util.concurrent.CyclicBarrier(2);
        AtomicInteger silent = new AtomicInteger();
        Thread other = new Thread(() -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            try {
                for (int i = 0; i < rounds; i++) {
                    start.await();
                    t.reset(Duration.ofNanos(rnd.nextLong(1, 100_000)));
                    end.await();
                    end.await(); // the main thread checks
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "resetter");
        other.setDaemon(true);
        other.start();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        Select sel = new Select();
        var r = sel.recv(t.c());
        for (int i = 0; i < rounds && silent.get() == 0; i++) {
            start.await();
            t.reset(Duration.ofNanos(rnd.nextLong(1, 100_000)));
            end.await();
            if (sel.select(Duration.ofSeconds(2)) != r.index()) {
                silent.incrementAndGet();
            }
            end.await();
        }
        t.stop();
        other.interrupt();
        assertEquals(0, silent.get(), "after two concurrent resets of at most 100 us the timer never fired");
    }

    /**
     * A Ticker.Reset racing a Ticker.Stop from another thread: whichever comes last, once
     * both returned and the ticker is stopped, nothing may keep ticking (Go: Reset and Stop
     * change the runtime timer under the timer's lock, so Stop after Reset leaves it off).
     * Observable: a stopped, unreferenced ticker's channel is garbage: no runtime timer
     * still references it.
     */
    @Test
    void tickerResetRacingStopLeavesNoRuntimeTimerBehind() throws Exception {
        int rounds = Integer.getInteger("hunt.rounds3", 3000);
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.CyclicBarrier end = new java.util.concurrent.CyclicBarrier(2);
        Ticker[] slot = new Ticker[1];
        Thread stopper = new Thread(() -> {
            try {
                for (int i = 0; i < rounds; i++) {
                    start.await();
                    slot[0].stop();
                    end.await();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "stopper");
        stopper.setDaemon(true);
        stopper.start();
        List<java.lang.ref.WeakReference<Object>> chans = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            Ticker tk = Time.newTicker(LONG);
            tk.stop();
            slot[0] = tk;
            chans.add(new java.lang.ref.WeakReference<>(tk.c()));
            start.await();
            tk.reset(Duration.ofMillis(50));
            end.await();
            tk.stop(); // whatever the race did, the ticker is stopped now
        }
        slot[0] = null;
        stopper.join(10_000);
        int alive = chans.size();
        for (int i = 0; i < 50 && alive > 0; i++) {
            System.gc();
            Thread.sleep(20);
            alive = 0;
            for (var w : chans) {
                if (w.get() != null) {
                    alive++;
                }
            }
        }
        assertEquals(0, alive, "stopped tickers still referenced by armed runtime timers");
    }

    /**
     * The same race made certain: a Reset has released the timer's own lock but not yet
     * armed the runtime timer (a thread descheduled there; here held at the runtime's timer
     * heap lock, which this thread owns) when a Stop runs to completion (on this thread:
     * the heap lock is reentrant). Stop returns, then the Reset arms the runtime timer: the
     * stopped ticker keeps a periodic runtime timer firing forever (each firing dropped),
     * and can never be collected. In Go the two are serialized by the timer's lock.
     */
    @Test
    void tickerStopBetweenResetsUnlockAndArmingLeavesNoRuntimeTimer() throws Exception {
        Object heapLock = timersLock();
        Ticker tk = Time.newTicker(LONG);
        tk.stop();
        Thread resetter = new Thread(() -> tk.reset(Duration.ofMillis(1)), "resetter");
        resetter.setDaemon(true);
        boolean stopped = false;
        synchronized (heapLock) {
            resetter.start();
            assertTrue(waitFor(() -> resetter.getState() == Thread.State.BLOCKED, 5_000));
            // Stop now if the reset has released the timer's lock while not done arming;
            // if it still holds it (arming under it) the race cannot happen: stop after it.
            if (timerLockFree(tickerTimer(tk))) {
                tk.stop();
                stopped = true;
            }
        }
        resetter.join(10_000);
        if (!stopped) {
            tk.stop();
        }
        assertFalse(resetter.isAlive());
        tk.stop();
        boolean armed = runtimeTimerArmed(tk);
        Time.after(Duration.ofMillis(10)).recv();
        assertNull(tk.c().tryRecv());
        assertFalse(armed, "the stopped ticker's periodic runtime timer is still armed");
    }

    /**
     * Two Resets, the second one starting while the first has released the timer's lock but
     * not yet armed the runtime timer (held at the heap lock as above): the second, Reset(50
     * ms), returns last, so Go's timer fires 50 ms later (Reset is atomic under the timer's
     * lock, runtime/time.go). Here the first Reset then arms the runtime timer at its own
     * 1 ms deadline, that expiry is dropped as older than the 50 ms arming, and the timer
     * never fires.
     */
    @Test
    void resetOvertakingAnotherResetStillFires() throws Exception {
        Object heapLock = timersLock();
        Timer t = Time.newTimer(LONG);
        t.stop();
        Thread first = new Thread(() -> t.reset(Duration.ofMillis(1)), "first-reset");
        first.setDaemon(true);
        boolean second = false;
        synchronized (heapLock) {
            first.start();
            assertTrue(waitFor(() -> first.getState() == Thread.State.BLOCKED, 5_000));
            if (timerLockFree(t)) { // else the first reset arms under the timer's lock: no race
                assertTrue(t.reset(Duration.ofMillis(50)), "the first reset armed it");
                second = true;
            }
        }
        first.join(10_000);
        assertFalse(first.isAlive());
        if (!second) {
            assertTrue(t.reset(Duration.ofMillis(50)), "the first reset armed it");
        }
        Select sel = new Select();
        var r = sel.recv(t.c());
        assertEquals(r.index(), sel.select(Duration.ofSeconds(5)), "the timer never fired");
        assertNull(t.c().tryRecv());
    }

    private static Timer tickerTimer(Ticker tk) throws ReflectiveOperationException {
        var tf = Ticker.class.getDeclaredField("t");
        tf.setAccessible(true);
        return (Timer) tf.get(tk);
    }

    /** Whether the timer's own lock is free; leaves it free. */
    private static boolean timerLockFree(Timer t) throws ReflectiveOperationException {
        var f = Timer.class.getDeclaredField("mu");
        f.setAccessible(true);
        var mu = (io.panago.internal.RuntimeLock) f.get(t);
        if (!mu.tryLock()) {
            return false;
        }
        mu.unlock();
        return true;
    }

    private static boolean runtimeTimerArmed(Ticker tk) throws ReflectiveOperationException {
        var tf = Ticker.class.getDeclaredField("t");
        tf.setAccessible(true);
        var rtf = Timer.class.getDeclaredField("rt");
        rtf.setAccessible(true);
        Object rt = rtf.get(tf.get(tk));
        var idx = rt.getClass().getDeclaredField("index");
        idx.setAccessible(true);
        return (int) idx.get(rt) >= 0;
    }
}
