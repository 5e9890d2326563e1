package io.panago.runtime;

import io.panago.Chan;
import io.panago.Go;
import io.panago.context.CancelContext;
import io.panago.context.Context;
import io.panago.time.Time;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Timers that expire while the heap is full are delivered once it has room again: a
 * {@code Time.after} channel's value, a context's deadline and an {@code afterFunc}'s start
 * each allocate, and an expiry whose delivery failed was lost for good (the soak hunt: 10-30 of
 * 300 waiters never woke, in every run). Retried, a context's deadline then found the context
 * cancelled by the failed attempt but never marked settled (its cancel's last loop had met the
 * full heap too) and waited on it for good, on the scheduler's threads (a hang in 3 of 12
 * runs). A child JVM with a 32 MiB heap parks 300 waiters whose deadlines fall in a 400 ms
 * window of full heap, then frees it.
 */
class TimerOutOfMemoryTest {

    /** Child main: prints "woke N of M". */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            int n = 300;
            Go.setPanicHandler((id, t) -> { }); // the failed deliveries' reports
            Go.run(() -> { // every class the waiters use, initialised while there is room
                Time.after(Duration.ofMillis(1)).recv();
                try (CancelContext c = Context.withTimeout(Context.background(), Duration.ofMillis(1))) {
                    c.done().recvOk();
                }
                Chan<Integer> d = Chan.make(1);
                Time.afterFunc(Duration.ofMillis(1), () -> d.send(1));
                d.recv();
                return null;
            });
            AtomicInteger woke = new AtomicInteger();
            AtomicInteger started = new AtomicInteger();
            String r = Go.run(() -> {
                for (int i = 0; i < n; i++) {
                    int kind = i % 3;
                    Duration after = Duration.ofMillis(20 + i * 200L / n);
                    Go.go(() -> {
                        started.incrementAndGet();
                        try {
                            if (kind == 0) {
                                Time.after(after).recv();
                            } else if (kind == 1) {
                                Context.withTimeout(Context.background(), after).done().recvOk();
                            } else {
                                Chan<Integer> done = Chan.make(1);
                                Time.afterFunc(after, () -> done.trySend(1));
                                done.recv();
                            }
                        } catch (OutOfMemoryError e) {
                            // this goroutine's own step found no heap: not what is checked
                        }
                        woke.incrementAndGet();
                    });
                }
                while (started.get() < n) {
                    Go.sleep(Duration.ofMillis(1));
                }
                Go.blocking(() -> {
                    Object[] chain = null;
                    for (int size : new int[] {8192, 512, 16, 0}) {
                        try {
                            for (;;) {
                                chain = new Object[] {chain, size == 0 ? null : new long[size]};
                            }
                        } catch (OutOfMemoryError full) {
                            // next, smaller
                        }
                    }
                    long until = System.nanoTime() + 400_000_000L;
                    while (System.nanoTime() < until) {
                        try {
                            for (;;) {
                                chain = new Object[] {chain};
                            }
                        } catch (OutOfMemoryError full) {
                            // kept full
                        }
                        Thread.sleep(1);
                    }
                    chain = null;
                    System.gc();
                    return null;
                });
                long giveUp = System.nanoTime() + 10_000_000_000L;
                while (woke.get() < n && System.nanoTime() < giveUp) {
                    Go.sleep(Duration.ofMillis(10));
                }
                return "woke " + woke.get() + " of " + n;
            });
            System.out.println(r);
            System.exit(0); // waiters that never woke would keep nothing alive, but be quick
        }
    }

    @Test
    void expiriesDuringAFullHeapAreDeliveredAfterwards() throws Exception {
        ChildJvm.Result r = ChildJvm.run(false, Main.class, List.of("-Xmx32m", "-XX:+UseSerialGC",
                "--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"));
        assertTrue(r.out().lines().anyMatch("woke 300 of 300"::equals), r.out());
    }
}
