package io.panago.runtime;

import io.panago.Go;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The C2 hoisting trap: {@code Thread.currentThread()} is a constant to C2 within one compiled
 * method, so a hot loop that yields and then asks "who am I" through the thread sees the carrier
 * it was compiled on. {@link Sched#getg} must stay right after every migration.
 */
class GetgAfterMigrationTest {
    private static int oldProcs;

    @BeforeAll
    static void twoProcs() {
        oldProcs = Go.gomaxprocs(2);
    }

    @AfterAll
    static void restore() {
        Go.gomaxprocs(oldProcs);
    }

    /** What a runtime that trusted the carrier thread would answer (kept for the comparison). */
    static G viaCurrentThread() {
        return Thread.currentThread() instanceof M m ? m.curg : null;
    }

    @Test
    void getgIsRightAfterMigrationInCompiledLoops() throws Exception {
        AtomicLong wrong = new AtomicLong();
        AtomicLong naiveWrong = new AtomicLong();
        AtomicLong migrations = new AtomicLong();
        // A plain thread readies every 8th park: the goroutine goes to the global queue and
        // resumes on whichever carrier takes it, so it migrates often.
        LinkedBlockingQueue<G> relay = new LinkedBlockingQueue<>();
        Thread relayer = new Thread(() -> {
            try {
                for (;;) {
                    Sched.goready(relay.take());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "relay");
        relayer.setDaemon(true);
        relayer.start();
        ParkCommit toRelay = (g, a) -> relay.add(g);
        try {
            Go.run(() -> {
                int n = 8;
                AtomicLong left = new AtomicLong(n);
                G main = Sched.getg();
                for (int k = 0; k < n; k++) {
                    Go.go(() -> {
                        G me = Sched.getg();
                        long bad = 0, naive = 0, moved = 0;
                        Thread last = Sched.currentThread();
                        // 100,000 iterations: far past C2's OSR and standard compile thresholds.
                        for (int i = 0; i < 100_000; i++) {
                            if ((i & 7) == 0) {
                                Sched.gopark(toRelay, null, WaitReason.ZERO);
                            } else {
                                Go.yield();
                            }
                            if (Sched.getg() != me) {
                                bad++;
                            }
                            if (viaCurrentThread() != me) {
                                naive++;
                            }
                            Thread c = Sched.currentThread();
                            if (c != last) {
                                moved++;
                                last = c;
                            }
                        }
                        wrong.addAndGet(bad);
                        naiveWrong.addAndGet(naive);
                        migrations.addAndGet(moved);
                        if (left.decrementAndGet() == 0) {
                            Sched.goready(main);
                        }
                    });
                }
                Sched.gopark((g, a) -> true, null, WaitReason.ZERO);
            });
        } finally {
            relayer.interrupt();
        }
        System.out.printf("getg after migration: %d migrations, Sched.getg wrong %d times, "
                + "a Thread.currentThread() lookup wrong %d times%n", migrations.get(), wrong.get(), naiveWrong.get());
        assertTrue(migrations.get() > 1_000, "the test must make goroutines migrate: " + migrations);
        assertEquals(0, wrong.get(), "Sched.getg returned another goroutine after a migration");
    }
}
