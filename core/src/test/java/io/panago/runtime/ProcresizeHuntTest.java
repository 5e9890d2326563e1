package io.panago.runtime;

import io.panago.Chan;
import io.panago.Go;
import io.panago.PanicHandler;
import io.panago.sync.WaitGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GOMAXPROCS changing at random, every few microseconds, while goroutines run: channels,
 * spawn trees, timers, the poller, Go.blocking, plain blocking, spinners, lockOSThread.
 * Afterwards every goroutine has finished, every value arrived once, no timer fired early,
 * and the scheduler settles. Written as a hunt for bugs; it found a P on its way to an M
 * (taken off the idle list, still IDLE) that a shrink and regrow left alive outside allp.
 */
class ProcresizeHuntTest extends RuntimeHarness {
    /**
     * If the current M owns its P (state USER in its epoch, before and after reading allp) and
     * the P's slot in allp is within range but holds another P, the P is a zombie: invisible to
     * sysmon and to thieves.
     */
    static String zombie() {
        M m = Sched.currentM();
        if (m == null) {
            return null;
        }
        P p = m.p;
        if (p == null) {
            return null;
        }
        long own = P.pack(m.pEpoch, P.USER);
        if (p.state != own) {
            return null;
        }
        P[] a = Sched.allp;
        P[] r = Sched.retiring;
        if (p.state != own) {
            return null;
        }
        if (p.id < a.length && a[p.id] != p) {
            boolean inRetiring = false;
            for (P x : r) {
                inRetiring |= x == p;
            }
            return "P" + p.id + "@" + System.identityHashCode(p) + " allp.length=" + a.length
                    + " inRetiring=" + inRetiring;
        }
        return null;
    }

    static Thread resizer(AtomicBoolean stop, AtomicLong resizes, int lo, int hi, int maxSleepNs) {
        return Thread.ofPlatform().daemon().name("resizer").start(() -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            while (!stop.get()) {
                Go.gomaxprocs(lo + r.nextInt(hi - lo + 1));
                resizes.incrementAndGet();
                if (maxSleepNs > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(r.nextInt(maxSleepNs));
                }
            }
        });
    }

    /** Shrink-grow cycles (1 <-> 4) while ping-pong pairs run: no goroutine may run on a P outside allp. */
    @Test
    void noZombiePUnderShrinkGrowCycles() throws Exception {
        Go.gomaxprocs(4);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong resizes = new AtomicLong();
        List<String> zombies = new CopyOnWriteArrayList<>();
        Thread rs = Thread.ofPlatform().daemon().start(() -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            while (!stop.get()) {
                Go.gomaxprocs(1);
                if (r.nextBoolean()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(r.nextInt(50_000));
                }
                Go.gomaxprocs(4);
                resizes.incrementAndGet();
                java.util.concurrent.locks.LockSupport.parkNanos(r.nextInt(50_000));
            }
        });
        try {
            within(12_000, () -> {
                WaitGroup wg = new WaitGroup();
                long end = System.nanoTime() + 4_000_000_000L;
                for (int i = 0; i < 8; i++) {
                    Chan<Integer> a = Chan.make();
                    Chan<Integer> b = Chan.make();
                    wg.go(() -> {
                        while (System.nanoTime() < end) {
                            a.send(1);
                            b.recv();
                            String z = zombie();
                            if (z != null && zombies.size() < 20) {
                                zombies.add(z);
                            }
                        }
                        a.send(-1);
                    });
                    wg.go(() -> {
                        for (;;) {
                            int v = a.recv();
                            String z = zombie();
                            if (z != null && zombies.size() < 20) {
                                zombies.add(z);
                            }
                            if (v < 0) {
                                return;
                            }
                            b.send(v);
                        }
                    });
                }
                wg.await();
                return null;
            });
        } finally {
            stop.set(true);
            rs.join();
        }
        System.out.println("noZombie: resizes=" + resizes.get() + " zombies=" + zombies.size());
        assertEquals(List.of(), zombies, "goroutines ran on Ps outside allp; " + Sched.schedtrace());
    }

    /**
     * Consequence of a zombie: a goroutine that starts a child (runnext of its P) and then blocks
     * its carrier in plain JDK code waiting for it relies on sysmon or a thief to run the child.
     */
    @Test
    void childOfPlainBlockerRunsUnderShrinkGrowCycles() throws Exception {
        Go.gomaxprocs(4);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong resizes = new AtomicLong();
        AtomicInteger late = new AtomicInteger();
        AtomicInteger zombieLate = new AtomicInteger();
        String[] dump = {null};
        Thread rs = Thread.ofPlatform().daemon().start(() -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            while (!stop.get()) {
                Go.gomaxprocs(1);
                Go.gomaxprocs(4);
                resizes.incrementAndGet();
                java.util.concurrent.locks.LockSupport.parkNanos(r.nextInt(30_000));
            }
        });
        try {
            within(14_000, () -> {
                WaitGroup wg = new WaitGroup();
                long end = System.nanoTime() + 5_000_000_000L;
                for (int i = 0; i < 6; i++) {
                    wg.go(() -> {
                        while (System.nanoTime() < end && late.get() == 0) {
                            Go.sleep(Duration.ofNanos(ThreadLocalRandom.current().nextInt(20_000)));
                            String z = zombie();
                            CountDownLatch child = new CountDownLatch(1);
                            Go.go(child::countDown);
                            if (!await(child, 1500)) {
                                synchronized (dump) {
                                    if (dump[0] == null) {
                                        dump[0] = "zombie at start: " + z + "\n" + Sched.schedtrace() + "\n" + Go.dump();
                                    }
                                }
                                late.incrementAndGet();
                                if (z != null) {
                                    zombieLate.incrementAndGet();
                                }
                                // stop waiting: the child runs once this goroutine yields
                            }
                        }
                    });
                }
                wg.await();
                return null;
            });
        } finally {
            stop.set(true);
            rs.join();
        }
        System.out.println("childOfPlainBlocker: resizes=" + resizes.get() + " late=" + late.get());
        assertEquals(0, late.get(), "children not run within 1.5 s while their parent blocked (zombie: "
                + zombieLate.get() + "):\n" + dump[0]);
    }

    private static P pidlegetReflect() throws Exception {
        java.lang.reflect.Method m = Sched.class.getDeclaredMethod("pidleget");
        m.setAccessible(true);
        synchronized (Sched.lock) {
            return (P) m.invoke(null);
        }
    }

    private static void pidleputReflect(P pp) throws Exception {
        java.lang.reflect.Method m = Sched.class.getDeclaredMethod("pidleput", P.class);
        m.setAccessible(true);
        synchronized (Sched.lock) {
            m.invoke(null, pp);
        }
    }

    /**
     * Deterministic: the window of startm (and wakep, acquireIdleP, checkRunqsNoP, the netpoll
     * path of findRunnable) between pidleget under the lock and acquirep by the M. A P taken off
     * the idle list there is still IDLE; a shrink (neither busy nor on the idle list: not
     * retired, not destroyed) and a regrow (fresh P in its slot) leave it outside allp, and the
     * M then ran goroutines on it, invisible to sysmon and thieves. The other Ps are held off
     * the idle list here so that the goroutine surely runs on that M's P, or, if that one is
     * dropped at its first scheduling point, waits for a P of allp.
     */
    @Test
    void pTakenOffIdleListSurvivesShrinkGrowOutsideAllp() throws Exception {
        Go.gomaxprocs(4);
        Thread.sleep(50); // let everything idle
        P pp = pidlegetReflect(); // first half of startm(null, false)
        assertNotNull(pp, Sched.schedtrace());
        Go.gomaxprocs(1);
        Go.gomaxprocs(4);
        P[] a = Sched.allp;
        String state = "after 4->1->4: in-flight P" + pp.id + " code=" + pp.code() + " in allp: "
                + (pp.id < a.length && a[pp.id] == pp) + " retiring=" + Sched.retiring.length + "; "
                + Sched.schedtrace();
        System.out.println(state);
        java.util.ArrayList<P> held = new java.util.ArrayList<>();
        for (P q; (q = pidlegetReflect()) != null; ) {
            held.add(q);
        }
        CountDownLatch childRan = new CountDownLatch(1);
        CountDownLatch parentDone = new CountDownLatch(1);
        String[] z = {null};
        boolean[] ok = {false};
        Go.go(() -> {
            z[0] = zombie();
            Go.go(childRan::countDown);
            ok[0] = await(childRan, 1000); // plain block: sysmon should hand the P off in ~10 ms
            parentDone.countDown();
        });
        Sched.startm(pp, false); // second half of startm
        // Its M must either find its P back in allp (the regrow took it back) or drop it at
        // its first scheduling point, never run the goroutine on a P outside allp.
        long end = System.nanoTime() + 5_000_000_000L;
        while (pp.code() != P.DEAD && parentDone.getCount() > 0 && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        String trace = Sched.schedtrace();
        for (P q : held) {
            pidleputReflect(q);
        }
        Sched.wakep();
        assertTrue(await(parentDone, 5000), Sched.schedtrace());
        assertTrue(await(childRan, 2000));
        assertEquals("zombie=null childRanWhileParentBlocked=true",
                "zombie=" + z[0] + " childRanWhileParentBlocked=" + ok[0], state + "\nafter startm: " + trace);
    }

    private static long carriers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("panago-M")).count();
    }

    /** After things settle at k Ps: all Ps idle, nobody spinning, every M idle, no P busy. */
    private static void assertSettled(int k) throws Exception {
        long end = System.nanoTime() + 3_000_000_000L;
        String why;
        do {
            Thread.sleep(20);
            why = null;
            if (Sched.npidle != k) {
                why = "npidle " + Sched.npidle + " != " + k;
            } else if (Sched.nmspinning.get() != 0) {
                why = "spinning";
            } else if (Sched.idleMs() + (Sched.lastpoll.get() == 0 ? 1 : 0) != Sched.mcount.get()) {
                // one M may block in the poller (a timer or descriptor left by another class)
                why = "idle Ms " + Sched.idleMs() + " != Ms " + Sched.mcount.get();
            } else if (Sched.runqsize != 0) {
                why = "global queue";
            } else {
                for (P pp : Sched.allp) {
                    if (pp.code() != P.IDLE || !pp.runqempty()) {
                        why = "P" + pp.id + " code " + pp.code();
                    }
                }
                for (P pp : Sched.retiring) {
                    if (pp.code() != P.DEAD) {
                        why = "retiring P" + pp.id + " code " + pp.code();
                    }
                }
            }
        } while (why != null && System.nanoTime() < end);
        assertNull(why, () -> "not settled: " + Sched.schedtrace() + "\n" + Go.dump());
        assertEquals(Sched.mcount.get(), carriers(), "carrier threads vs mcount");
    }

    /** Mixed workload, GOMAXPROCS random in 1..8 every few microseconds. */
    @Test
    void mixedWorkloadUnderRandomResizes() throws Exception {
        Go.gomaxprocs(2);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong resizes = new AtomicLong();
        Thread rs = resizer(stop, resizes, 1, 8, 20_000);
        int n = 200;
        AtomicLongArray seen = new AtomicLongArray(n);
        AtomicInteger early = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        long[] threadsAfter = new long[3];
        try {
            for (int round = 0; round < 3; round++) {
                within(10_000, () -> {
                    Chan<Integer> c = Chan.make();
                    WaitGroup wg = new WaitGroup();
                    for (int i = 0; i < n; i++) {
                        int v = i;
                        wg.go(() -> {
                            ThreadLocalRandom r = ThreadLocalRandom.current();
                            try {
                                for (int k = 0; k < 4; k++) {
                                    switch (r.nextInt(8)) {
                                        case 0 -> Go.yield();
                                        case 1 -> {
                                            long d = r.nextInt(300_000);
                                            long t0 = System.nanoTime();
                                            Go.sleep(Duration.ofNanos(d));
                                            if (System.nanoTime() - t0 < d) {
                                                early.incrementAndGet();
                                            }
                                        }
                                        case 2 -> Go.blocking(() -> {
                                            Thread.sleep(0, r.nextInt(100_000));
                                            return null;
                                        });
                                        case 3 -> Thread.sleep(0, r.nextInt(200_000));
                                        case 4 -> {
                                            long e = System.nanoTime() + r.nextInt(200_000);
                                            while (System.nanoTime() < e) {
                                                Thread.onSpinWait();
                                            }
                                        }
                                        case 5 -> {
                                            Go.lockOSThread();
                                            try {
                                                Go.sleep(Duration.ofNanos(r.nextInt(100_000)));
                                            } finally {
                                                Go.unlockOSThread();
                                            }
                                        }
                                        case 6 -> {
                                            WaitGroup w2 = new WaitGroup();
                                            for (int j = 0; j < 3; j++) {
                                                w2.go(Go::yield);
                                            }
                                            w2.await();
                                        }
                                        default -> {
                                            io.panago.time.Timer t = io.panago.time.Time.newTimer(
                                                    Duration.ofNanos(r.nextInt(200_000)));
                                            t.c().recv();
                                        }
                                    }
                                }
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                            if ((v & 1) == 0) {
                                c.send(v);
                            } else {
                                seen.incrementAndGet(c.recv());
                                seen.incrementAndGet(v);
                            }
                            finished.incrementAndGet();
                        });
                    }
                    wg.await();
                    return null;
                });
            }
        } finally {
            stop.set(true);
            rs.join();
        }
        for (int i = 0; i < n; i++) {
            assertEquals(3, seen.get(i), "value " + i);
        }
        assertEquals(3 * n, finished.get());
        assertEquals(0, early.get(), "sleeps that returned early");
        System.out.println("mixed: resizes=" + resizes.get() + " " + Sched.schedtrace() + " carriers=" + carriers());
        Go.gomaxprocs(3);
        assertSettled(3);
    }

    /** Timers under resizes: every sleep ends, none early, none very late. */
    @Test
    void timersFireUnderResizes() throws Exception {
        Go.gomaxprocs(2);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong resizes = new AtomicLong();
        Thread rs = resizer(stop, resizes, 1, 6, 5_000);
        AtomicInteger early = new AtomicInteger();
        AtomicLong worstLate = new AtomicLong();
        try {
            within(12_000, () -> {
                WaitGroup wg = new WaitGroup();
                for (int i = 0; i < 50; i++) {
                    wg.go(() -> {
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        for (int k = 0; k < 200; k++) {
                            long d = r.nextInt(2_000_000);
                            long t0 = System.nanoTime();
                            if ((k & 1) == 0) {
                                Go.sleep(Duration.ofNanos(d));
                            } else {
                                io.panago.time.Time.newTimer(Duration.ofNanos(d)).c().recv();
                            }
                            long el = System.nanoTime() - t0;
                            if (el < d) {
                                early.incrementAndGet();
                            }
                            worstLate.accumulateAndGet(el - d, Math::max);
                        }
                    });
                }
                // a spinner that never yields, so a P is stuck
                AtomicBoolean done = new AtomicBoolean();
                Go.go(() -> {
                    while (!done.get()) {
                        Thread.onSpinWait();
                    }
                });
                wg.await();
                done.set(true);
                return null;
            });
        } finally {
            stop.set(true);
            rs.join();
        }
        System.out.println("timers: resizes=" + resizes.get() + " worstLate=" + worstLate.get() / 1000 + "us");
        assertEquals(0, early.get());
        assertTrue(worstLate.get() < 500_000_000L, "worst lateness " + worstLate.get());
        Go.gomaxprocs(2);
        assertSettled(2);
    }

    /** Readers parked on eventfds under resizes; writers signal from goroutines and plain threads. */
    @Test
    void netpollWaitersUnderResizes() throws Exception {
        Go.gomaxprocs(2);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong resizes = new AtomicLong();
        Thread rs = resizer(stop, resizes, 1, 4, 10_000);
        int nfd = 16, per = 300;
        PollDescTest.EventFd[] efds = new PollDescTest.EventFd[nfd];
        PollDesc[] pds = new PollDesc[nfd];
        for (int i = 0; i < nfd; i++) {
            efds[i] = new PollDescTest.EventFd();
            pds[i] = PollDesc.open(efds[i].fd);
        }
        AtomicInteger got = new AtomicInteger();
        try {
            within(12_000, () -> {
                WaitGroup wg = new WaitGroup();
                for (int i = 0; i < nfd; i++) {
                    int f = i;
                    Chan<Integer> ack = Chan.make();
                    wg.go(() -> {
                        for (int k = 0; k < per; k++) {
                            assertEquals(PollDesc.OK, efds[f].await(pds[f]));
                            got.incrementAndGet();
                            ack.send(k);
                        }
                    });
                    wg.go(() -> {
                        for (int k = 0; k < per; k++) {
                            if ((f & 1) == 0) {
                                efds[f].signal();
                            } else {
                                try {
                                    Go.blocking(() -> {
                                        Thread t = Thread.ofPlatform().start(efds[f]::signal);
                                        t.join();
                                        return null;
                                    });
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            }
                            ack.recv();
                        }
                    });
                }
                wg.await();
                return null;
            });
        } finally {
            stop.set(true);
            rs.join();
            for (int i = 0; i < nfd; i++) {
                pds[i].close();
                efds[i].close();
            }
        }
        System.out.println("netpoll: resizes=" + resizes.get());
        assertEquals(nfd * per, got.get());
        Go.gomaxprocs(2);
        assertSettled(2);
    }

    /** Spawn trees under 1<->8 flips; count every goroutine. */
    @Test
    void spawnTreesUnderFlips() throws Exception {
        Go.gomaxprocs(2);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong resizes = new AtomicLong();
        Thread rs = resizer(stop, resizes, 1, 8, 0);
        AtomicInteger ran = new AtomicInteger();
        try {
            for (int round = 0; round < 5; round++) {
                within(8_000, () -> {
                    WaitGroup wg = new WaitGroup();
                    spawn(wg, ran, 9);
                    wg.await();
                    return null;
                });
            }
        } finally {
            stop.set(true);
            rs.join();
        }
        System.out.println("trees: resizes=" + resizes.get());
        assertEquals(5 * ((1 << 10) - 1), ran.get());
        Go.gomaxprocs(4);
        assertSettled(4);
    }

    private static void spawn(WaitGroup wg, AtomicInteger ran, int depth) {
        wg.add(1);
        Go.go(() -> {
            ran.incrementAndGet();
            if (depth > 0) {
                spawn(wg, ran, depth - 1);
                spawn(wg, ran, depth - 1);
            }
            wg.done();
        });
    }

    /** Spinners keep all carriers; GOMAXPROCS shrinks to 1: a new goroutine must still run soon. */
    @Test
    void spinnersOnRetiringPsDoNotStarveAfterShrink() throws Exception {
        Go.gomaxprocs(4);
        AtomicBoolean flag = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(4);
        AtomicInteger done = new AtomicInteger();
        for (int i = 0; i < 4; i++) {
            Go.go(() -> {
                started.countDown();
                while (!flag.get()) {
                    Thread.onSpinWait();
                }
                done.incrementAndGet();
            });
        }
        assertTrue(await(started, 3000), Sched.schedtrace());
        Go.gomaxprocs(1);
        CountDownLatch ran = new CountDownLatch(1);
        Go.go(() -> {
            flag.set(true);
            ran.countDown();
        });
        boolean ok = await(ran, 2000);
        String t = Sched.schedtrace() + "\n" + Go.dump();
        flag.set(true);
        assertTrue(ok, "new goroutine did not run within 2 s: " + t);
        long end = System.nanoTime() + 3_000_000_000L;
        while (done.get() < 4 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals(4, done.get());
        assertSettled(1);
    }

    /** Locked goroutines parking and sleeping while GOMAXPROCS churns: they stay on their carrier and finish. */
    @Test
    void lockedGoroutinesUnderResizes() throws Exception {
        Go.gomaxprocs(2);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong resizes = new AtomicLong();
        Thread rs = resizer(stop, resizes, 1, 4, 20_000);
        AtomicInteger moved = new AtomicInteger();
        try {
            within(12_000, () -> {
                Chan<Integer> c = Chan.make();
                WaitGroup wg = new WaitGroup();
                for (int i = 0; i < 8; i++) {
                    int v = i;
                    wg.go(() -> {
                        Go.lockOSThread();
                        try {
                            Thread me = Thread.currentThread();
                            for (int k = 0; k < 300; k++) {
                                if ((v & 1) == 0) {
                                    c.send(k);
                                } else {
                                    c.recv();
                                }
                                if ((k & 15) == 0) {
                                    Go.sleep(Duration.ofNanos(50_000));
                                }
                                if (Thread.currentThread() != me) {
                                    moved.incrementAndGet();
                                }
                            }
                        } finally {
                            Go.unlockOSThread();
                        }
                    });
                }
                // unlocked traffic beside them
                for (int i = 0; i < 8; i++) {
                    wg.go(() -> {
                        for (int k = 0; k < 2000; k++) {
                            Go.yield();
                        }
                    });
                }
                wg.await();
                return null;
            });
        } finally {
            stop.set(true);
            rs.join();
        }
        System.out.println("locked: resizes=" + resizes.get());
        assertEquals(0, moved.get());
        Go.gomaxprocs(2);
        assertSettled(2);
    }

    /** Carrier count stays bounded under long churn. */
    @Test
    void carriersBoundedUnderChurn() throws Exception {
        Go.gomaxprocs(2);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong resizes = new AtomicLong();
        Thread rs = resizer(stop, resizes, 1, 8, 2_000);
        long[] ms = new long[4];
        long m0 = Sched.mcount.get();
        try {
            for (int round = 0; round < 4; round++) {
                within(8_000, () -> {
                    WaitGroup wg = new WaitGroup();
                    for (int i = 0; i < 16; i++) {
                        Chan<Integer> a = Chan.make();
                        wg.go(() -> {
                            for (int k = 0; k < 2000; k++) {
                                a.send(k);
                            }
                        });
                        wg.go(() -> {
                            for (int k = 0; k < 2000; k++) {
                                a.recv();
                            }
                        });
                    }
                    wg.await();
                    return null;
                });
                ms[round] = Sched.mcount.get();
            }
        } finally {
            stop.set(true);
            rs.join();
        }
        System.out.println("carriers: resizes=" + resizes.get() + " mcount per round " + java.util.Arrays.toString(ms));
        assertTrue(ms[3] <= Math.max(m0, 8) + 4, "Ms at start " + m0 + ", per round: " + java.util.Arrays.toString(ms));
        Go.gomaxprocs(2);
        assertSettled(2);
    }
}
