package io.panago.runtime;

import io.panago.Chan;
import io.panago.Go;
import io.panago.PanicHandler;
import io.panago.Select;
import io.panago.sync.Mutex;
import io.panago.sync.WaitGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

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
 * The scheduler's edges around {@code Go.blocking}: parks, yields, selects, timers, panics,
 * pinning and dumps inside it, a carrier that blocks for real after a park, lockOSThread
 * across a lost P, and GOMAXPROCS shrinking and growing back while goroutines are inside it.
 * Written as a hunt for bugs; the cases that failed found a locked goroutine moved to another
 * carrier, Ps left alive outside allp by a shrink and regrow (their queues never run), and a
 * pinned yield losing its M's claim on the P.
 */
class SchedulerEdgeTest extends RuntimeHarness {
    static boolean inSyscall() {
        G g = Sched.getg();
        return (g.status & ~G.WAKE) == G.SYSCALL && Sched.currentM().p == null;
    }

    // ------------------------------------------------------------------ lockOSThread

    /**
     * Go.yield of a locked goroutine lets the others run (Go's Gosched hands a locked
     * goroutine's P on, in stoplockedm): with one P, the goroutine it just started runs without
     * waiting for sysmon to take the P. It was a bare Thread.yield, and the child ran only
     * after a retake, ~10 ms later, in every round. A round in which a retake happened anyway
     * (a carrier descheduled under load) proves nothing and is run again.
     */
    @Test
    void yieldOfALockedGoroutineLetsOthersRunWithoutARetake() throws Exception {
        Go.gomaxprocs(1);
        String r = "";
        for (int attempt = 0; attempt < 5 && !r.equals("ok"); attempt++) {
            // A fresh run each time: its main goroutine starts with the only P.
            r = within(10_000, () -> {
                Go.lockOSThread();
                try {
                    Thread carrier = Thread.currentThread();
                    long retakes = Sysmon.retakes;
                    AtomicBoolean ran = new AtomicBoolean();
                    Go.go(() -> ran.set(true));
                    long until = System.nanoTime() + 2_000_000_000L;
                    while (!ran.get() && System.nanoTime() < until) {
                        Go.yield();
                    }
                    if (Thread.currentThread() != carrier) {
                        return "a locked goroutine left its carrier";
                    }
                    return !ran.get() ? "the child never ran"
                            : Sysmon.retakes == retakes ? "ok" : "the child ran only after a retake";
                } finally {
                    Go.unlockOSThread();
                }
            });
        }
        assertEquals("ok", r);
    }

    /**
     * lockOSThread + Go.blocking whose P is retaken while it blocks (GOMAXPROCS 1, another
     * goroutine keeps the P busy): the goroutine must come back on the same carrier, also
     * when it parks inside the call first ({@code parkFirst}).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void lockedGoroutineStaysOnItsCarrierAfterBlockingLosesItsP(boolean parkFirst) throws Exception {
        Go.gomaxprocs(1);
        String r = within(8000, () -> {
            AtomicBoolean stop = new AtomicBoolean();
            Go.go(() -> {
                while (!stop.get()) {
                    Go.yield();
                }
            });
            Go.lockOSThread();
            try {
                StringBuilder bad = new StringBuilder();
                for (int i = 0; i < 10; i++) {
                    Thread before = Thread.currentThread();
                    int round = i;
                    Go.blocking(() -> {
                        if (parkFirst) {
                            Go.sleep(Duration.ofMillis(2));
                            if (Thread.currentThread() != before) {
                                bad.append("in park ").append(round).append('\n');
                            }
                        }
                        Thread.sleep(parkFirst ? 15 : 20);
                        return null;
                    });
                    Thread after = Thread.currentThread();
                    if (before != after) {
                        bad.append("round ").append(i).append(": ").append(before.getName())
                           .append(" -> ").append(after.getName()).append('\n');
                    }
                }
                return bad.toString();
            } finally {
                Go.unlockOSThread();
                stop.set(true);
            }
        });
        assertEquals("", r, "a goroutine locked to its thread migrated to another carrier");
    }

    // ------------------------------------------------------------------ hand-off after a park

    /**
     * GOMAXPROCS 1: a Go.blocking call parks once, then blocks its carrier for real on a latch
     * that only another goroutine counts down: the P must be handed off.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sleep", "chan", "yield", "run", "mutex", "select"})
    void realBlockAfterAParkInsideBlockingStillHandsOffTheP(String kind) throws Exception {
        Go.gomaxprocs(1);
        boolean ok = within(8000, () -> {
            CountDownLatch latch = new CountDownLatch(1);
            Chan<Integer> c = Chan.make();
            Mutex mu = new Mutex();
            mu.lock();
            Go.go(() -> {
                if (kind.equals("chan")) {
                    c.send(1);
                } else if (kind.equals("mutex")) {
                    Go.sleep(Duration.ofMillis(2));
                    mu.unlock();
                } else if (kind.equals("select")) {
                    Go.sleep(Duration.ofMillis(2));
                    c.send(2);
                }
                Go.sleep(Duration.ofMillis(5));
                latch.countDown();
            });
            return Go.blocking(() -> {
                switch (kind) {
                    case "sleep" -> Go.sleep(Duration.ofMillis(1));
                    case "chan" -> assertEquals(1, c.recv());
                    case "yield" -> Go.yield();
                    case "run" -> Go.run(() -> Go.sleep(Duration.ofMillis(1)));
                    case "mutex" -> mu.lock();
                    case "select" -> {
                        Chan<Integer> never = Chan.make();
                        int i = Select.select(Select.onRecv(never, v -> { }), Select.onRecv(c, v -> { }),
                                Select.onTimeout(Duration.ofSeconds(5), () -> { }));
                        assertEquals(1, i);
                    }
                    default -> throw new AssertionError();
                }
                assertTrue(inSyscall(), "not back in the syscall state");
                return latch.await(3, TimeUnit.SECONDS);
            });
        });
        assertTrue(ok, "the other goroutine never ran while the carrier blocked after a park");
    }

    /** Two nested Go.blocking, each parking, then a real block: P still handed off. */
    @Test
    void nestedBlockingParksThenBlocks() throws Exception {
        Go.gomaxprocs(1);
        boolean ok = within(8000, () -> {
            CountDownLatch latch = new CountDownLatch(1);
            Go.go(() -> {
                Go.sleep(Duration.ofMillis(10));
                latch.countDown();
            });
            return Go.blocking(() -> {
                Go.sleep(Duration.ofMillis(1));
                boolean inner = Go.blocking(() -> {
                    Go.yield();
                    Go.sleep(Duration.ofMillis(1));
                    return inSyscall();
                });
                assertTrue(inner);
                assertTrue(inSyscall());
                return latch.await(3, TimeUnit.SECONDS);
            });
        });
        assertTrue(ok);
    }

    /** An exception thrown inside Go.blocking after a park (maybe on another carrier). */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void exceptionAfterAParkInsideBlocking(int procs) throws Exception {
        Go.gomaxprocs(procs);
        int r = within(8000, () -> {
            int caught = 0;
            for (int i = 0; i < 200; i++) {
                try {
                    Go.blocking(() -> {
                        Go.blocking(() -> {
                            Go.yield();
                            Go.sleep(Duration.ofNanos(1000));
                            throw new java.io.IOException("x");
                        });
                        return null;
                    });
                } catch (java.io.IOException e) {
                    caught++;
                }
                G g = Sched.getg();
                assertEquals(G.RUNNING, g.status, "status after the throwing call");
                assertEquals(0, g.blockingDepth);
                // and an ordinary park still works
                Go.sleep(Duration.ofNanos(1000));
            }
            return caught;
        });
        assertEquals(200, r);
    }

    /** A panic in a goroutine's commit step... and Go.run main failing inside Go.blocking. */
    @Test
    void goRunFailureInsideBlocking() throws Exception {
        Go.gomaxprocs(2);
        String r = within(8000, () -> Go.blocking(() -> {
            try {
                Go.run(() -> {
                    Go.sleep(Duration.ofMillis(1));
                    throw new IllegalArgumentException("inner");
                });
                return "no throw";
            } catch (IllegalArgumentException e) {
                return inSyscall() ? e.getMessage() : "not in syscall";
            }
        }));
        assertEquals("inner", r);
    }

    // ------------------------------------------------------------------ pinned (native upcall)

    /** A park inside Go.blocking inside a native upcall (pinned): carrier blocks, P handed off. */
    @Test
    void pinnedParkInsideBlocking() throws Exception {
        Go.gomaxprocs(1);
        String r = within(8000, () -> {
            AtomicLong progress = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            Go.go(() -> {
                while (!stop.get()) {
                    progress.incrementAndGet();
                    Go.sleep(Duration.ofNanos(100_000));
                }
            });
            Chan<Integer> c = Chan.make();
            Go.go(() -> {
                Go.sleep(Duration.ofMillis(20));
                c.send(5);
            });
            StringBuilder sb = new StringBuilder();
            PinningTest.qsort(new int[] {2, 1}, () -> {
                try {
                    Go.blocking(() -> {
                        long p0 = progress.get();
                        Go.sleep(Duration.ofMillis(10)); // pinned park
                        sb.append(c.recv()); // pinned park
                        Go.yield(); // pinned yield: no-op
                        Thread.sleep(50);
                        if (progress.get() == p0) {
                            sb.append(" no progress");
                        }
                        if (!inSyscall()) {
                            sb.append(" not in syscall");
                        }
                        return null;
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            stop.set(true);
            return sb.toString();
        });
        assertEquals("5", r);
    }

    /**
     * A pinned Go.yield inside Go.blocking must not lose the M's claim on its P (m.oldp): right
     * after it the P should still be reclaimable by exitsyscall.
     */
    @Test
    void pinnedYieldInsideBlockingKeepsTheOldP() throws Exception {
        Go.gomaxprocs(1);
        String r = within(8000, () -> {
            StringBuilder sb = new StringBuilder();
            PinningTest.qsort(new int[] {2, 1}, () -> {
                try {
                    Go.blocking(() -> {
                        M m = Sched.currentM();
                        P before = m.oldp;
                        Go.yield();
                        P after = m.oldp;
                        if (before != after) {
                            sb.append("oldp ").append(before == null ? "null" : "P" + before.id)
                              .append(" -> ").append(after == null ? "null" : "P" + after.id)
                              .append(" (P state code ").append(before == null ? -1 : before.code()).append(")");
                        }
                        return null;
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            return sb.toString();
        });
        assertEquals("", r);
    }

    // ------------------------------------------------------------------ GOMAXPROCS changes

    /** Where the goroutines of {@link #shrinkAndGrowLeavesNoPOutsideAllp} sit during the resize. */
    enum Stuck {
        /** Inside Go.blocking (their P in the syscall state). */
        IN_BLOCKING,
        /** Inside Go.blocking, yielding there after the resize (execute takes the P back). */
        YIELD_IN_BLOCKING,
        /** Blocked in plain JDK code (their P in the user state). */
        PLAIN
    }

    /**
     * GOMAXPROCS shrinks to 1 and grows back to 4 while goroutines keep their carriers: when
     * they go on they must not run on a P that is no longer in allp (invisible to sysmon and
     * stealing). Each then starts a child and waits for it in plain blocking code: sysmon must
     * hand the P off so the child runs. A fresh P in the slot beside the old busy one left
     * three of four children stranded in the old ones' queues.
     */
    @ParameterizedTest
    @EnumSource(Stuck.class)
    void shrinkAndGrowLeavesNoPOutsideAllp(Stuck how) throws Exception {
        Go.gomaxprocs(4);
        int n = 4;
        CountDownLatch entered = new CountDownLatch(n);
        CountDownLatch release = new CountDownLatch(1);
        List<String> zombies = new CopyOnWriteArrayList<>();
        AtomicInteger childrenLate = new AtomicInteger();
        String[] dumpWhileLate = {null};
        Thread resizer = Thread.ofPlatform().daemon().start(() -> {
            if (await(entered, 5000)) {
                Go.gomaxprocs(1);
                Go.gomaxprocs(4);
            }
            release.countDown();
        });
        within(9000, () -> {
            WaitGroup wg = new WaitGroup();
            for (int i = 0; i < n; i++) {
                wg.go(() -> {
                    if (how == Stuck.PLAIN) {
                        entered.countDown();
                        await(release, 5000);
                    } else {
                        try {
                            Go.blocking(() -> {
                                entered.countDown();
                                release.await(5, TimeUnit.SECONDS);
                                if (how == Stuck.YIELD_IN_BLOCKING) {
                                    Go.yield();
                                    outsideAllp(Sched.currentM().oldp, "inside", zombies);
                                }
                                return null;
                            });
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    outsideAllp(Sched.currentM().p, "after", zombies);
                    CountDownLatch child = new CountDownLatch(1);
                    Go.go(child::countDown);
                    if (!await(child, 1500)) { // plain blocking: sysmon retakes the P in ~10 ms
                        synchronized (dumpWhileLate) {
                            if (dumpWhileLate[0] == null) {
                                dumpWhileLate[0] = Sched.schedtrace() + "\n" + Go.dump();
                            }
                        }
                        childrenLate.incrementAndGet();
                    }
                });
            }
            wg.await();
            return null;
        });
        resizer.join();
        assertEquals("zombies=[] late=0", "zombies=" + zombies + " late=" + childrenLate.get(),
                "after GOMAXPROCS 4->1->4 (late: children not run within 1.5 s while their parent"
                + " blocked its carrier); dump while a child was stranded:\n" + dumpWhileLate[0]);
    }

    private static void outsideAllp(P p, String where, List<String> zombies) {
        if (p != null && (p.id >= Sched.allp.length || Sched.allp[p.id] != p)) {
            zombies.add(where + ": P" + p.id + " state " + p.code());
        }
    }

    /** select with tiny timeouts racing senders, inside Go.blocking, sometimes locked. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void selectTimeoutRacesInsideBlocking(int procs) throws Exception {
        Go.gomaxprocs(procs);
        int n = 200, per = 20;
        long got = within(9000, () -> {
            Chan<Integer> c = Chan.make();
            AtomicLong recv = new AtomicLong();
            AtomicLong sent = new AtomicLong();
            WaitGroup wg = new WaitGroup();
            for (int i = 0; i < n; i++) {
                int v = i;
                wg.go(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    boolean lock = (v % 5) == 0;
                    if (lock) {
                        Go.lockOSThread();
                    }
                    try {
                        Go.blocking(() -> {
                            for (int k = 0; k < per; k++) {
                                if ((v & 1) == 0) {
                                    int idx = Select.select(Select.onSend(c, 1, () -> { }),
                                            Select.onTimeout(Duration.ofNanos(r.nextInt(50_000)), () -> { }));
                                    if (idx == 0) {
                                        sent.incrementAndGet();
                                    }
                                } else {
                                    int[] box = {0};
                                    int idx = Select.select(Select.onRecv(c, x -> box[0] = x),
                                            Select.onTimeout(Duration.ofNanos(r.nextInt(50_000)), () -> { }));
                                    if (idx == 0) {
                                        recv.addAndGet(box[0]);
                                    }
                                }
                            }
                            return null;
                        });
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    } finally {
                        if (lock) {
                            Go.unlockOSThread();
                        }
                    }
                });
            }
            wg.await();
            assertEquals(sent.get(), recv.get(), "sent vs received");
            return recv.get();
        });
        assertTrue(got >= 0);
    }

    // ------------------------------------------------------------------ dump

    @Test
    void dumpWhileGoroutinesParkInsideBlocking() throws Exception {
        Go.gomaxprocs(2);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger dumps = new AtomicInteger();
        List<Throwable> errs = new CopyOnWriteArrayList<>();
        Thread dumper = Thread.ofPlatform().daemon().start(() -> {
            while (!stop.get()) {
                try {
                    String d = Go.dump();
                    dumps.incrementAndGet();
                    if (d.contains("unknown")) {
                        errs.add(new AssertionError(d));
                    }
                } catch (Throwable t) {
                    errs.add(t);
                }
            }
        });
        try {
            long sum = within(9000, () -> {
                Chan<Integer> c = Chan.make(3);
                WaitGroup wg = new WaitGroup();
                AtomicLong s = new AtomicLong();
                for (int i = 0; i < 200; i++) {
                    int v = i;
                    wg.go(() -> {
                        try {
                            Go.blocking(() -> {
                                Go.sleep(Duration.ofNanos(50_000));
                                if ((v & 1) == 0) {
                                    c.send(v);
                                } else {
                                    s.addAndGet(c.recv());
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
                return s.get();
            });
            assertEquals(99L * 100, sum);
        } finally {
            stop.set(true);
            dumper.join();
        }
        assertEquals(List.of(), errs);
        assertTrue(dumps.get() > 0);
    }

    // ------------------------------------------------------------------ stress

    /** Random mix of parks inside (nested) Go.blocking with GOMAXPROCS changing concurrently. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void randomMixWithResizes(int procs) throws Exception {
        Go.gomaxprocs(procs);
        AtomicBoolean stop = new AtomicBoolean();
        Thread resizer = Thread.ofPlatform().daemon().start(() -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            while (!stop.get()) {
                Go.gomaxprocs(1 + r.nextInt(3));
                try {
                    Thread.sleep(0, r.nextInt(500_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        int n = 300;
        AtomicLongArray seen = new AtomicLongArray(n);
        try {
            for (int round = 0; round < 6; round++) {
                within(9000, () -> {
                    Chan<Integer> c = Chan.make();
                    Chan<Integer> buf = Chan.make(4);
                    Mutex mu = new Mutex();
                    long[] counter = {0};
                    WaitGroup wg = new WaitGroup();
                    for (int i = 0; i < n; i++) {
                        int v = i;
                        wg.go(() -> {
                            ThreadLocalRandom r = ThreadLocalRandom.current();
                            try {
                                Go.blocking(() -> {
                                    for (int k = 0; k < 3; k++) {
                                        switch (r.nextInt(7)) {
                                            case 0 -> Go.yield();
                                            case 1 -> Go.sleep(Duration.ofNanos(r.nextInt(200_000)));
                                            case 2 -> {
                                                mu.lock();
                                                Go.yield();
                                                counter[0]++;
                                                mu.unlock();
                                            }
                                            case 3 -> Go.blocking(() -> {
                                                Go.yield();
                                                return Go.run(() -> 1);
                                            });
                                            case 4 -> Thread.sleep(0, r.nextInt(100_000));
                                            case 5 -> Select.select(Select.onRecv(Chan.<Integer>make(), x -> { }),
                                                    Select.onTimeout(Duration.ofNanos(r.nextInt(100_000)), () -> { }));
                                            default -> {
                                                buf.send(-1);
                                                buf.recv();
                                            }
                                        }
                                    }
                                    if ((v & 1) == 0) {
                                        c.send(v);
                                    } else {
                                        seen.incrementAndGet(Go.blocking(c::recv));
                                        seen.incrementAndGet(v);
                                    }
                                    return null;
                                });
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
                    }
                    wg.await();
                    mu.lock();
                    mu.unlock();
                    return counter[0];
                });
            }
        } finally {
            stop.set(true);
            resizer.join();
        }
        for (int i = 0; i < n; i++) {
            assertEquals(6, seen.get(i), "value " + i + " seen " + seen.get(i) + " times in 6 rounds");
        }
    }

    /**
     * GOMAXPROCS 1, many goroutines each doing a plain blocking sleep inside Go.blocking after a
     * park: total time must show the P is handed off (they overlap).
     */
    @Test
    void manyBlockersAfterParkOverlap() throws Exception {
        Go.gomaxprocs(1);
        long t0 = System.nanoTime();
        within(9000, () -> {
            WaitGroup wg = new WaitGroup();
            for (int i = 0; i < 20; i++) {
                wg.go(() -> {
                    try {
                        Go.blocking(() -> {
                            Go.sleep(Duration.ofMillis(1));
                            Thread.sleep(200);
                            return null;
                        });
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            wg.await();
            return null;
        });
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 2000, "20 x 200 ms blocking calls took " + ms + " ms at GOMAXPROCS 1");
    }
}
