package io.panago.sync;

import static io.panago.TestMode.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Chan;
import io.panago.TestMode;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Go's {@code sync/rwmutex_test.go}. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RWMutexTest {

    @Test
    void tryLockAndTryRLock() {
        RWMutex rw = new RWMutex();
        assertTrue(rw.tryRLock());
        assertTrue(rw.tryRLock());
        assertFalse(rw.tryLock());
        rw.runlock();
        rw.runlock();
        assertTrue(rw.tryLock());
        assertFalse(rw.tryRLock());
        assertFalse(rw.tryLock());
        rw.unlock();
    }

    @Test
    void unlockOfUnlockedThrows() {
        RWMutex rw = new RWMutex();
        assertEquals("sync: RUnlock of unlocked RWMutex", assertThrows(IllegalStateException.class, rw::runlock).getMessage());
        assertEquals("sync: Unlock of unlocked RWMutex", assertThrows(IllegalStateException.class, rw::unlock).getMessage());
        rw.lock();
        rw.unlock();
    }

    /** Go's TestParallelReaders: readers hold the lock at the same time. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void readersShareTheLock(TestMode mode) throws Exception {
        mode.run(() -> {
            RWMutex rw = new RWMutex();
            int n = 4;
            Chan<Void> locked = Chan.make();
            Chan<Void> release = Chan.make();
            WaitGroup wg = new WaitGroup();
            wg.add(n);
            for (int i = 0; i < n; i++) {
                mode.go(() -> {
                    rw.rlock();
                    locked.send(null);
                    release.recv();
                    rw.runlock();
                    wg.done();
                });
            }
            for (int i = 0; i < n; i++) {
                locked.recv();
            }
            release.close();
            wg.await();
        });
    }

    /** A parked writer keeps new readers out, and its unlock lets them all in. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void pendingWriterBlocksNewReaders(TestMode mode) throws Exception {
        mode.run(() -> {
            RWMutex rw = new RWMutex();
            rw.rlock();
            AtomicReference<String> order = new AtomicReference<>("");
            WaitGroup wg = new WaitGroup();
            wg.add(3);
            mode.go(() -> {
                rw.lock();
                order.accumulateAndGet("W", String::concat);
                rw.unlock();
                wg.done();
            });
            until(() -> rw.parked() == 1);
            assertFalse(rw.tryRLock());
            for (int i = 0; i < 2; i++) {
                mode.go(() -> {
                    rw.rlock();
                    order.accumulateAndGet("R", String::concat);
                    rw.runlock();
                    wg.done();
                });
            }
            until(() -> rw.parked() == 3);
            rw.runlock();
            wg.await();
            assertEquals("WRR", order.get());
        });
    }

    /** Go's TestRWMutex/HammerRWMutex: writers exclusive, readers never see a writer. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void hammer(TestMode mode) throws Exception {
        mode.run(() -> {
            RWMutex rw = new RWMutex();
            AtomicInteger activity = new AtomicInteger();
            AtomicReference<String> failure = new AtomicReference<>();
            int iterations = mode == TestMode.THREADS ? 300 : 2000;
            int readers = 8;
            WaitGroup wg = new WaitGroup();
            wg.add(readers + 2);
            for (int w = 0; w < 2; w++) {
                mode.go(() -> {
                    for (int i = 0; i < iterations; i++) {
                        rw.lock();
                        int a = activity.addAndGet(10000);
                        if (a != 10000) {
                            failure.set("writer saw activity " + a);
                        }
                        activity.addAndGet(-10000);
                        rw.unlock();
                    }
                    wg.done();
                });
            }
            for (int r = 0; r < readers; r++) {
                mode.go(() -> {
                    for (int i = 0; i < iterations; i++) {
                        rw.rlock();
                        int a = activity.incrementAndGet();
                        if (a < 1 || a >= 10000) {
                            failure.set("reader saw activity " + a);
                        }
                        activity.decrementAndGet();
                        rw.runlock();
                    }
                    wg.done();
                });
            }
            wg.await();
            assertNull(failure.get());
        });
    }
}
