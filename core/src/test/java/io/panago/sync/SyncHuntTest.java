package io.panago.sync;

import static io.panago.TestMode.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Chan;
import io.panago.Go;
import io.panago.RecvChan;
import io.panago.Select;
import io.panago.TestMode;
import io.panago.context.CancelContext;
import io.panago.context.Context;
import io.panago.context.ContextError;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bug hunt in io.panago.sync: Go's sync, x/sync/semaphore and x/sync/errgroup semantics. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SyncHuntTest {

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
        throw (E) t;
    }

    /** Waits for {@code c} at most 10 s; a hang becomes a failure. */
    private static <T> T recvWithin(RecvChan<T> c, String what) {
        Select sel = new Select();
        Select.RecvCase<T> rc = sel.recv(c);
        int r = sel.select(Duration.ofSeconds(10));
        assertEquals(rc.index(), r, what + " not received in 10 s");
        return rc.value();
    }

    /**
     * Cond.Wait without holding the lock: Go dies ("sync: unlock of unlocked mutex"); panago
     * throws instead, so the Cond must stay usable: the ticket the failed await took must not
     * swallow the next signal meant for a real waiter.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void condAwaitWithoutTheLockThrowsAndLosesNoSignal(TestMode mode) throws Exception {
        mode.run(() -> {
            Mutex mu = new Mutex();
            Cond c = new Cond(mu);
            var e = assertThrows(IllegalStateException.class, c::await);
            assertEquals("sync: unlock of unlocked mutex", e.getMessage());
            assertFalse(mu.tryLock() && unlockAnd(mu, false), "mutex left locked");
            boolean[] ready = {false};
            RecvChan<Boolean> woke = mode.async(() -> {
                mu.lock();
                while (!ready[0]) {
                    c.await();
                }
                mu.unlock();
                return true;
            });
            until(() -> c.parked() == 1, "waiter parked");
            mu.lock();
            ready[0] = true;
            c.signal();
            mu.unlock();
            assertTrue(recvWithin(woke, "the waiter's wake-up"));
        });
    }

    private static Mutex onceMutex(Once once) throws Exception {
        var f = Once.class.getDeclaredField("m");
        f.setAccessible(true);
        return (Mutex) f.get(once);
    }

    private static boolean unlockAnd(Mutex mu, boolean v) {
        mu.unlock();
        return v;
    }

    /**
     * Go's OnceValue: "If f panics, the returned function will panic with the same value on
     * every call." A checked exception thrown sneakily (a Java reality) must be rethrown every
     * time too, not turned into a null value on the second call.
     */
    @Test
    void onceValueRethrowsACheckedFailureOnEveryCall() {
        IOException boom = new IOException("boom");
        AtomicInteger calls = new AtomicInteger();
        Supplier<String> s = Once.value(() -> {
            calls.incrementAndGet();
            throw sneaky(boom);
        });
        for (int i = 0; i < 3; i++) {
            Throwable t = assertThrows(Throwable.class, s::get);
            assertSame(boom, t);
        }
        assertEquals(1, calls.get());
    }

    /** x/sync's TestAllocCancelDoesntStarve: a cancelled head waiter lets a smaller one in. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void cancelledHeadWaiterLetsTheNextIn(TestMode mode) throws Exception {
        mode.run(() -> {
            Semaphore s = new Semaphore(10);
            s.acquire(1);
            CancelContext ctx = Context.withCancel(Context.background());
            RecvChan<Object> big = mode.async(() -> {
                try {
                    s.acquire(ctx, 10);
                    return "acquired";
                } catch (ContextError e) {
                    return e;
                }
            });
            until(() -> s.waiters() == 1);
            assertFalse(s.tryAcquire(1), "TryAcquire must not barge past a waiter");
            RecvChan<Boolean> small = mode.async(() -> {
                s.acquire(1);
                return true;
            });
            until(() -> s.waiters() == 2);
            ctx.cancel();
            assertSame(Context.CANCELED, recvWithin(big, "big acquirer"));
            assertTrue(recvWithin(small, "small acquirer"));
            assertEquals(2, s.held());
            s.release(2);
            assertEquals(0, s.held());
        });
    }

    /** Cancellation racing the grant: whatever wins, no token is leaked or double-counted. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void cancelRacingTheGrantLeaksNoToken(TestMode mode) throws Exception {
        mode.run(() -> {
            Semaphore s = new Semaphore(1);
            int acquired = 0;
            int cancelled = 0;
            for (int i = 0; i < 300; i++) {
                s.acquire(1);
                CancelContext ctx = Context.withCancel(Context.background());
                RecvChan<Boolean> r = mode.async(() -> {
                    try {
                        s.acquire(ctx, 1);
                        return true;
                    } catch (ContextError e) {
                        return false;
                    }
                });
                until(() -> s.waiters() == 1);
                Chan<Void> go = Chan.make();
                mode.go(() -> {
                    go.recv();
                    ctx.cancel();
                });
                go.close();
                s.release(1);
                if (recvWithin(r, "acquirer")) {
                    acquired++;
                    assertEquals(1, s.held());
                    s.release(1);
                } else {
                    cancelled++;
                }
                assertEquals(0, s.held(), "round " + i);
                assertEquals(0, s.waiters());
            }
            assertEquals(300, acquired + cancelled);
        });
    }

    /** ErrGroup: TryGo with a full group fails; SetLimit(0) admits nobody; TryGo after room. */
    @Test
    void errGroupTryGoRespectsTheLimit() throws Exception {
        Go.run(() -> {
            try (ErrGroup g = new ErrGroup()) {
                g.setLimit(0);
                assertFalse(g.tryGo(() -> {}));
                g.setLimit(1);
                Chan<Void> release = Chan.make();
                assertTrue(g.tryGo(release::recv));
                assertFalse(g.tryGo(() -> {}));
                release.close();
                g.await();
                assertTrue(g.tryGo(() -> {}));
                g.await();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** ErrGroup: the first failure wins, cancels the context with itself as the cause. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void errGroupFirstFailureIsTheCause(TestMode mode) throws Exception {
        mode.run(() -> {
            ErrGroup g = ErrGroup.withContext(Context.background());
            IOException first = new IOException("first");
            Chan<Void> second = Chan.make();
            g.go(() -> {
                throw first;
            });
            g.go(() -> {
                g.context().done().recv();
                second.close();
                throw new IOException("second");
            });
            assertSame(first, assertThrows(IOException.class, g::await));
            assertSame(first, Context.cause(g.context()));
            assertSame(Context.CANCELED, g.context().err());
        });
    }

    /** Mutex used by goroutines, platform threads and virtual threads at once. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void mutexAcrossGoroutinesAndThreads(int procs) throws Exception {
        int old = Go.gomaxprocs(procs);
        try {
            Mutex mu = new Mutex();
            int[] counter = {0};
            AtomicInteger inside = new AtomicInteger();
            AtomicReference<String> bad = new AtomicReference<>();
            int per = 2000;
            Runnable body = () -> {
                for (int i = 0; i < per; i++) {
                    mu.lock();
                    if (inside.incrementAndGet() != 1) {
                        bad.set("two holders");
                    }
                    counter[0]++;
                    inside.decrementAndGet();
                    mu.unlock();
                }
            };
            WaitGroup wg = new WaitGroup();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                threads.add(Thread.ofPlatform().daemon().start(body));
                threads.add(Thread.ofVirtual().start(body));
            }
            Go.run(() -> {
                for (int i = 0; i < 4; i++) {
                    wg.go(body);
                }
                wg.await();
            });
            for (Thread t : threads) {
                t.join(20_000);
                assertFalse(t.isAlive(), "thread stuck in Mutex");
            }
            assertNull(bad.get());
            assertEquals(8 * per, counter[0]);
        } finally {
            Go.gomaxprocs(old);
        }
    }

    /** RWMutex: readers and writers from goroutines and virtual threads, invariant checked. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void rwMutexInvariantAcrossCallers(int procs) throws Exception {
        int old = Go.gomaxprocs(procs);
        try {
            RWMutex rw = new RWMutex();
            AtomicInteger activity = new AtomicInteger();
            AtomicReference<String> bad = new AtomicReference<>();
            int rounds = 1500;
            Runnable reader = () -> {
                for (int i = 0; i < rounds; i++) {
                    rw.rlock();
                    int n = activity.addAndGet(1);
                    if (n < 1 || n >= 10_000) {
                        bad.set("reader saw " + n);
                    }
                    activity.addAndGet(-1);
                    rw.runlock();
                }
            };
            Runnable writer = () -> {
                for (int i = 0; i < rounds / 3; i++) {
                    rw.lock();
                    int n = activity.addAndGet(10_000);
                    if (n != 10_000) {
                        bad.set("writer saw " + n);
                    }
                    activity.addAndGet(-10_000);
                    rw.unlock();
                }
            };
            List<Thread> threads = new ArrayList<>();
            threads.add(Thread.ofVirtual().start(reader));
            threads.add(Thread.ofVirtual().start(writer));
            threads.add(Thread.ofPlatform().daemon().start(reader));
            WaitGroup wg = new WaitGroup();
            Go.run(() -> {
                for (int i = 0; i < 3; i++) {
                    wg.go(reader);
                }
                wg.go(writer);
                wg.go(writer);
                wg.await();
            });
            for (Thread t : threads) {
                t.join(20_000);
                assertFalse(t.isAlive(), "thread stuck in RWMutex");
            }
            assertNull(bad.get());
            assertTrue(rw.tryLock());
            rw.unlock();
        } finally {
            Go.gomaxprocs(old);
        }
    }

    /** A bounded queue on one Cond with signal only: no lost wake-up at GOMAXPROCS 1 and 2. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void condProducerConsumerLosesNoWakeup(int procs) throws Exception {
        int old = Go.gomaxprocs(procs);
        try {
            Mutex mu = new Mutex();
            Cond notEmpty = new Cond(mu);
            Cond notFull = new Cond(mu);
            int[] q = {0};
            int cap = 2;
            int producers = 4;
            int per = 1000;
            AtomicInteger consumed = new AtomicInteger();
            Go.run(() -> {
                WaitGroup wg = new WaitGroup();
                for (int p = 0; p < producers; p++) {
                    wg.go(() -> {
                        for (int i = 0; i < per; i++) {
                            mu.lock();
                            while (q[0] == cap) {
                                notFull.await();
                            }
                            q[0]++;
                            notEmpty.signal();
                            mu.unlock();
                        }
                    });
                    wg.go(() -> {
                        for (int i = 0; i < per; i++) {
                            mu.lock();
                            while (q[0] == 0) {
                                notEmpty.await();
                            }
                            q[0]--;
                            consumed.incrementAndGet();
                            notFull.signal();
                            mu.unlock();
                        }
                    });
                }
                Chan<Void> all = Chan.make();
                Go.go(() -> {
                    wg.await();
                    all.close();
                });
                Select sel = new Select();
                var d = sel.recv(all);
                assertEquals(d.index(), sel.select(Duration.ofSeconds(20)), "lost wake-up: consumed " + consumed.get());
            });
            assertEquals(producers * per, consumed.get());
        } finally {
            Go.gomaxprocs(old);
        }
    }

    /** WaitGroup reused over many cycles with several waiters, at GOMAXPROCS 1. */
    @Test
    void waitGroupManyCyclesManyWaiters() throws Exception {
        int old = Go.gomaxprocs(1);
        int baseline = Go.numGoroutine();
        try {
            Go.run(() -> {
                WaitGroup wg = new WaitGroup();
                for (int round = 0; round < 200; round++) {
                    wg.add(3);
                    WaitGroup waiters = new WaitGroup();
                    for (int w = 0; w < 3; w++) {
                        waiters.go(wg::await);
                    }
                    for (int i = 0; i < 3; i++) {
                        Go.go(wg::done);
                    }
                    waiters.await();
                    assertEquals(0, wg.count());
                }
            });
            until(() -> Go.numGoroutine() <= baseline, "goroutines back to baseline");
        } finally {
            Go.gomaxprocs(old);
        }
    }

    /** Go panics on a negative counter; the waiters of the cycle are still released later. */
    @Test
    void negativeCounterPanicMessage() {
        WaitGroup wg = new WaitGroup();
        wg.add(1);
        var e = assertThrows(IllegalStateException.class, () -> wg.add(-2));
        assertEquals("sync: negative WaitGroup counter", e.getMessage());
    }

    /** Once: a throwing action counts as done; a concurrent caller waits for it, then skips. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void onceThrowingActionReleasesWaitersWithoutRerunning(TestMode mode) throws Exception {
        mode.run(() -> {
            Once once = new Once();
            AtomicInteger runs = new AtomicInteger();
            Chan<Void> inside = Chan.make();
            Chan<Void> fail = Chan.make();
            RecvChan<Object> first = mode.async(() -> {
                try {
                    once.run(() -> {
                        runs.incrementAndGet();
                        inside.close();
                        fail.recv();
                        throw new IllegalArgumentException("x");
                    });
                    return "returned";
                } catch (IllegalArgumentException e) {
                    return e;
                }
            });
            inside.recv();
            RecvChan<Boolean> second = mode.async(() -> {
                once.run(runs::incrementAndGet);
                return once.isDone();
            });
            Mutex m = onceMutex(once);
            until(() -> m.waiters() == 1);
            fail.close();
            assertTrue(recvWithin(first, "first") instanceof IllegalArgumentException);
            assertTrue(recvWithin(second, "second"));
            assertEquals(1, runs.get());
        });
    }

    /** A writer blocked in Lock keeps a new RLock out (Go: recursive read locking deadlocks). */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void blockedWriterKeepsNewReadersOutAndTryRLockFails(TestMode mode) throws Exception {
        mode.run(() -> {
            RWMutex rw = new RWMutex();
            rw.rlock();
            RecvChan<Boolean> w = mode.async(() -> {
                rw.lock();
                rw.unlock();
                return true;
            });
            until(() -> rw.parked() == 1);
            assertFalse(rw.tryRLock());
            RecvChan<Boolean> r = mode.async(() -> {
                rw.rlock();
                rw.runlock();
                return true;
            });
            until(() -> rw.parked() == 2);
            assertNull(r.tryRecv());
            rw.runlock();
            assertTrue(recvWithin(w, "writer"));
            assertTrue(recvWithin(r, "reader"));
            var e = assertThrows(IllegalStateException.class, rw::runlock);
            assertEquals("sync: RUnlock of unlocked RWMutex", e.getMessage());
            assertTrue(rw.tryLock());
            rw.unlock();
        });
    }

    /** Weighted acquires with short timeouts, many goroutines: held never above size, 0 at the end. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void semaphoreTimeoutsStress(int procs) throws Exception {
        int old = Go.gomaxprocs(procs);
        try {
            Semaphore s = new Semaphore(5);
            AtomicInteger inUse = new AtomicInteger();
            AtomicReference<String> bad = new AtomicReference<>();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger timedOut = new AtomicInteger();
            Runnable body = () -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                for (int i = 0; i < 200; i++) {
                    int n = 1 + rnd.nextInt(5);
                    try (CancelContext ctx = Context.withTimeout(Context.background(),
                            Duration.ofNanos(rnd.nextInt(200_000)))) {
                        s.acquire(ctx, n);
                    } catch (ContextError e) {
                        timedOut.incrementAndGet();
                        continue;
                    }
                    if (inUse.addAndGet(n) > 5) {
                        bad.set("over the size");
                    }
                    if (rnd.nextBoolean()) {
                        Go.yield();
                    }
                    inUse.addAndGet(-n);
                    s.release(n);
                    ok.incrementAndGet();
                }
            };
            List<Thread> threads = new ArrayList<>();
            threads.add(Thread.ofVirtual().start(body));
            threads.add(Thread.ofPlatform().daemon().start(body));
            Go.run(() -> {
                WaitGroup wg = new WaitGroup();
                for (int i = 0; i < 6; i++) {
                    wg.go(body);
                }
                wg.await();
            });
            for (Thread t : threads) {
                t.join(20_000);
                assertFalse(t.isAlive(), "thread stuck in Semaphore");
            }
            assertNull(bad.get());
            assertEquals(8 * 200, ok.get() + timedOut.get());
            assertEquals(0, s.held());
            assertEquals(0, s.waiters());
        } finally {
            Go.gomaxprocs(old);
        }
    }

    /** Cond, WaitGroup and Semaphore used from virtual threads only. */
    @Test
    void virtualThreadsOnly() throws Exception {
        Mutex mu = new Mutex();
        Cond c = new Cond(mu);
        int[] turn = {0};
        int parties = 6;
        int rounds = 200;
        WaitGroup wg = new WaitGroup();
        Semaphore sem = new Semaphore(2);
        AtomicInteger inside = new AtomicInteger();
        AtomicReference<String> bad = new AtomicReference<>();
        for (int p = 0; p < parties; p++) {
            int me = p;
            wg.add(1);
            Thread.ofVirtual().start(() -> {
                for (int r = 0; r < rounds; r++) {
                    mu.lock();
                    while (turn[0] % parties != me) {
                        c.await();
                    }
                    turn[0]++;
                    c.broadcast();
                    mu.unlock();
                    sem.acquire(1);
                    if (inside.incrementAndGet() > 2) {
                        bad.set("semaphore over size");
                    }
                    inside.decrementAndGet();
                    sem.release(1);
                }
                wg.done();
            });
        }
        Chan<Void> done = Chan.make();
        Thread.ofVirtual().start(() -> {
            wg.await();
            done.close();
        });
        recvWithin(done, "all virtual threads");
        assertNull(bad.get());
        assertEquals(parties * rounds, turn[0]);
    }

    /** errgroup's Wait cancels the derived context even without a failure. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void errGroupAwaitCancelsTheContext(TestMode mode) throws Exception {
        mode.run(() -> {
            CancelContext parent = Context.withCancel(Context.background());
            ErrGroup g = ErrGroup.withContext(parent);
            g.go(() -> {});
            g.await();
            assertSame(Context.CANCELED, g.context().err());
            assertSame(Context.CANCELED, Context.cause(g.context()));
            assertNull(parent.err());
            parent.cancel();
        });
    }

    /**
     * A failed await between two real waiters: the ticket it gave up is skipped, so two
     * signals wake the two real waiters (in FIFO order).
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void forfeitedTicketBetweenWaitersIsSkipped(TestMode mode) throws Exception {
        mode.run(() -> {
            Mutex mu = new Mutex();
            Cond c = new Cond(mu);
            Chan<String> order = Chan.make(2);
            mode.go(() -> {
                mu.lock();
                c.await();
                order.send("a");
                mu.unlock();
            });
            until(() -> c.parked() == 1);
            assertThrows(IllegalStateException.class, c::await);
            mode.go(() -> {
                mu.lock();
                c.await();
                order.send("b");
                mu.unlock();
            });
            until(() -> c.parked() == 2);
            c.signal();
            assertEquals("a", recvWithin(order, "first waiter"));
            c.signal();
            assertEquals("b", recvWithin(order, "second waiter"));
            c.broadcast();
            assertEquals(0, c.parked());
        });
    }

    /**
     * Misuse that Go makes fatal ("sync: RUnlock of unlocked RWMutex") but panago turns into
     * an exception must leave the RWMutex intact: a writer locking at the same moment must
     * not be left parked forever.
     */
    @Test
    void failedRUnlockDoesNotStrandAConcurrentWriter() throws Exception {
        RWMutex rw = new RWMutex();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        AtomicInteger misuses = new AtomicInteger();
        Thread misuser = Thread.ofPlatform().daemon().start(() -> {
            while (!stop.get()) {
                try {
                    rw.runlock();
                    throw new AssertionError("runlock of unlocked RWMutex did not throw");
                } catch (IllegalStateException expected) {
                    misuses.incrementAndGet();
                }
            }
        });
        AtomicInteger writes = new AtomicInteger();
        AtomicReference<Throwable> broke = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().daemon().start(() -> {
            long end = System.nanoTime() + 1_000_000_000L;
            try {
                while (System.nanoTime() < end) {
                    rw.lock();
                    writes.incrementAndGet();
                    rw.unlock();
                }
            } catch (Throwable t) {
                broke.set(t);
            }
        });
        writer.join(5_000);
        stop.set(true);
        misuser.join(10_000);
        assertFalse(writer.isAlive(), "writer stranded in Lock after " + writes.get() + " writes, "
                + misuses.get() + " failed RUnlocks");
        assertNull(broke.get());
    }

    /**
     * Same for Mutex ("sync: unlock of unlocked mutex", fatal in Go): a failed unlock must
     * not strand a locker parked at that moment while the mutex is free.
     */
    @Test
    void failedUnlockDoesNotStrandAConcurrentLocker() throws Exception {
        Mutex mu = new Mutex();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable misuse = () -> {
            try {
                mu.unlock();
            } catch (IllegalStateException expected) {
                // unlocked already
            }
        };
        Runnable misuseLoop = () -> {
            while (!stop.get()) {
                misuse.run();
            }
        };
        Thread misuser = Thread.ofPlatform().daemon().start(misuseLoop);
        Thread misuser2 = Thread.ofPlatform().daemon().start(misuseLoop);
        AtomicInteger locks = new AtomicInteger();
        AtomicReference<Throwable> broke = new AtomicReference<>();
        Runnable lockLoop = () -> {
            long end = System.nanoTime() + 1_000_000_000L;
            try {
                while (System.nanoTime() < end) {
                    mu.lock();
                    locks.incrementAndGet();
                    misuse.run(); // the misuser may have unlocked it already: mutexes are not owned
                }
            } catch (Throwable t) {
                broke.set(t);
            }
        };
        Thread locker = Thread.ofPlatform().daemon().start(lockLoop);
        Thread locker2 = Thread.ofPlatform().daemon().start(lockLoop);
        locker.join(5_000);
        locker2.join(5_000);
        stop.set(true);
        misuser.join(10_000);
        misuser2.join(10_000);
        assertFalse(locker.isAlive() || locker2.isAlive(), "locker stranded after " + locks.get() + " locks: " + mu);
        assertNull(broke.get(), "lock() failed on a state a failed unlock left for a moment");
    }

    /** Same for RWMutex.Unlock ("sync: Unlock of unlocked RWMutex", fatal in Go). */
    @Test
    void failedWriteUnlockDoesNotStrandAConcurrentWriter() throws Exception {
        RWMutex rw = new RWMutex();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable misuse = () -> {
            try {
                rw.unlock();
            } catch (IllegalStateException expected) {
                // not write-locked
            }
        };
        Thread misuser = Thread.ofPlatform().daemon().start(() -> {
            while (!stop.get()) {
                misuse.run();
            }
        });
        AtomicInteger writes = new AtomicInteger();
        AtomicReference<Throwable> broke = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().daemon().start(() -> {
            long end = System.nanoTime() + 1_000_000_000L;
            try {
                while (System.nanoTime() < end) {
                    rw.lock();
                    writes.incrementAndGet();
                    misuse.run(); // the misuser may have unlocked it already
                    rw.rlock();
                    rw.runlock();
                }
            } catch (Throwable t) {
                broke.set(t);
            }
        });
        writer.join(5_000);
        stop.set(true);
        misuser.join(5_000);
        assertFalse(writer.isAlive(), "writer stranded after " + writes.get() + " writes");
        assertNull(broke.get());
    }
}
