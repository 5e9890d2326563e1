package io.panago.runtime;

import io.panago.Chan;
import io.panago.Go;
import io.panago.Select;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A full heap is an error a Java program can live through: the allocation that failed throws,
 * and once the memory is free again everything goes on. The runtime must live through it as
 * well. Before, a heap filled for a moment killed sysmon (handing a P to a new M that could not
 * be made) and left Ps with no M (a goroutine's spawn failing while its P was marked busy):
 * in three runs of four every goroutine stopped for good. Runs in a JVM with a small heap.
 */
class OutOfMemoryRecoveryTest {
    /**
     * Child main: ping-pong pairs, sleepers and spawners run while the main goroutine fills the
     * heap, holds it full for 200 ms and frees it, six times; after each, 200 new goroutines
     * must all run within 20 s. A goroutine the error reached outside its own catch panics, as
     * any goroutine whose code throws; the handler counts those. Prints "ok" and the number of
     * runtime threads that died, or what failed.
     */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            AtomicInteger deaths = new AtomicInteger();
            Thread.setDefaultUncaughtExceptionHandler((t, e) -> deaths.incrementAndGet());
            AtomicReference<Throwable> otherPanic = new AtomicReference<>();
            Go.setPanicHandler((id, t) -> {
                if (!(t instanceof OutOfMemoryError)) {
                    otherPanic.compareAndSet(null, t);
                }
            });
            AtomicLong work = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            String r = Go.run(() -> {
                for (int p = 0; p < 8; p++) {
                    Chan<Integer> x = Chan.make();
                    Chan<Integer> y = Chan.make();
                    Go.go(() -> survive(stop, () -> {
                        x.send(1);
                        y.recv();
                    }));
                    Go.go(() -> survive(stop, () -> {
                        x.recv();
                        y.send(1);
                        work.incrementAndGet();
                    }));
                    Go.go(() -> survive(stop, () -> {
                        Go.sleep(Duration.ofMillis(1));
                        Go.go(work::incrementAndGet);
                    }));
                }
                for (int round = 0; round < 6; round++) {
                    List<long[]> hog = new ArrayList<>();
                    try {
                        for (;;) {
                            hog.add(new long[1024]);
                        }
                    } catch (OutOfMemoryError full) {
                        // the heap is full: hold it so for a while
                    }
                    long until = System.nanoTime() + 200_000_000L;
                    while (System.nanoTime() < until) {
                        try {
                            Go.yield();
                        } catch (OutOfMemoryError e) {
                            // a yield that found no heap
                        }
                    }
                    hog = null;
                    Chan<Integer> ran = Chan.make(200);
                    for (int i = 0; i < 200; i++) {
                        Go.go(() -> ran.send(1));
                    }
                    for (int i = 0; i < 200; i++) {
                        if (Select.select(Select.onRecv(ran, v -> { }), Select.onTimeout(Duration.ofSeconds(20), () -> { })) != 0) {
                            return "after round " + round + ", " + i + " of 200 new goroutines ran";
                        }
                    }
                }
                stop.set(true);
                return otherPanic.get() == null ? "ok" : "panic: " + otherPanic.get();
            });
            System.out.println(r + " deaths=" + deaths.get());
        }

        private static void survive(AtomicBoolean stop, Runnable step) {
            while (!stop.get()) {
                try {
                    step.run();
                } catch (OutOfMemoryError e) {
                    // the step failed for want of heap; the next one may not
                }
            }
        }
    }

    @Test
    void theRuntimeOutlivesAFullHeap() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, Main.class, List.of(
                "--add-exports=java.base/jdk.internal.vm=io.panago.core",
                "--enable-native-access=io.panago.bindings,io.panago.core", "-Xmx64m"));
        // A line of its own: an M may still print an error it lived through after it.
        assertTrue(r.out().lines().anyMatch("ok deaths=0"::equals), r.out());
        assertEquals(0, r.exit(), r.out());
    }
}
