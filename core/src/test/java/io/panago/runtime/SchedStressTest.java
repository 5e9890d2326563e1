package io.panago.runtime;

import io.panago.Go;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** The scheduler under load: spawns, park/ready, stealing, timers, GOMAXPROCS changes, leaks. */
class SchedStressTest {
    private static int oldProcs;

    @BeforeAll
    static void save() {
        oldProcs = Go.gomaxprocs();
    }

    @AfterAll
    static void restore() {
        Go.gomaxprocs(oldProcs);
    }

    /** Runs {@code body} as a goroutine; fails (instead of hanging) if it does not end in time. */
    static void within(int seconds, Runnable body) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        Go.go(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure[0] = t;
            } finally {
                done.countDown();
            }
        });
        assertTrue(done.await(seconds, TimeUnit.SECONDS), "did not finish in " + seconds + " s (lost wake-up?)\n"
                + Sched.schedtrace() + "\n" + Go.dump());
        if (failure[0] instanceof Error e) {
            throw e;
        }
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
    }

    static final ParkCommit STAY = (g, a) -> true;

    /**
     * Waits until the goroutine count is back to {@code base}: a goroutine that has signalled
     * it is done still needs a moment to return. At most, not exactly: {@code base} may have
     * counted a goroutine of an earlier test that was still returning.
     */
    static void awaitGoroutines(int base) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (Go.numGoroutine() > base && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        assertTrue(Go.numGoroutine() <= base, "goroutines leaked\n" + Go.dump());
    }

    /** Parks until {@code left} has been counted down to zero by the goroutines it waits for. */
    static void join(AtomicLong left) {
        // The last goroutine readies us; if it comes before the park commits, the park returns
        // at once (the WAKE bit).
        Sched.gopark(STAY, left, WaitReason.SYNC_WAITGROUP_WAIT);
    }

    static void spawnAndJoin(int n) throws InterruptedException {
        AtomicLong ran = new AtomicLong();
        within(120, () -> {
            G self = Sched.getg();
            AtomicLong left = new AtomicLong(n);
            for (int i = 0; i < n; i++) {
                Go.go(() -> {
                    ran.incrementAndGet();
                    if (left.decrementAndGet() == 0) {
                        Sched.goready(self);
                    }
                });
            }
            join(left);
        });
        assertEquals(n, ran.get());
    }

    @Test
    void aMillionGoroutinesSpawnAndJoinAtOneProc() throws Exception {
        int base = Go.numGoroutine();
        Go.gomaxprocs(1);
        spawnAndJoin(1_000_000);
        awaitGoroutines(base);
    }

    @Test
    void aMillionGoroutinesSpawnAndJoinAtTwoProcs() throws Exception {
        int base = Go.numGoroutine();
        Go.gomaxprocs(2);
        spawnAndJoin(1_000_000);
        awaitGoroutines(base);
    }

    /** Round trips between pairs: each side readies the other, then parks; none may be lost. */
    static void pingPong(int pairs, int rounds) throws InterruptedException {
        AtomicLong trips = new AtomicLong();
        within(120, () -> {
            G self = Sched.getg();
            AtomicLong left = new AtomicLong(pairs);
            for (int p = 0; p < pairs; p++) {
                Go.go(() -> {
                    // pong starts its ping, so each knows the other without any blocking.
                    G pong = Sched.getg();
                    G[] ping = new G[1];
                    Go.go(() -> {
                        ping[0] = Sched.getg();
                        for (int i = 0; i < rounds; i++) {
                            Sched.goready(pong);
                            Sched.gopark(STAY, null, WaitReason.CHAN_RECEIVE);
                            trips.incrementAndGet();
                        }
                        if (left.decrementAndGet() == 0) {
                            Sched.goready(self);
                        }
                    });
                    for (int i = 0; i < rounds; i++) {
                        Sched.gopark(STAY, null, WaitReason.CHAN_RECEIVE);
                        Sched.goready(ping[0]); // set before ping's first goready of us
                    }
                });
            }
            join(left);
        });
        assertEquals((long) pairs * rounds, trips.get());
    }

    @Test
    void aMillionParkReadyRoundTripsLoseNoWakeup() throws Exception {
        int base = Go.numGoroutine();
        Go.gomaxprocs(2);
        pingPong(1, 1_000_000);
        pingPong(8, 125_000); // repeated, with pairs competing for the two Ps
        Go.gomaxprocs(1);
        pingPong(4, 50_000);
        awaitGoroutines(base);
    }

    @Test
    void spawnsFromManyPlainThreadsAllRun() throws Exception {
        // Every spawn goes through the global queue and wakep: a lost wake-up strands work.
        Go.gomaxprocs(2);
        int threads = 8, each = 20_000;
        AtomicLong ran = new AtomicLong();
        CountDownLatch all = new CountDownLatch(threads * each);
        List<Thread> spawners = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    Go.go(() -> {
                        ran.incrementAndGet();
                        all.countDown();
                    });
                    if (i % 1000 == 0) {
                        Thread.yield();
                    }
                }
            });
            spawners.add(th);
            th.start();
        }
        for (Thread th : spawners) {
            th.join();
        }
        assertTrue(all.await(60, TimeUnit.SECONDS), "stranded: " + ran + "\n" + Sched.schedtrace());
    }

    @Test
    void goRunNestsInsideAGoroutine() throws Exception {
        int r = Go.run(() -> {
            int inner = Go.run(() -> {
                Go.sleep(Duration.ofMillis(1));
                return 20;
            });
            return inner + 1;
        });
        assertEquals(21, r);
    }

    @Test
    void goroutinesSpawnedByOneGoroutineRunOnBothCarriers() throws Exception {
        Go.gomaxprocs(2);
        Set<Thread> carriers = ConcurrentHashMap.newKeySet();
        long steals0 = Sched.steals.get();
        within(60, () -> {
            G self = Sched.getg();
            int n = 200; // fewer than a local run queue holds: nothing overflows to the global queue
            AtomicLong left = new AtomicLong(n);
            for (int i = 0; i < n; i++) {
                Go.go(() -> {
                    carriers.add(Sched.currentThread());
                    // Keep the queue busy until the idle P has stolen (bounded), so a slow
                    // wake-up of the second carrier on a loaded machine cannot race the test.
                    long end = System.nanoTime() + 20_000_000_000L;
                    while (System.nanoTime() < end && (Sched.steals.get() == steals0 || carriers.size() < 2)) {
                        Thread.onSpinWait();
                    }
                    if (left.decrementAndGet() == 0) {
                        Sched.goready(self);
                    }
                });
            }
            join(left);
        });
        assertTrue(Sched.steals.get() > steals0, "no P stole work");
        assertTrue(carriers.size() >= 2, "all ran on " + carriers);
    }

    @Test
    void timersFireInDeadlineOrderNeverEarly() throws Exception {
        Go.gomaxprocs(1);
        int n = 2_000;
        List<long[]> fired = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(n);
        // All are armed long before the first is due, so firing order is deadline order.
        long base = Sched.nanotime() + 1_000_000_000L;
        for (int i = 0; i < n; i++) {
            long when = base + ThreadLocalRandom.current().nextLong(200_000_000L);
            new RTimer((arg, now) -> {
                fired.add(new long[] {(Long) arg, now, Sched.nanotime()});
                all.countDown();
            }, when).reset(when, 0);
        }
        assertTrue(Sched.nanotime() < base, "arming 2,000 timers took over a second");
        assertTrue(all.await(30, TimeUnit.SECONDS));
        long prev = Long.MIN_VALUE;
        for (long[] f : fired) {
            assertTrue(f[2] >= f[0], "fired " + (f[0] - f[2]) + " ns early");
            assertTrue(f[0] >= prev, "out of deadline order");
            prev = f[0];
        }
    }

    @Test
    void stoppedAndResetTimersFireOnlyAsArmed() throws Exception {
        AtomicInteger fires = new AtomicInteger();
        CountDownLatch fired = new CountDownLatch(1);
        RTimer stopped = new RTimer((a, now) -> fires.incrementAndGet(), null);
        assertFalse(stopped.reset(Sched.nanotime() + 30_000_000L, 0));
        assertTrue(stopped.stop());
        assertFalse(stopped.stop());
        RTimer moved = new RTimer((a, now) -> {
            fires.addAndGet(100);
            fired.countDown();
        }, null);
        long t0 = Sched.nanotime();
        moved.reset(t0 + 20_000_000_000L, 0);
        assertTrue(moved.reset(t0 + 60_000_000L, 0), "reset of an armed timer reports it");
        assertTrue(fired.await(10, TimeUnit.SECONDS), "it kept the old, later deadline");
        assertTrue(Sched.nanotime() - t0 >= 60_000_000L, "fired before its deadline");
        Go.sleep(Duration.ofMillis(40)); // past the stopped timer's deadline
        assertEquals(100, fires.get());
        assertFalse(moved.stop(), "a fired one-shot timer is no longer armed");
    }

    @Test
    void periodicTimerKeepsFiring() throws Exception {
        CountDownLatch five = new CountDownLatch(5);
        RTimer t = new RTimer((a, now) -> five.countDown(), null);
        t.reset(Sched.nanotime() + 1_000_000L, 2_000_000L);
        assertTrue(five.await(10, TimeUnit.SECONDS));
        assertTrue(t.stop(), "a periodic timer stays armed");
    }

    @Test
    void gomaxprocsChangesUnderLoad() throws Exception {
        int base = Go.numGoroutine();
        Go.gomaxprocs(2);
        AtomicLong work = new AtomicLong();
        AtomicInteger running = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(100);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        for (int i = 0; i < 100; i++) {
            int k = i;
            Go.go(() -> {
                running.incrementAndGet();
                while (!stop.get()) {
                    if (k % 3 == 0) {
                        Go.sleep(Duration.ofNanos(100_000));
                    } else {
                        Go.yield();
                    }
                    work.incrementAndGet();
                }
                done.countDown();
            });
        }
        int[] sizes = {1, 4, 2, 3, 1, 2, 4, 1, 3, 2};
        for (int round = 0; round < 3; round++) {
            for (int n : sizes) {
                long w0 = work.get();
                int old = Go.gomaxprocs(n);
                assertTrue(old >= 1 && old <= 4);
                assertEquals(n, Go.gomaxprocs());
                while (work.get() < w0 + 1_000) { // progress at every size
                    Thread.onSpinWait();
                }
            }
        }
        stop.set(true);
        assertTrue(done.await(30, TimeUnit.SECONDS), Sched.schedtrace());
        assertEquals(100, running.get());
        awaitGoroutines(base);
        assertEquals(2, Sched.allp.length);
        // Every P is accounted for once the load is gone.
        long end = System.nanoTime() + 5_000_000_000L;
        while (Sched.npidle != Sched.gomaxprocs && System.nanoTime() < end) {
            Go.sleep(Duration.ofMillis(1));
        }
        assertEquals(Sched.gomaxprocs, Sched.npidle, Sched.schedtrace());
    }

    @Test
    void shrinkingGomaxprocsDoesNotStrandTheQueueOfAStuckP() throws Exception {
        // B runs on P1 and readies C onto P1, P0 is kept busy by a spinner, then GOMAXPROCS
        // drops to 1 and B blocks its carrier: C sits on a P that is no longer in allp, which
        // sysmon must still retake.
        Go.gomaxprocs(2);
        AtomicLong cRan = new AtomicLong();
        AtomicLong bWoke = new AtomicLong();
        within(60, () -> {
            G self = Sched.getg();
            AtomicLong left = new AtomicLong(3);
            java.util.concurrent.atomic.AtomicBoolean spin = new java.util.concurrent.atomic.AtomicBoolean(true);
            Go.go(() -> { // the spinner
                while (spin.get()) {
                    Thread.onSpinWait();
                }
                if (left.decrementAndGet() == 0) {
                    Sched.goready(self);
                }
            });
            Go.go(new Runnable() {
                @Override
                public void run() {
                    M m = Sched.currentM();
                    if (m.p == null || m.p.id != 1) {
                        Go.go(this); // try again until this runs on P1
                        return;
                    }
                    Go.go(() -> {
                        cRan.set(Sched.nanotime());
                        spin.set(false);
                        if (left.decrementAndGet() == 0) {
                            Sched.goready(self);
                        }
                    });
                    Go.gomaxprocs(1);
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    bWoke.set(Sched.nanotime());
                    if (left.decrementAndGet() == 0) {
                        Sched.goready(self);
                    }
                }
            });
            join(left);
        });
        assertTrue(cRan.get() < bWoke.get(), "the goroutine queued on the retiring P waited for its blocked owner");
    }

    @Test
    void noCarriersOrGoroutinesLeakAcrossRepeatedStress() throws Exception {
        Go.gomaxprocs(2);
        int base = Go.numGoroutine();
        pingPong(4, 20_000);
        spawnAndJoin(100_000);
        for (int i = 0; i < 3; i++) {
            pingPong(4, 20_000);
            spawnAndJoin(100_000);
        }
        awaitGoroutines(base);
        // Once the work is done every carrier goes back to the idle list (one may instead sit
        // in netpoll for a timer of another test): none is lost or stuck.
        long end = System.nanoTime() + 10_000_000_000L;
        while (Sched.idleMs() < Sched.mcount.get() - 1 && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        assertTrue(Sched.idleMs() >= Sched.mcount.get() - 1, Sched.schedtrace());
        long alive = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("panago-M")).count();
        assertEquals(Sched.mcount.get(), alive, "carrier threads and the M count disagree");
    }
}
