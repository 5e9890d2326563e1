package io.panago.runtime;

import io.panago.Chan;
import io.panago.Go;
import io.panago.PanicHandler;
import io.panago.Select;
import io.panago.sync.WaitGroup;
import io.panago.time.Ticker;
import io.panago.time.Time;
import io.panago.time.Timer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An adversarial hunt on the scheduler under combined load: GOMAXPROCS flipping while
 * goroutines ping-pong, sleep, use timers, block in {@code Go.blocking}, spin, select, lock
 * their carrier and run nested {@code Go.run}s, with goroutine dumps taken meanwhile. Each
 * test is seeded (the seed is in every failure message) and judged by events and counts: every
 * value arrives once, no sleep ends early, stopped timers never fire and the others fire once,
 * every goroutine ends, and the harness checks that none is left behind.
 */
class SchedHuntTest extends RuntimeHarness {
    private static final int[] FLIPS = {1, 2, 4, 1, 2, 1, 3};

    /** Flips GOMAXPROCS through {@link #FLIPS} (and at random) until {@code stop}. */
    private static Thread flipper(AtomicBoolean stop, AtomicLong flips, long seed, int maxNapNs) {
        return Thread.ofPlatform().daemon().name("flipper").start(() -> {
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = 0; !stop.get(); i++) {
                Go.gomaxprocs(r.nextInt(4) == 0 ? 1 + r.nextInt(4) : FLIPS[i % FLIPS.length]);
                flips.incrementAndGet();
                LockSupport.parkNanos(r.nextInt(maxNapNs));
            }
        });
    }

    /** Spins on the clock for {@code ns} without parking or yielding. */
    private static void spin(long ns) {
        long end = System.nanoTime() + ns;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    /** Go.sleep that records a wake-up before the duration has passed. */
    private static void sleepChecked(long ns, AtomicInteger early) {
        long t0 = System.nanoTime();
        Go.sleep(Duration.ofNanos(ns));
        if (System.nanoTime() - t0 < ns) {
            early.incrementAndGet();
        }
    }

    /**
     * Everything at once while GOMAXPROCS flips 1, 2, 4, 1...: ping-pong pairs, sleepers,
     * timers stopped and reset, tickers, selects over many channels, Go.blocking with parks,
     * nesting and throws inside, spinners, locked goroutines and dumps. Every exchange
     * completes with the right values, nothing wakes early, and a locked goroutine never
     * changes carrier.
     */
    @Test
    void everythingAtOnceUnderGomaxprocsFlips() throws Exception {
        long seed = System.nanoTime();
        String tag = "seed " + seed;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong flips = new AtomicLong();
        AtomicInteger early = new AtomicInteger();
        List<String> wrong = new CopyOnWriteArrayList<>();
        long msBefore = Sched.mcount.get();
        Thread fl = flipper(stop, flips, seed, 300_000);
        Thread dumper = Thread.ofPlatform().daemon().start(() -> {
            while (!stop.get()) {
                try {
                    Go.dump();
                } catch (Throwable t) {
                    wrong.add("dump threw " + t);
                }
                LockSupport.parkNanos(2_000_000);
            }
        });
        try {
            for (int round = 0; round < 4; round++) {
                long rs = seed + round;
                within(20_000, () -> {
                    WaitGroup wg = new WaitGroup();
                    pingPongs(wg, 6, 1_500, wrong);
                    sleepers(wg, rs, 30, 10, early);
                    timerUsers(wg, rs, 12, 15, early, wrong);
                    selectors(wg, rs, 4, 300, wrong);
                    blockers(wg, rs, 6, 30, early, wrong);
                    spinners(wg, 2, 5, 2_000_000);
                    lockers(wg, rs, 4, 20, wrong);
                    wg.await();
                    return null;
                });
            }
        } catch (Throwable t) {
            throw new AssertionError(tag, t);
        } finally {
            stop.set(true);
            fl.join();
            dumper.join();
        }
        assertTrue(wrong.isEmpty(), tag + ": " + wrong);
        assertEquals(0, early.get(), tag + ": sleeps or timers that ended early");
        long grown = Sched.mcount.get() - msBefore;
        assertTrue(grown < 64, tag + ": carriers grew by " + grown + " " + Sched.schedtrace());
        System.out.println("everythingAtOnce: flips=" + flips.get() + " " + Sched.schedtrace());
    }

    /**
     * AfterFuncs armed, stopped and reset by their owners on every P while GOMAXPROCS flips:
     * each arming runs its function exactly once unless a stop or reset reported that it
     * prevented it (Go's contract for Stop and Reset), none runs before its deadline, and the
     * timer heap drains back to where it was.
     */
    @Test
    void afterFuncsRunExactlyOnceUnlessStoppedUnderFlips() throws Exception {
        long seed = System.nanoTime();
        String tag = "seed " + seed;
        int before = Timers.count();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong flips = new AtomicLong();
        AtomicLong expected = new AtomicLong();
        AtomicLong ran = new AtomicLong();
        AtomicInteger early = new AtomicInteger();
        Thread fl = flipper(stop, flips, seed, 200_000);
        try {
            within(10_000, () -> {
                WaitGroup wg = new WaitGroup();
                for (int i = 0; i < 40; i++) {
                    SplittableRandom r = new SplittableRandom(seed * 53 + i);
                    wg.go(() -> {
                        for (int k = 0; k < 50; k++) {
                            long d = r.nextInt(2_000_000);
                            // The function may not run before its arming's deadline.
                            AtomicLong notBefore = new AtomicLong(System.nanoTime() + d);
                            Timer t = Time.afterFunc(Duration.ofNanos(d), () -> {
                                if (System.nanoTime() < notBefore.get()) {
                                    early.incrementAndGet();
                                }
                                ran.incrementAndGet();
                            });
                            long armings = 1;
                            long prevented = 0;
                            for (int op = r.nextInt(4); op > 0; op--) {
                                spin(r.nextInt(500_000));
                                if (r.nextBoolean()) {
                                    if (t.stop()) {
                                        prevented++;
                                    }
                                } else {
                                    long d2 = r.nextInt(1_000_000);
                                    // Raised before the reset: a run of the old arming must
                                    // not be taken for an early run of the new one.
                                    long nb = System.nanoTime() + d2;
                                    notBefore.accumulateAndGet(nb, Math::min);
                                    if (t.reset(Duration.ofNanos(d2))) {
                                        prevented++;
                                    }
                                    armings++;
                                }
                            }
                            expected.addAndGet(armings - prevented);
                        }
                    });
                }
                wg.await();
                return null;
            });
        } catch (Throwable t) {
            throw new AssertionError(tag, t);
        } finally {
            stop.set(true);
            fl.join();
        }
        long end = System.nanoTime() + 5_000_000_000L;
        while ((ran.get() < expected.get() || Timers.count() > before) && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        Thread.sleep(20); // a function that should not run at all has had time to
        assertEquals(expected.get(), ran.get(), tag + ": afterFunc runs (flips " + flips.get() + ")");
        assertEquals(0, early.get(), tag + ": afterFuncs that ran early");
        assertTrue(Timers.count() <= before, tag + ": timers left armed: " + Timers.count() + " > " + before);
    }

    /**
     * A storm of Go.blocking calls at GOMAXPROCS 1 (blocking the carrier, throwing, parking
     * inside, nested) must not stop a ping-pong pair beside it, and every call returns or throws
     * as it should.
     */
    @Test
    void blockingStormAtOneProcLetsOthersProgress() throws Exception {
        long seed = System.nanoTime();
        String tag = "seed " + seed;
        Go.gomaxprocs(1);
        AtomicInteger early = new AtomicInteger();
        List<String> wrong = new CopyOnWriteArrayList<>();
        AtomicInteger threw = new AtomicInteger();
        try {
            within(10_000, () -> {
                WaitGroup wg = new WaitGroup();
                pingPongs(wg, 1, 3_000, wrong);
                Chan<Integer> c = Chan.make();
                int n = 2_000;
                for (int i = 0; i < n; i++) {
                    int v = i;
                    SplittableRandom r = new SplittableRandom(seed * 59 + i);
                    // Both goroutines of a pair (v, v ^ 1) draw the same kind, so that the
                    // channel meetings of kind 3 always have a partner.
                    int kind = new SplittableRandom(seed * 61 + i / 2).nextInt(4);
                    wg.go(() -> {
                        try {
                            Integer got = Go.blocking(() -> switch (kind) {
                                case 0 -> throw new IllegalStateException("storm " + v);
                                case 1 -> {
                                    LockSupport.parkNanos(r.nextInt(50_000));
                                    yield v;
                                }
                                case 2 -> Go.blocking(() -> {
                                    sleepChecked(r.nextInt(200_000), early);
                                    return v;
                                });
                                default -> {
                                    // Pairs of goroutines meet on c inside Go.blocking.
                                    if ((v & 1) == 0) {
                                        c.send(v);
                                    } else {
                                        c.recv();
                                    }
                                    yield v;
                                }
                            });
                            if (kind == 0 || got != v) {
                                wrong.add("call " + v + " kind " + kind + " returned " + got);
                            }
                        } catch (IllegalStateException e) {
                            if (!e.getMessage().equals("storm " + v)) {
                                wrong.add("call " + v + " threw " + e);
                            }
                            threw.incrementAndGet();
                        } catch (Exception e) {
                            wrong.add("call " + v + " threw " + e);
                        }
                    });
                }
                wg.await();
                return null;
            });
        } catch (Throwable t) {
            throw new AssertionError(tag + " " + wrong, t);
        }
        assertTrue(wrong.isEmpty(), tag + ": " + wrong);
        assertEquals(0, early.get(), tag + ": sleeps that ended early");
        assertTrue(threw.get() > 0, tag);
    }

    /**
     * Thousands of sleepers armed with four Ps, then GOMAXPROCS dropped to one: in Go their
     * timers move to a surviving P (moveTimers); here every sleeper must still wake, none early.
     */
    @Test
    void sleepersArmedOnManyPsWakeAfterShrinkToOne() throws Exception {
        Go.gomaxprocs(4);
        AtomicInteger early = new AtomicInteger();
        within(10_000, () -> {
            WaitGroup wg = new WaitGroup();
            CountDownLatch armed = new CountDownLatch(4_000);
            for (int i = 0; i < 4_000; i++) {
                long d = 20_000_000L + (i % 100) * 100_000L;
                wg.go(() -> {
                    armed.countDown();
                    sleepChecked(d, early);
                });
            }
            armed.await();
            Go.gomaxprocs(1);
            wg.await();
            Go.gomaxprocs(4);
            return null;
        });
        assertEquals(0, early.get());
    }

    /**
     * Goroutines spawned by platform threads that exit at once, by afterFunc functions, and by
     * those goroutines in turn, while GOMAXPROCS flips: all run, none is left.
     */
    @Test
    void spawnsFromExitingThreadsAndTimerFunctionsAllRun() throws Exception {
        long seed = System.nanoTime();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong flips = new AtomicLong();
        AtomicInteger ran = new AtomicInteger();
        int threads = 40, each = 50, funcs = 500;
        int want = threads * each * 2 + funcs * 2;
        CountDownLatch all = new CountDownLatch(want);
        Runnable leaf = () -> {
            ran.incrementAndGet();
            all.countDown();
        };
        Thread fl = flipper(stop, flips, seed, 100_000);
        try {
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                ts.add(Thread.ofPlatform().daemon().start(() -> {
                    for (int i = 0; i < each; i++) {
                        Go.go(() -> {
                            leaf.run();
                            Go.go(leaf);
                        });
                    }
                }));
            }
            for (int i = 0; i < funcs; i++) {
                Time.afterFunc(Duration.ofNanos(i * 2_000L), () -> {
                    leaf.run();
                    Go.go(leaf);
                });
            }
            for (Thread t : ts) {
                t.join();
            }
            assertTrue(await(all, 10_000), "seed " + seed + ": ran " + ran.get() + " of " + want
                    + "\n" + Sched.schedtrace() + "\n" + Go.dump());
        } finally {
            stop.set(true);
            fl.join();
        }
        assertEquals(want, ran.get());
    }

    /**
     * Panic handlers swapped from many threads at once: every call returns the handler it
     * replaced, so each installed handler is returned by at most one later call (a check-then-
     * set let two racing calls both return the same one, and a save-and-restore by either then
     * put back a handler the other had already replaced).
     */
    @Test
    void concurrentPanicHandlerSwapsReturnEachReplacedHandlerOnce() throws Exception {
        PanicHandler mine = Go.setPanicHandler(null);
        Go.setPanicHandler(mine);
        int threads = 8, swaps = 20_000;
        java.util.Set<PanicHandler> returned = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                ts.add(Thread.ofPlatform().daemon().start(() -> {
                    await(go, 10_000);
                    for (int i = 0; i < swaps; i++) {
                        int n = i;
                        PanicHandler h = (id, x) -> returned.remove(n); // capturing: a new object
                        PanicHandler prev = Go.setPanicHandler(h);
                        if (prev != null && !returned.add(prev)) {
                            duplicates.incrementAndGet();
                        }
                    }
                }));
            }
            go.countDown();
            for (Thread t : ts) {
                t.join();
            }
        } finally {
            Go.setPanicHandler(mine);
        }
        assertEquals(0, duplicates.get(), "handlers returned as replaced by two calls");
    }

    private static void pingPongs(WaitGroup wg, int pairs, int rounds, List<String> wrong) {
        for (int p = 0; p < pairs; p++) {
            Chan<Integer> ping = Chan.make();
            Chan<Integer> pong = Chan.make();
            wg.go(() -> {
                for (int i = 0; i < rounds; i++) {
                    ping.send(i);
                    int v = pong.recv();
                    if (v != -i) {
                        wrong.add("pong " + v + " for " + i);
                    }
                }
            });
            wg.go(() -> {
                for (int i = 0; i < rounds; i++) {
                    int v = ping.recv();
                    if (v != i) {
                        wrong.add("ping " + v + " for " + i);
                    }
                    pong.send(-v);
                }
            });
        }
    }

    private static void sleepers(WaitGroup wg, long seed, int n, int sleeps, AtomicInteger early) {
        for (int i = 0; i < n; i++) {
            SplittableRandom r = new SplittableRandom(seed * 31 + i);
            wg.go(() -> {
                for (int k = 0; k < sleeps; k++) {
                    sleepChecked(r.nextInt(1_500_000), early);
                }
            });
        }
    }

    /**
     * Timers stopped before, at or after their expiry and reset: a stop that reports success
     * means nothing is received; a reset timer then delivers exactly once, not early. Tickers
     * deliver ticks, and nothing after stop.
     */
    private static void timerUsers(WaitGroup wg, long seed, int n, int rounds, AtomicInteger early,
                                   List<String> wrong) {
        for (int i = 0; i < n; i++) {
            SplittableRandom r = new SplittableRandom(seed * 37 + i);
            wg.go(() -> {
                for (int k = 0; k < rounds; k++) {
                    long d = r.nextInt(1_000_000);
                    long t0 = System.nanoTime();
                    Timer t = Time.newTimer(Duration.ofNanos(d));
                    if (r.nextBoolean()) {
                        spin(r.nextInt(1_000_000));
                        boolean stopped = t.stop();
                        if (stopped && t.c().tryRecv() != null) {
                            wrong.add("stopped timer delivered");
                        }
                        if (!stopped && t.c().tryRecv() != null) {
                            wrong.add("value left in the channel after a failed stop");
                        }
                        long d2 = r.nextInt(500_000);
                        t0 = System.nanoTime();
                        t.reset(Duration.ofNanos(d2));
                        d = d2;
                    }
                    t.c().recv();
                    if (System.nanoTime() - t0 < d) {
                        early.incrementAndGet();
                    }
                    if (t.c().tryRecv() != null) {
                        wrong.add("one-shot timer delivered twice");
                    }
                }
                Ticker tk = Time.newTicker(Duration.ofNanos(200_000 + r.nextInt(300_000)));
                for (int k = 0; k < 5; k++) {
                    tk.c().recv();
                }
                tk.stop();
                Go.sleep(Duration.ofMillis(2));
                if (tk.c().tryRecv() != null) {
                    wrong.add("tick after stop");
                }
            });
        }
    }

    /** Selects over eight channels fed by as many senders; each value is received once. */
    private static void selectors(WaitGroup wg, long seed, int n, int values, List<String> wrong) {
        for (int i = 0; i < n; i++) {
            SplittableRandom r = new SplittableRandom(seed * 41 + i);
            List<Chan<Integer>> chans = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                chans.add(Chan.make(r.nextInt(2)));
            }
            for (int c = 0; c < 8; c++) {
                Chan<Integer> ch = chans.get(c);
                int base = c * values;
                wg.go(() -> {
                    for (int v = 0; v < values; v++) {
                        ch.send(base + v);
                    }
                });
            }
            wg.go(() -> {
                Select sel = new Select();
                List<Select.RecvCase<Integer>> cases = new ArrayList<>();
                for (Chan<Integer> ch : chans) {
                    cases.add(sel.recv(ch));
                }
                boolean[] got = new boolean[8 * values];
                int left = 8 * values;
                while (left > 0) {
                    int k = r.nextInt(4) == 0 ? sel.select(Duration.ofNanos(r.nextInt(200_000))) : sel.select();
                    if (k == Select.TIMEOUT) {
                        continue;
                    }
                    int v = cases.get(k).value();
                    if (got[v]) {
                        wrong.add("select received " + v + " twice");
                    }
                    got[v] = true;
                    left--;
                }
            });
        }
    }

    /**
     * Go.blocking calls that block the carrier, park inside (channel, sleep, yield), nest,
     * and throw: each returns or throws what its call did.
     */
    private static void blockers(WaitGroup wg, long seed, int n, int calls, AtomicInteger early,
                                 List<String> wrong) {
        Chan<Integer> feed = Chan.make();
        Chan<Void> done = Chan.make();
        WaitGroup bw = new WaitGroup();
        wg.go(() -> {
            // Feeds the blockers' channel receives until they are all done.
            Select sel = new Select();
            Select.SendCase<Integer> out = sel.send(feed);
            sel.recv(done);
            for (int v = 0; ; v++) {
                out.value(v);
                if (sel.select() != out.index()) {
                    return;
                }
            }
        });
        wg.go(() -> {
            bw.await();
            done.close();
        });
        bw.add(n);
        for (int i = 0; i < n; i++) {
            SplittableRandom r = new SplittableRandom(seed * 43 + i);
            wg.go(() -> {
                try {
                    blockingCalls(r, calls, feed, early, wrong);
                } finally {
                    bw.done();
                }
            });
        }
    }

    private static void blockingCalls(SplittableRandom r, int calls, Chan<Integer> feed, AtomicInteger early,
                                      List<String> wrong) {
                for (int k = 0; k < calls; k++) {
                    int kind = r.nextInt(5);
                    long ns = r.nextInt(300_000);
                    try {
                        Object res = Go.blocking(() -> switch (kind) {
                            case 0 -> {
                                LockSupport.parkNanos(ns);
                                yield "parked";
                            }
                            case 1 -> {
                                sleepChecked(ns, early);
                                yield "slept";
                            }
                            case 2 -> Go.blocking(() -> {
                                Go.yield();
                                LockSupport.parkNanos(ns);
                                return "nested";
                            });
                            case 3 -> throw new IllegalArgumentException("thrown " + ns);
                            default -> feed.recv() >= 0 ? "fed" : "??";
                        });
                        String want = switch (kind) {
                            case 0 -> "parked";
                            case 1 -> "slept";
                            case 2 -> "nested";
                            default -> "fed";
                        };
                        if (kind == 3 || !want.equals(res)) {
                            wrong.add("blocking kind " + kind + " returned " + res);
                        }
                    } catch (IllegalArgumentException e) {
                        if (kind != 3 || !e.getMessage().equals("thrown " + ns)) {
                            wrong.add("blocking kind " + kind + " threw " + e);
                        }
                    } catch (Exception e) {
                        wrong.add("blocking kind " + kind + " threw " + e);
                    }
                }
    }

    /** Goroutines that run without yielding for {@code ns}, {@code times} times. */
    private static void spinners(WaitGroup wg, int n, int times, long ns) {
        for (int i = 0; i < n; i++) {
            wg.go(() -> {
                for (int k = 0; k < times; k++) {
                    spin(ns);
                    Go.yield();
                }
            });
        }
    }

    /**
     * Goroutines locked to their carrier (nested lock, one unlock: still locked) that park on
     * channels, sleep and yield: they must stay on the same thread until fully unlocked.
     */
    private static void lockers(WaitGroup wg, long seed, int n, int ops, List<String> wrong) {
        for (int i = 0; i < n; i++) {
            SplittableRandom r = new SplittableRandom(seed * 47 + i);
            Chan<Integer> c = Chan.make(r.nextInt(2));
            wg.go(() -> {
                for (int k = 0; k < ops; k++) {
                    c.send(k);
                }
            });
            wg.go(() -> {
                Go.lockOSThread();
                Go.lockOSThread();
                Go.unlockOSThread();
                Thread home = Thread.currentThread();
                try {
                    for (int k = 0; k < ops; k++) {
                        switch (r.nextInt(3)) {
                            case 0 -> Go.sleep(Duration.ofNanos(r.nextInt(200_000)));
                            case 1 -> Go.yield();
                            default -> { }
                        }
                        if (c.recv() != k) {
                            wrong.add("locked receiver got a wrong value");
                        }
                        if (Thread.currentThread() != home) {
                            wrong.add("locked goroutine moved from " + home + " to " + Thread.currentThread());
                        }
                    }
                } finally {
                    Go.unlockOSThread();
                }
            });
        }
    }
}
