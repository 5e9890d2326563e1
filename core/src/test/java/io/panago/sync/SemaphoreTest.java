package io.panago.sync;

import static io.panago.TestMode.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Chan;
import io.panago.RecvChan;
import io.panago.TestMode;
import io.panago.context.CancelContext;
import io.panago.context.Context;
import io.panago.context.ContextError;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code golang.org/x/sync/semaphore}'s tests. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SemaphoreTest {

    @Test
    void tryAcquireRespectsTheSize() {
        Semaphore s = new Semaphore(3);
        assertTrue(s.tryAcquire(2));
        assertFalse(s.tryAcquire(2));
        assertTrue(s.tryAcquire(1));
        s.release(3);
        assertTrue(s.tryAcquire(3));
        s.release(3);
        assertEquals(0, s.held());
    }

    @Test
    void releasingMoreThanHeldThrows() {
        Semaphore s = new Semaphore(1);
        var e = assertThrows(IllegalStateException.class, () -> s.release(1));
        assertEquals("semaphore: released more than held", e.getMessage());
    }

    /** A negative weight would release on acquire and acquire on release: refused, nothing changes. */
    @Test
    void negativeWeightsAreRefused() {
        Semaphore s = new Semaphore(2);
        s.acquire(1);
        var e = assertThrows(IllegalArgumentException.class, () -> s.acquire(-1));
        assertEquals("semaphore: negative weight -1", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.tryAcquire(-2));
        assertThrows(IllegalArgumentException.class, () -> s.release(-1));
        assertThrows(NullPointerException.class, () -> s.acquire(null, 1));
        assertEquals(1, s.held());
        assertFalse(s.tryAcquire(2));
        s.release(1);
        assertTrue(s.tryAcquire(2));
    }

    @Test
    void acquireWithDoneContextFailsAtOnce() {
        Semaphore s = new Semaphore(1);
        CancelContext ctx = Context.withCancel(Context.background());
        ctx.cancel();
        assertSame(Context.CANCELED, assertThrows(ContextError.class, () -> s.acquire(ctx, 1)));
        assertEquals(0, s.held());
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void releaseWakesAParkedAcquirer(TestMode mode) throws Exception {
        mode.run(() -> {
            Semaphore s = new Semaphore(2);
            s.acquire(2);
            RecvChan<Boolean> got = mode.async(() -> {
                s.acquire(2);
                return true;
            });
            until(() -> s.waiters() == 1);
            s.release(1);
            assertNull(got.tryRecv());
            s.release(1);
            assertTrue(got.recv());
            assertEquals(2, s.held());
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void cancelWhileParkedFailsAndHoldsNothing(TestMode mode) throws Exception {
        mode.run(() -> {
            Semaphore s = new Semaphore(1);
            s.acquire(1);
            CancelContext ctx = Context.withCancel(Context.background());
            RecvChan<Object> outcome = mode.async(() -> {
                try {
                    s.acquire(ctx, 1);
                    return "acquired";
                } catch (ContextError e) {
                    return e;
                }
            });
            until(() -> s.waiters() == 1);
            ctx.cancel();
            assertSame(Context.CANCELED, outcome.recv());
            assertEquals(0, s.waiters());
            s.release(1);
            assertEquals(0, s.held());
        });
    }

    /** x/sync's TestLargeAcquireDoesntStarve: a big request at the head is served. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void largeAcquireIsNotStarvedBySmallOnes(TestMode mode) throws Exception {
        mode.run(() -> {
            int n = 8;
            Semaphore s = new Semaphore(n);
            Chan<Void> stop = Chan.make();
            WaitGroup wg = new WaitGroup();
            s.acquire(n);
            for (int i = 0; i < n; i++) {
                wg.add(1);
                mode.go(() -> {
                    while (stop.tryRecv() == null) {
                        s.acquire(1);
                        s.release(1);
                    }
                    wg.done();
                });
            }
            until(() -> s.waiters() == n);
            // The large acquirer queues after the small ones and must still get in.
            RecvChan<Boolean> big = mode.async(() -> {
                s.acquire(n);
                s.release(n);
                return true;
            });
            until(() -> s.waiters() == n + 1);
            s.release(n);
            assertTrue(big.recv());
            stop.close();
            wg.await();
        });
    }

    /** x/sync's TestWeighted: random weights never exceed the size. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void concurrentRandomWeightsNeverExceedTheSize(TestMode mode) throws Exception {
        mode.run(() -> {
            long size = 10;
            Semaphore s = new Semaphore(size);
            AtomicLong inUse = new AtomicLong();
            AtomicReference<String> failure = new AtomicReference<>();
            int parties = 16;
            int loops = mode == TestMode.THREADS ? 200 : 2000;
            WaitGroup wg = new WaitGroup();
            wg.add(parties);
            for (int p = 0; p < parties; p++) {
                mode.go(() -> {
                    for (int i = 0; i < loops; i++) {
                        long w = 1 + ThreadLocalRandom.current().nextLong(size);
                        s.acquire(w);
                        if (inUse.addAndGet(w) > size) {
                            failure.set("over size");
                        }
                        inUse.addAndGet(-w);
                        s.release(w);
                    }
                    wg.done();
                });
            }
            wg.await();
            assertNull(failure.get());
            assertEquals(0, s.held());
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void requestLargerThanSizeWaitsForTheContext(TestMode mode) throws Exception {
        mode.run(() -> {
            Semaphore s = new Semaphore(1);
            try (CancelContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(20))) {
                assertSame(Context.DEADLINE_EXCEEDED, assertThrows(ContextError.class, () -> s.acquire(ctx, 2)));
            }
        });
    }
}
