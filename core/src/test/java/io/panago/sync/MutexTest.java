package io.panago.sync;

import static io.panago.TestMode.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Chan;
import io.panago.RecvChan;
import io.panago.Select;
import io.panago.TestMode;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Go's {@code sync/mutex_test.go}. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MutexTest {

    @Test
    void tryLockFailsWhileLocked() {
        Mutex m = new Mutex();
        assertTrue(m.tryLock());
        assertFalse(m.tryLock());
        m.unlock();
        assertTrue(m.tryLock());
        m.unlock();
    }

    @Test
    void unlockOfUnlockedMutexThrows() {
        Mutex m = new Mutex();
        var e = assertThrows(IllegalStateException.class, m::unlock);
        assertEquals("sync: unlock of unlocked mutex", e.getMessage());
        m.lock();
        m.unlock();
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void unlockWakesAParkedLocker(TestMode mode) throws Exception {
        mode.run(() -> {
            Mutex m = new Mutex();
            m.lock();
            AtomicBoolean got = new AtomicBoolean();
            RecvChan<Boolean> done = mode.async(() -> {
                m.lock();
                got.set(true);
                m.unlock();
                return true;
            });
            until(() -> m.waiters() == 1);
            assertFalse(got.get());
            m.unlock();
            assertTrue(done.recv());
        });
    }

    /** Go's TestMutex/HammerMutex: a plain counter stays exact under the lock. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void providesMutualExclusion(TestMode mode) throws Exception {
        mode.run(() -> {
            Mutex m = new Mutex();
            int parties = 10;
            int loops = mode == TestMode.THREADS ? 5_000 : 20_000;
            int[] counter = {0};
            WaitGroup wg = new WaitGroup();
            wg.add(parties);
            for (int p = 0; p < parties; p++) {
                int me = p;
                mode.go(() -> {
                    for (int i = 0; i < loops; i++) {
                        if (me % 3 == 0 && m.tryLock() || me % 3 != 0) {
                            if (me % 3 != 0) {
                                m.lock();
                            }
                            counter[0]++;
                            m.unlock();
                        } else {
                            i--;
                        }
                    }
                    wg.done();
                });
            }
            wg.await();
            m.lock();
            assertEquals(parties * loops, counter[0]);
            m.unlock();
        });
    }

    /**
     * Go's TestMutexFairness: a goroutine that holds the mutex most of the time cannot
     * starve another that wants it ten times (starvation mode hands it over).
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void contendedWaiterIsNotStarved(TestMode mode) throws Exception {
        mode.run(() -> {
            Mutex mu = new Mutex();
            Chan<Void> stop = Chan.make();
            mode.go(() -> {
                for (;;) {
                    mu.lock();
                    TestMode.sleep(Duration.ofNanos(100_000));
                    mu.unlock();
                    if (stop.tryRecv() != null) {
                        return;
                    }
                }
            });
            Chan<Boolean> done = Chan.make(1);
            mode.go(() -> {
                for (int i = 0; i < 10; i++) {
                    TestMode.sleep(Duration.ofNanos(100_000));
                    mu.lock();
                    mu.unlock();
                }
                done.send(true);
            });
            Select sel = new Select();
            var d = sel.recv(done);
            int r = sel.select(Duration.ofSeconds(10));
            stop.close();
            assertEquals(d.index(), r, "can't acquire Mutex in 10 seconds");
        });
    }

    /**
     * A waiter that lost the race to a barging locker after waiting over 1 ms switches
     * the mutex to starvation mode; unlock then hands the mutex to it directly, so an
     * arriving goroutine cannot take it, and the last waiter switches back.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void starvingWaiterIsHandedTheMutex(TestMode mode) throws Exception {
        mode.run(() -> {
            for (int attempt = 0; ; attempt++) {
                assertTrue(attempt < 20, "waiter never lost to a barging lock");
                Mutex mu = new Mutex();
                mu.lock();
                AtomicBoolean got = new AtomicBoolean();
                StringBuilder order = new StringBuilder();
                WaitGroup wg = new WaitGroup();
                wg.add(1);
                mode.go(() -> {
                    mu.lock();
                    got.set(true);
                    order.append('W');
                    mu.unlock();
                    wg.done();
                });
                until(() -> mu.waiters() == 1);
                TestMode.sleep(Duration.ofMillis(2));
                mu.unlock();
                mu.lock(); // barge past the woken waiter
                until(() -> mu.starving() || got.get());
                if (got.get()) {
                    mu.unlock();
                    wg.await();
                    continue;
                }
                // Queued on the semaphore, not only counted: a hand-off that found nobody there
                // would be taken by the next arrival (as in Go), and the arrival is the test.
                until(() -> mu.waiters() == 1 && mu.queued() == 1);
                mu.unlock();
                mu.lock(); // an arrival: must queue behind the starving waiter
                order.append('M');
                mu.unlock();
                wg.await();
                assertEquals("WM", order.toString());
                assertFalse(mu.starving());
                assertTrue(mu.tryLock());
                mu.unlock();
                return;
            }
        });
    }
}
