package io.panago.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Chan;
import io.panago.TestMode;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Go's {@code sync/once_test.go} and {@code oncefunc_test.go}. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OnceTest {

    @Test
    void aNullActionIsRefusedAndLeavesTheOnceUnused() {
        Once once = new Once();
        assertEquals("f", assertThrows(NullPointerException.class, () -> once.run(null)).getMessage());
        assertFalse(once.isDone());
        AtomicInteger runs = new AtomicInteger();
        once.run(runs::incrementAndGet);
        assertEquals(1, runs.get());
        assertEquals("f", assertThrows(NullPointerException.class, () -> Once.value(null)).getMessage());
    }

    /** Go's TestOnce: one run; every caller returns only after it completed. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void runsOnceAndCallersWaitForIt(TestMode mode) throws Exception {
        mode.run(() -> {
            Once once = new Once();
            AtomicInteger runs = new AtomicInteger();
            AtomicInteger finished = new AtomicInteger();
            int n = 10;
            Chan<Integer> seen = Chan.make(n);
            for (int i = 0; i < n; i++) {
                mode.go(() -> {
                    once.run(() -> {
                        runs.incrementAndGet();
                        TestMode.sleep(Duration.ofMillis(5));
                        finished.set(1);
                    });
                    seen.send(finished.get());
                });
            }
            for (int i = 0; i < n; i++) {
                assertEquals(1, seen.recv());
            }
            assertEquals(1, runs.get());
            assertTrue(once.isDone());
        });
    }

    /** Go's TestOncePanic: a throwing action still counts as done. */
    @Test
    void throwingActionCountsAsDone() {
        Once once = new Once();
        assertThrows(IllegalStateException.class, () -> once.run(() -> {
            throw new IllegalStateException("boom");
        }));
        once.run(() -> {
            throw new AssertionError("ran twice");
        });
    }

    @Test
    void onceValueComputesOnceAndRethrows() {
        AtomicInteger calls = new AtomicInteger();
        Supplier<Integer> v = Once.value(calls::incrementAndGet);
        assertEquals(1, v.get());
        assertEquals(1, v.get());
        assertEquals(1, calls.get());
        RuntimeException boom = new RuntimeException("boom");
        Supplier<Integer> f = Once.value(() -> {
            calls.incrementAndGet();
            throw boom;
        });
        assertSame(boom, assertThrows(RuntimeException.class, f::get));
        assertSame(boom, assertThrows(RuntimeException.class, f::get));
        assertEquals(2, calls.get());
    }
}
