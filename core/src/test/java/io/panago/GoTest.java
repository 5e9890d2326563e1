package io.panago;

import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class GoTest {
    /** A null argument is refused at the call, naming the parameter. */
    @Test
    void nullArgumentsAreRefusedByName() {
        assertEquals("main", assertThrows(NullPointerException.class, () -> Go.run((Runnable) null)).getMessage());
        assertEquals("main", assertThrows(NullPointerException.class,
                () -> Go.run((java.util.concurrent.Callable<Object>) null)).getMessage());
        assertEquals("task", assertThrows(NullPointerException.class, () -> Go.go(null)).getMessage());
        assertEquals("d", assertThrows(NullPointerException.class, () -> Go.sleep(null)).getMessage());
        assertEquals("call", assertThrows(NullPointerException.class, () -> Go.blocking(null)).getMessage());
    }

    @Test
    void runReturnsMainsResult() throws Exception {
        assertEquals("done", Go.run(() -> "done"));
    }

    @Test
    void runRethrowsWhatMainThrew() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Go.run(() -> {
                    throw new IllegalStateException("boom");
                }));
        assertEquals("boom", e.getMessage());
    }

    @Test
    void runRethrowsCheckedExceptionOfCallable() {
        Exception e = assertThrows(java.io.IOException.class, () -> Go.run(() -> {
            throw new java.io.IOException("io");
        }));
        assertEquals("io", e.getMessage());
    }

    @Test
    void mainRunsAsAGoroutine() throws Exception {
        assertFalse(Go.inGoroutine());
        assertTrue(Go.run(Go::inGoroutine));
    }

    @Test
    void goFromAPlainThreadRunsTheTask() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        AtomicBoolean inG = new AtomicBoolean();
        Go.go(() -> {
            inG.set(Go.inGoroutine());
            done.countDown();
        });
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertTrue(inG.get());
    }

    @Test
    void panicInAGoroutineFailsTheEnclosingRun() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> Go.run(() -> {
            Go.go(() -> {
                throw new ArithmeticException("child");
            });
            // Park forever: only the child's panic can end this run.
            Sched.gopark((g, a) -> true, null, WaitReason.SELECT_NO_CASES);
        }));
        assertEquals("child", e.getMessage());
    }

    /**
     * Waits up to 20 s for nothing: the run that calls it ends earlier only through a panic.
     * Returns normally if none came, so a panic that goes astray fails the test's assertThrows.
     */
    private static void awaitOnlyAPanic() {
        Chan<Void> never = Chan.make();
        Select.select(Select.onRecv(never, v -> {}), Select.onTimeout(Duration.ofSeconds(20), () -> {}));
    }

    /** A timer's function starts on a scheduler thread; its panic still fails the run that armed it. */
    @Test
    void timeAfterFuncPanicFailsTheRunThatArmedIt() {
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> Go.run(() -> {
            io.panago.time.Time.afterFunc(Duration.ofMillis(1), () -> {
                throw new ArithmeticException("timer's function");
            });
            awaitOnlyAPanic();
        }));
        assertEquals("timer's function", e.getMessage());
    }

    /** The same for a context's afterFunc started by its deadline. */
    @Test
    void contextAfterFuncPanicFailsTheRunThatRegisteredIt() {
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> Go.run(() -> {
            var ctx = io.panago.context.Context.withTimeout(io.panago.context.Context.background(),
                    Duration.ofMillis(1));
            io.panago.context.Context.afterFunc(ctx, () -> {
                throw new ArithmeticException("context's function");
            });
            awaitOnlyAPanic();
        }));
        assertEquals("context's function", e.getMessage());
    }

    /**
     * Run A registers an afterFunc; run B cancels the context and then waits until A has ended.
     * The function's panic belongs to A, which fails with it, and B returns normally.
     */
    @Test
    void contextAfterFuncPanicFailsItsOwnRunNotTheCancellers() throws Exception {
        var ctx = io.panago.context.Context.withCancel(io.panago.context.Context.background());
        CountDownLatch registered = new CountDownLatch(1);
        CountDownLatch aEnded = new CountDownLatch(1);
        AtomicReference<Throwable> aFailure = new AtomicReference<>();
        Thread a = new Thread(() -> {
            try {
                Go.run(() -> {
                    io.panago.context.Context.afterFunc(ctx, () -> {
                        throw new ArithmeticException("A's function");
                    });
                    registered.countDown();
                    awaitOnlyAPanic();
                });
            } catch (Throwable t) {
                aFailure.set(t);
            } finally {
                aEnded.countDown();
            }
        });
        a.start();
        assertTrue(registered.await(20, TimeUnit.SECONDS));
        Go.run(() -> {
            ctx.cancel();
            assertTrue(Go.blocking(() -> aEnded.await(30, TimeUnit.SECONDS)));
            return null;
        });
        a.join();
        assertInstanceOf(ArithmeticException.class, aFailure.get());
        assertEquals("A's function", aFailure.get().getMessage());
    }

    @Test
    void panicHandlerReceivesThePanicInstead() throws Exception {
        AtomicReference<Throwable> seen = new AtomicReference<>();
        CountDownLatch handled = new CountDownLatch(1);
        PanicHandler old = Go.setPanicHandler((id, t) -> {
            seen.set(t);
            handled.countDown();
        });
        try {
            Go.run(() -> {
                Go.go(() -> {
                    throw new IllegalArgumentException("handled");
                });
            });
            assertTrue(handled.await(10, TimeUnit.SECONDS));
            assertEquals("handled", seen.get().getMessage());
        } finally {
            Go.setPanicHandler(old);
        }
    }

    @Test
    void anInterruptSetInAGoroutineDoesNotReachTheNextOne() throws Exception {
        // Set on the carrier by one goroutine, the flag must be gone by the time another runs
        // there (and must not make idle carriers spin).
        int procs = Go.gomaxprocs(1);
        try {
            boolean leaked = Go.run(() -> {
                Thread carrier = Thread.currentThread();
                Thread[] other = new Thread[1];
                Go.go(() -> {
                    other[0] = Thread.currentThread();
                    other[0].interrupt();
                });
                Go.yield(); // the only P runs the new goroutine now, then us again
                assertSame(carrier, other[0], "both ran on the one carrier");
                return Thread.currentThread().isInterrupted();
            });
            assertFalse(leaked);
        } finally {
            Go.gomaxprocs(procs);
        }
    }

    @Test
    void sleepNeverWakesEarly() throws Exception {
        Go.run(() -> {
            for (int i = 0; i < 20; i++) {
                long d = 1_000_000L * (1 + i % 5);
                long t0 = System.nanoTime();
                Go.sleep(Duration.ofNanos(d));
                long took = System.nanoTime() - t0;
                assertTrue(took >= d, "slept " + took + " ns of " + d);
            }
        });
    }

    @Test
    void sleepOnAPlainThreadBlocksIt() {
        long t0 = System.nanoTime();
        Go.sleep(Duration.ofMillis(20));
        assertTrue(System.nanoTime() - t0 >= 20_000_000L);
    }
}
