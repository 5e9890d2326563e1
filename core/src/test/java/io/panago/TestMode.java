package io.panago;

import io.panago.runtime.Sched;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where a test's parties run: on plain platform threads or as goroutines. Channel, sync,
 * context and timer tests run in both, since both are supported callers.
 */
public enum TestMode {
    THREADS,
    GOROUTINES;

    /** A body that may throw; for lambdas with assertions. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    private static final List<Thread> PARTIES = new CopyOnWriteArrayList<>();

    /**
     * Runs {@code body} as the main party: on this thread, or as the main goroutine. Then
     * checks that every party it started has ended: a party still parked means a lost
     * wake-up (or a test that leaks).
     */
    public void run(Body body) throws Exception {
        if (this == THREADS) {
            PARTIES.clear();
            body.run();
            for (Thread t : PARTIES) {
                t.join(20_000);
                if (t.isAlive()) {
                    throw new AssertionError("party thread still blocked: " + t);
                }
            }
            return;
        }
        int baseline = Go.numGoroutine();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Go.run(() -> {
            try {
                body.run();
            } catch (Exception e) {
                failure.set(e);
            }
        });
        if (failure.get() != null) {
            throw failure.get();
        }
        until(() -> Go.numGoroutine() <= baseline, "goroutines left parked");
    }

    /** Starts another party: a platform thread, or a goroutine. */
    public void go(Runnable r) {
        if (this == THREADS) {
            Thread t = new Thread(r, "test-party");
            t.setDaemon(true);
            PARTIES.add(t);
            t.start();
        } else {
            Go.go(r);
        }
    }

    /** Runs {@code c} as a party and returns a channel that receives its result. */
    public <T> RecvChan<T> async(Callable<T> c) {
        Chan<T> out = Chan.make(1);
        go(() -> {
            try {
                out.send(c.call());
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        return out;
    }

    /**
     * Waits, yielding, until {@code cond} holds: how a test waits for a situation (a
     * party parked) instead of sleeping. Fails after 20 s.
     */
    public static void until(BooleanSupplier cond) {
        until(cond, "condition");
    }

    /** As {@link #until(BooleanSupplier)}, naming {@code what} in the failure. */
    public static void until(BooleanSupplier cond, String what) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " not reached in 20 s");
            }
            Sched.gosched();
        }
    }

    /** Sleeps the calling party: {@code Go.sleep} in a goroutine, else the thread. */
    public static void sleep(java.time.Duration d) {
        if (Sched.getg().isGoroutine()) {
            Go.sleep(d);
        } else {
            try {
                Thread.sleep(d);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
