package io.panago;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** Adversarial tests of the public runtime API ({@link Go}, {@link PanicHandler}). */
class RuntimeApiHuntTest {
    private final int procs = Go.gomaxprocs();

    /** Closed after each test: ends the mains these tests leave parked after their run failed. */
    private static volatile Chan<Object> release = Chan.make(0);

    private static void parkUntilTestEnds() {
        release.recv();
    }

    private static void releaseParked() {
        Chan<Object> r = release;
        release = Chan.make(0);
        r.close();
    }

    @AfterEach
    void restore() {
        releaseParked();
        Go.setPanicHandler(null);
        Go.gomaxprocs(procs);
    }

    /** Runs {@code c} on a fresh plain thread and waits at most 20 s for it. */
    private static <T> T bounded(Callable<T> c) throws Throwable {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(c.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "hunt-bounded");
        t.setDaemon(true);
        t.start();
        try {
            return f.get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("hung", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
        throw (E) t;
    }

    private static void awaitBaseline(int baseline) throws InterruptedException {
        releaseParked();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Go.numGoroutine() > baseline && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        // At most: goroutines other tests left parked may end meanwhile.
        int now = Go.numGoroutine();
        assertTrue(now <= baseline, "goroutines left behind: " + now + " > " + baseline);
    }

    // ---------------------------------------------------------------- panics

    @Test
    void panicHandlerThatRethrowsThePanicFallsBackToTheDefault() throws Throwable {
        // A handler that declines a panic by rethrowing it: the code means the default then
        // (print, fail Go.run); t.addSuppressed(t) threw IllegalArgumentException out of the
        // goroutine's body, killing its carrier and leaving Go.run parked.
        int baseline = Go.numGoroutine();
        Go.setPanicHandler((id, t) -> {
            throw sneaky(t);
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bounded(() -> Go.run(() -> {
            Go.go(() -> {
                throw new IllegalStateException("declined");
            });
            parkUntilTestEnds();
            return null;
        })));
        assertEquals("declined", e.getMessage());
        awaitBaseline(baseline);
    }

    static final class BadMessage extends RuntimeException {
        @Override
        public String getMessage() {
            throw new UnsupportedOperationException("no message");
        }
    }

    @Test
    void panicWhoseMessageThrowsStillFailsTheRun() throws Throwable {
        // Go: a panic value whose Error method panics is still reported ("panic while printing
        // panic value") and still ends the program. Here printing it threw out of the goroutine's
        // body: the carrier died and Go.run never returned.
        int baseline = Go.numGoroutine();
        assertThrows(BadMessage.class, () -> bounded(() -> Go.run(() -> {
            Go.go(() -> {
                throw new BadMessage();
            });
            parkUntilTestEnds();
            return null;
        })));
        awaitBaseline(baseline);
    }

    @Test
    void panicHandlerThatThrowsSomethingElseFallsBackWithItSuppressed() throws Throwable {
        Go.setPanicHandler((id, t) -> {
            throw new UnsupportedOperationException("handler");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bounded(() -> Go.run(() -> {
            Go.go(() -> {
                throw new IllegalStateException("child");
            });
            parkUntilTestEnds();
            return null;
        })));
        assertEquals("handler", e.getSuppressed()[0].getMessage());
    }

    @Test
    void panicAfterANestedRunReturnedFailsTheEnclosingRun() throws Throwable {
        // Go.run: "A panic of a goroutine it started, directly or not, ends the wait too". The
        // grandchild below was started (through a nested Go.run's main) by the outer main; once
        // the nested run has returned, its panic was only printed and the outer run waited on.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bounded(() -> Go.run(() -> {
            Go.run(() -> Go.go(() -> {
                Go.sleep(Duration.ofMillis(20));
                throw new IllegalStateException("late");
            }));
            parkUntilTestEnds();
            return null;
        })));
        assertEquals("late", e.getMessage());
    }

    @Test
    void panicWhileANestedRunWaitsFailsOnlyThatRun() throws Throwable {
        assertEquals("caught late", bounded(() -> Go.run(() -> {
            try {
                Go.run(() -> {
                    Go.go(() -> {
                        throw new IllegalStateException("late");
                    });
                    parkUntilTestEnds();
                });
                return "returned";
            } catch (IllegalStateException e) {
                return "caught " + e.getMessage();
            }
        })));
    }

    private static int depth(int n) {
        return n == Integer.MAX_VALUE ? n : depth(n + 1) + 1;
    }

    @Test
    void stackOverflowInMainAndChildIsRethrown() throws Throwable {
        int baseline = Go.numGoroutine();
        assertThrows(StackOverflowError.class, () -> bounded(() -> Go.run(() -> depth(0))));
        assertThrows(StackOverflowError.class, () -> bounded(() -> Go.run(() -> {
            Go.go(() -> depth(0));
            parkUntilTestEnds();
            return null;
        })));
        assertEquals(42, (int) bounded(() -> Go.run(() -> 42)));
        awaitBaseline(baseline);
    }

    @Test
    void concurrentRunsEachFailWithTheirOwnChildsPanic() throws Throwable {
        int n = 8;
        List<CompletableFuture<String>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String tag = "run" + i;
            CompletableFuture<String> f = new CompletableFuture<>();
            fs.add(f);
            Thread t = new Thread(() -> {
                try {
                    Go.run(() -> {
                        Go.go(() -> Go.go(() -> {
                            Go.sleep(Duration.ofMillis(5));
                            throw new IllegalStateException(tag);
                        }));
                        parkUntilTestEnds();
                    });
                    f.complete("returned");
                } catch (Throwable e) {
                    f.complete(e.getMessage());
                }
            });
            t.setDaemon(true);
            t.start();
        }
        for (int i = 0; i < n; i++) {
            assertEquals("run" + i, fs.get(i).get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void runWithNullResultAndErrorsUnwrapped() throws Throwable {
        assertNull(bounded(() -> Go.run(() -> null)));
        Error err = new AssertionError("err");
        assertSame(err, assertThrows(AssertionError.class, () -> Go.run((Runnable) () -> {
            throw err;
        })));
        // A checked exception thrown sneakily from a Runnable is wrapped, as documented.
        Exception io = new java.io.IOException("io");
        java.util.concurrent.CompletionException ce = assertThrows(java.util.concurrent.CompletionException.class,
                () -> Go.run((Runnable) () -> {
                    throw sneaky(io);
                }));
        assertSame(io, ce.getCause());
    }

    @Test
    void runsFromPlainAndVirtualThreadsNestedWithPanicsAndBlocking() throws Throwable {
        int threads = 16;
        AtomicInteger ok = new AtomicInteger();
        AtomicReference<Throwable> bad = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            int tt = t;
            Runnable body = () -> {
                try {
                    for (int i = 0; i < 30; i++) {
                        int k = i;
                        String r = Go.run(() -> Go.blocking(() -> {
                            try {
                                return Go.run(() -> {
                                    if (k % 3 == 0) {
                                        Go.go(() -> {
                                            throw new IllegalStateException("p" + tt + "." + k);
                                        });
                                        parkUntilTestEnds();
                                    }
                                    Go.yield();
                                    return "v" + k;
                                });
                            } catch (IllegalStateException e) {
                                return e.getMessage();
                            }
                        }));
                        String want = k % 3 == 0 ? "p" + tt + "." + k : "v" + k;
                        if (!want.equals(r)) {
                            throw new AssertionError(want + " != " + r);
                        }
                    }
                    ok.incrementAndGet();
                } catch (Throwable e) {
                    bad.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            };
            if (t % 2 == 0) {
                Thread.ofVirtual().start(body);
            } else {
                Thread.ofPlatform().daemon().start(body);
            }
        }
        assertTrue(done.await(30, TimeUnit.SECONDS), "hung");
        if (bad.get() != null) {
            throw bad.get();
        }
        assertEquals(threads, ok.get());
    }

    // ---------------------------------------------------------------- gomaxprocs

    @Test
    void gomaxprocsBelowOneOnlyQueries() {
        int cur = Go.gomaxprocs();
        assertEquals(cur, Go.gomaxprocs(0));
        assertEquals(cur, Go.gomaxprocs(-5));
        assertEquals(cur, Go.gomaxprocs(Integer.MIN_VALUE));
        assertEquals(cur, Go.gomaxprocs());
    }

    @Test
    void gomaxprocsThatCannotBeAllocatedLeavesTheOldValue() throws Throwable {
        // new P[Integer.MAX_VALUE] cannot be allocated: the call may fail, but GOMAXPROCS was
        // set before the allocation and stayed at 2^31-1 with the old Ps (globrunqget's fair
        // share and wakep's "last P" test use it).
        int cur = Go.gomaxprocs();
        try {
            Go.gomaxprocs(Integer.MAX_VALUE);
        } catch (OutOfMemoryError expected) {
            // acceptable
        }
        assertEquals(cur, Go.gomaxprocs());
        assertEquals(7, (int) bounded(() -> Go.run(() -> 7)));
    }

    @Test
    @Timeout(value = 5, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shrinkingFromAHundredThousandProcsDoesNotStallTheScheduler() throws Throwable {
        // Shrinking looked each retired P up in the idle list: 100,000 Ps back to a few took
        // about 20 s under the scheduler lock; it takes well under a second.
        int cur = Go.gomaxprocs();
        assertEquals(cur, bounded(() -> Go.gomaxprocs(100_000)));
        assertEquals(100_000, (int) bounded(() -> Go.gomaxprocs(cur)));
        assertEquals(7, (int) bounded(() -> Go.run(() -> 7)));
    }

    @Test
    void gomaxprocsChangedFromGoroutinesWhileOthersRun() throws Throwable {
        int baseline = Go.numGoroutine();
        AtomicInteger sum = new AtomicInteger();
        bounded(() -> Go.run(() -> {
            Chan<Integer> c = Chan.make(0);
            int workers = 16;
            for (int w = 0; w < workers; w++) {
                int ww = w;
                Go.go(() -> {
                    for (int i = 0; i < 200; i++) {
                        if (i % 20 == 0) {
                            Go.gomaxprocs(1 + (ww + i) % 4);
                        }
                        Go.yield();
                    }
                    c.send(1);
                });
            }
            for (int w = 0; w < workers; w++) {
                sum.addAndGet(c.recv());
            }
            return null;
        }));
        assertEquals(16, sum.get());
        awaitBaseline(baseline);
    }

    // ---------------------------------------------------------------- blocking

    @Test
    void blockingRethrowsUnchangedAndKeepsTheRuntimeWorking() throws Throwable {
        Go.gomaxprocs(1);
        java.io.IOException io = new java.io.IOException("io");
        bounded(() -> Go.run(() -> {
            for (int i = 0; i < 100; i++) {
                java.io.IOException got = assertThrows(java.io.IOException.class, () -> Go.blocking(() -> {
                    throw io;
                }));
                assertSame(io, got);
                Error e = new AssertionError("x");
                assertSame(e, assertThrows(AssertionError.class, () -> Go.blocking(() -> {
                    throw e;
                })));
                assertEquals("v", Go.blocking(() -> Go.blocking(() -> "v")));
                assertNull(Go.blocking(() -> null));
            }
            // The P is back: another goroutine runs when this one yields.
            AtomicBoolean ran = new AtomicBoolean();
            Go.go(() -> ran.set(true));
            for (int i = 0; i < 1000 && !ran.get(); i++) {
                Go.yield();
            }
            assertTrue(ran.get());
            return null;
        }));
        assertEquals("plain", Go.blocking(() -> "plain"));
    }

    @Test
    void blockingThatLostItsPRethrowsUnchanged() throws Throwable {
        Go.gomaxprocs(1);
        java.io.IOException io = new java.io.IOException("late");
        bounded(() -> Go.run(() -> {
            AtomicInteger others = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            Go.go(() -> {
                while (!stop.get()) {
                    others.incrementAndGet();
                    Go.yield();
                }
            });
            for (int i = 0; i < 3; i++) {
                int before = others.get();
                assertSame(io, assertThrows(java.io.IOException.class, () -> Go.blocking(() -> {
                    // Until sysmon has handed the P to the other goroutine (GOMAXPROCS 1: it
                    // cannot run before), however long a loaded machine makes that take.
                    long giveUp = System.nanoTime() + 5_000_000_000L;
                    while (others.get() == before && System.nanoTime() < giveUp) {
                        Thread.sleep(1);
                    }
                    throw io;
                })));
                assertTrue(others.get() > before, "the other goroutine ran meanwhile");
            }
            stop.set(true);
            return null;
        }));
    }

    @Test
    void deeplyNestedBlockingWithParks() throws Throwable {
        bounded(() -> Go.run(() -> {
            assertEquals(200, nest(200));
            return null;
        }));
    }

    private static int nest(int n) throws Exception {
        if (n == 0) {
            return 0;
        }
        return Go.blocking(() -> {
            if (n % 50 == 0) {
                Go.sleep(Duration.ofMillis(1));
                Go.yield();
            }
            return nest(n - 1) + 1;
        });
    }

    // ---------------------------------------------------------------- lockOSThread

    @Test
    void unlockMoreThanLockIsIgnoredAndLockStillNests() throws Throwable {
        bounded(() -> Go.run(() -> {
            Go.unlockOSThread();
            Go.unlockOSThread();
            Go.lockOSThread();
            Go.lockOSThread();
            Thread t = Thread.currentThread();
            Go.sleep(Duration.ofMillis(1));
            assertSame(t, Thread.currentThread());
            Go.unlockOSThread();
            Go.sleep(Duration.ofMillis(1));
            assertSame(t, Thread.currentThread());
            Go.unlockOSThread();
            Go.unlockOSThread();
            return null;
        }));
    }

    // ---------------------------------------------------------------- yield, numGoroutine

    @Test
    void yieldLoopWithOneProcLetsOthersRun() throws Throwable {
        Go.gomaxprocs(1);
        bounded(() -> Go.run(() -> {
            AtomicInteger turns = new AtomicInteger();
            for (int i = 0; i < 4; i++) {
                Go.go(() -> {
                    while (turns.get() < 10_000) {
                        turns.incrementAndGet();
                        Go.yield();
                    }
                });
            }
            while (turns.get() < 10_000) {
                Go.yield();
            }
            return null;
        }));
    }

    @Test
    void numGoroutineBackToBaselineAfterSpawnStorm() throws Throwable {
        int baseline = Go.numGoroutine();
        bounded(() -> Go.run(() -> {
            CountDownLatch done = new CountDownLatch(20_000);
            for (int i = 0; i < 100; i++) {
                Go.go(() -> {
                    for (int j = 0; j < 200; j++) {
                        Go.go(done::countDown);
                    }
                });
            }
            assertTrue(Go.blocking(() -> done.await(20, TimeUnit.SECONDS)));
            assertTrue(Go.numGoroutine() >= 1);
            return null;
        }));
        awaitBaseline(baseline);
    }

    // ---------------------------------------------------------------- dump

    @Test
    void dumpShowsRunningAndSyscallGoroutinesWithTheirFrames() throws Throwable {
        Go.gomaxprocs(Math.max(2, procs));
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(2);
        Go.go(() -> spinHere(stop, started));
        Go.go(() -> {
            try {
                Go.blocking(() -> {
                    blockHere(stop, started);
                    return null;
                });
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try {
            assertTrue(started.await(10, TimeUnit.SECONDS));
            Thread.sleep(20);
            String d = Go.dump();
            assertTrue(java.util.regex.Pattern.compile("goroutine \\d+ \\[running\\]:\n(\tat .*\n)*\tat [^\n]*spinHere")
                    .matcher(d).find(), d);
            assertTrue(java.util.regex.Pattern.compile("goroutine \\d+ \\[syscall\\]:\n(\tat .*\n)*\tat [^\n]*blockHere")
                    .matcher(d).find(), d);
        } finally {
            stop.set(true);
        }
    }

    @Test
    void dumpShowsGoroutinesThatNeverRanYet() throws Throwable {
        Go.gomaxprocs(1);
        String d = bounded(() -> Go.run(() -> {
            Go.lockOSThread(); // nothing else runs on this P until the dump is taken
            try {
                List<Long> ids = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    Go.go(() -> {
                    });
                }
                String dump = Go.dump();
                return dump;
            } finally {
                Go.unlockOSThread();
            }
        }));
        assertTrue(d.contains("[runnable]"), d);
    }

    @Test
    void dumpWhileLockedGoroutinesParkAndWake() throws Throwable {
        // A locked goroutine parks on its carrier; once readied it is RUNNABLE while still
        // mounted there until its carrier wakes and marks it running. The dump took every
        // RUNNABLE goroutine for an unmounted one and walked its continuation, which throws
        // IllegalStateException when mounted (Continuation.getStackTrace's javadoc); here it
        // gave no frames: the goroutine was listed without its stack.
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(4);
        for (int pair = 0; pair < 2; pair++) {
            Chan<Integer> ping = Chan.make(0);
            Chan<Integer> pong = Chan.make(0);
            Go.go(() -> {
                Go.lockOSThread();
                while (!stop.get()) {
                    ping.send(1);
                    pong.recv();
                }
                ping.close();
                done.countDown();
            });
            Go.go(() -> {
                Go.lockOSThread();
                while (ping.recv() != null) {
                    pong.send(1);
                }
                done.countDown();
            });
        }
        Throwable failure = null;
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < end && failure == null) {
                try {
                    String d = Go.dump();
                    java.util.regex.Matcher m = java.util.regex.Pattern
                            .compile("goroutine \\d+ \\[[^\\]]*locked to thread\\]:\n(?!\tat |\t\\(stack unavailable)")
                            .matcher(d);
                    if (m.find()) {
                        failure = new AssertionError("a goroutine without its stack: " + d);
                    }
                } catch (Throwable e) {
                    failure = e;
                }
            }
        } finally {
            stop.set(true);
        }
        assertTrue(done.await(10, TimeUnit.SECONDS));
        if (failure != null) {
            throw new AssertionError("Go.dump() failed", failure);
        }
    }

    @Test
    void dumpNeverShowsSchedulerFramesOfGoroutinesBeingMounted() throws Throwable {
        // A goroutine mounted but not yet in (or already out of) its code: trim found no
        // G.body frame on its carrier's stack and printed the carrier's, scheduler and all. The
        // first mount in a JVM initialises VirtualThread (Continuation.run asks for its scope),
        // which makes the window wide.
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(2);
        for (int i = 0; i < 2; i++) {
            Go.go(() -> {
                while (!stop.get()) {
                    CountDownLatch batch = new CountDownLatch(50);
                    for (int j = 0; j < 50; j++) {
                        Go.go(batch::countDown);
                    }
                    Go.yield();
                    try {
                        Go.blocking(() -> batch.await(10, TimeUnit.SECONDS));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }
                done.countDown();
            });
        }
        String bad = null;
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < end && bad == null) {
                String d = Go.dump();
                if (d.contains("Sched.mstart") || d.contains("Sched.execute")) {
                    bad = d;
                }
            }
        } finally {
            stop.set(true);
        }
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertNull(bad, "scheduler frames in the dump");
    }

    static void spinHere(AtomicBoolean stop, CountDownLatch started) {
        started.countDown();
        while (!stop.get()) {
            Thread.onSpinWait();
        }
    }

    static void blockHere(AtomicBoolean stop, CountDownLatch started) throws InterruptedException {
        started.countDown();
        while (!stop.get()) {
            Thread.sleep(1);
        }
    }

    @Test
    void anInterruptOfAnIdleCarrierDoesNotReachTheNextGoroutine() throws Throwable {
        // Go's javadoc: "Goroutines are not interrupted". A carrier interrupted while it waits
        // for work (here: blocked in the poller, as the last idle M is while a timer is pending,
        // or in scheduler code) kept the flag, and the next goroutine it mounted saw it (a
        // Go.blocking(queue::take) there failed with InterruptedException). execute only
        // cleared it after the goroutine had run.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger seen = new AtomicInteger();
        Go.go(() -> {
            while (!stop.get()) {
                Go.sleep(Duration.ofMillis(30)); // a pending timer: an idle M waits in netpoll
                if (Thread.currentThread().isInterrupted()) {
                    seen.incrementAndGet();
                }
            }
        });
        try {
            for (int round = 0; round < 5; round++) {
                bounded(() -> Go.run(() -> null)); // make sure the carriers exist and are idle
                Thread.sleep(50);
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    if (t.getName().startsWith("panago-M")) {
                        t.interrupt();
                    }
                }
                Thread.sleep(20);
                bounded(() -> Go.run(() -> {
                    CountDownLatch done = new CountDownLatch(64);
                    for (int i = 0; i < 64; i++) {
                        Go.go(() -> {
                            if (Thread.currentThread().isInterrupted()) {
                                seen.incrementAndGet();
                            }
                            done.countDown();
                        });
                    }
                    if (Thread.currentThread().isInterrupted()) {
                        seen.incrementAndGet();
                    }
                    return Go.blocking(() -> done.await(10, TimeUnit.SECONDS));
                }));
            }
            assertEquals(0, seen.get(), "goroutines that started with their carrier's interrupt set");
        } finally {
            stop.set(true);
        }
    }

    // ---------------------------------------------------------------- plain threads

    @Test
    void goroutineStartedByAThreadThatExitsRuns() throws Throwable {
        AtomicReference<Throwable> err = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread t = new Thread(() -> Go.go(() -> {
            Go.sleep(Duration.ofMillis(20));
            done.countDown();
        }));
        t.start();
        t.join(10_000);
        assertFalse(t.isAlive());
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertNull(err.get());
    }
}
