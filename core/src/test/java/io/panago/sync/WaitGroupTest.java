package io.panago.sync;

import static io.panago.TestMode.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.panago.Chan;
import io.panago.TestMode;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Go's {@code sync/waitgroup_test.go}. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WaitGroupTest {

    @Test
    void awaitOnZeroCounterReturnsAtOnce() {
        new WaitGroup().await();
    }

    /** It started a goroutine that panicked (failing the enclosing Go.run) instead. */
    @Test
    void goRefusesANullTaskBeforeCountingIt() {
        WaitGroup wg = new WaitGroup();
        assertEquals("task", assertThrows(NullPointerException.class, () -> wg.go(null)).getMessage());
        assertEquals(0, wg.count());
    }

    @Test
    void negativeCounterThrows() {
        WaitGroup wg = new WaitGroup();
        wg.add(1);
        wg.done();
        var e = assertThrows(IllegalStateException.class, wg::done);
        assertEquals("sync: negative WaitGroup counter", e.getMessage());
    }

    /**
     * Go's TestWaitGroup: the same two groups reused across rounds; no goroutine passes
     * the first barrier before all have arrived.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void reusedAcrossRounds(TestMode mode) throws Exception {
        mode.run(() -> {
            WaitGroup wg1 = new WaitGroup();
            WaitGroup wg2 = new WaitGroup();
            for (int round = 0; round < 8; round++) {
                int n = 16;
                wg1.add(n);
                wg2.add(n);
                Chan<Boolean> exited = Chan.make(n);
                for (int i = 0; i < n; i++) {
                    mode.go(() -> {
                        wg1.done();
                        wg2.await();
                        exited.send(true);
                    });
                }
                wg1.await();
                for (int i = 0; i < n; i++) {
                    if (exited.tryRecv() != null) {
                        throw new AssertionError("WaitGroup released group too soon");
                    }
                    wg2.done();
                }
                for (int i = 0; i < n; i++) {
                    exited.recv();
                }
            }
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void lastDoneWakesEveryParkedWaiter(TestMode mode) throws Exception {
        mode.run(() -> {
            WaitGroup wg = new WaitGroup();
            wg.add(1);
            Chan<Integer> woke = Chan.make(5);
            for (int i = 0; i < 5; i++) {
                mode.go(() -> {
                    wg.await();
                    woke.send(1);
                });
            }
            until(() -> wg.waiters() == 5 && wg.sema().waiting() == 5);
            assertEquals(null, woke.tryRecv());
            wg.done();
            for (int i = 0; i < 5; i++) {
                woke.recv();
            }
            assertEquals(0, wg.waiters());
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void goCountsTheGoroutine(TestMode mode) throws Exception {
        mode.run(() -> {
            WaitGroup wg = new WaitGroup();
            AtomicInteger ran = new AtomicInteger();
            for (int i = 0; i < 100; i++) {
                wg.go(ran::incrementAndGet);
            }
            wg.await();
            assertEquals(100, ran.get());
            assertEquals(0, wg.count());
        });
    }
}
