package io.panago.sync;

import io.panago.runtime.WaitReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Waits for a collection of goroutines to finish, Go's {@code sync.WaitGroup}:
 * {@link #add(int)} before starting each, {@link #done()} as each ends, {@link #await()}
 * to block until the count is zero. A WaitGroup may be reused once every
 * {@code await()} of the previous cycle has returned.
 *
 * <p>Implementation overview (Go's {@code sync/waitgroup.go}). One long holds the
 * counter (high 32 bits) and the number of waiters (low 32 bits), so "counter reached
 * zero" and "how many to wake" are read in one atomic step. The {@code add} that brings
 * the counter to zero resets the word to 0 and releases one {@link Sema} permit per
 * waiter; a waiter checks on wake-up that the word is still 0, which catches a reuse
 * that raced with the previous {@code await}.
 */
public final class WaitGroup {
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(WaitGroup.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through STATE
    private volatile long state;
    private final Sema sema = new Sema();

    /** Creates a WaitGroup with a zero counter. */
    public WaitGroup() {}

    /**
     * Adds {@code delta} (possibly negative) to the counter; at zero all waiters are
     * released. Call it with a positive delta before starting the goroutine or other
     * event to wait for.
     *
     * @param delta the amount to add, negative to subtract
     * @throws IllegalStateException "sync: negative WaitGroup counter", or a misuse
     *     message when a positive add races with {@link #await()} on a zero counter
     */
    public void add(int delta) {
        long st = (long) STATE.getAndAdd(this, (long) delta << 32) + ((long) delta << 32);
        int v = (int) (st >> 32);
        int w = (int) st;
        if (v < 0) {
            throw new IllegalStateException("sync: negative WaitGroup counter");
        }
        if (w != 0 && delta > 0 && v == delta) {
            throw new IllegalStateException("sync: WaitGroup misuse: Add called concurrently with Wait");
        }
        if (v > 0 || w == 0) {
            return;
        }
        // Counter is zero with waiters: nobody may change the word until they are released.
        if ((long) STATE.getVolatile(this) != st) {
            throw new IllegalStateException("sync: WaitGroup misuse: Add called concurrently with Wait");
        }
        STATE.setVolatile(this, 0L);
        for (; w != 0; w--) {
            sema.release(false);
        }
    }

    /** Decrements the counter by one, {@code add(-1)}. */
    public void done() {
        add(-1);
    }

    /**
     * Parks until the counter is zero (Go's {@code Wait}).
     *
     * @throws IllegalStateException "sync: WaitGroup is reused before previous Wait has
     *     returned"
     */
    public void await() {
        for (;;) {
            long st = (long) STATE.getVolatile(this);
            if ((int) (st >> 32) == 0) {
                return;
            }
            if (STATE.compareAndSet(this, st, st + 1)) {
                sema.acquire(false, WaitReason.SYNC_WAITGROUP_WAIT);
                if ((long) STATE.getVolatile(this) != 0) {
                    throw new IllegalStateException("sync: WaitGroup is reused before previous Wait has returned");
                }
                return;
            }
        }
    }

    /**
     * Runs {@code task} in a new goroutine and counts it in this group, Go 1.25's
     * {@code WaitGroup.Go}: {@code add(1)}, then {@code done()} when the task returns or
     * throws. A null {@code task} is refused before it is counted.
     *
     * @param task the code the new goroutine runs
     */
    public void go(Runnable task) {
        java.util.Objects.requireNonNull(task, "task");
        add(1);
        io.panago.Go.go(() -> {
            try {
                task.run();
            } finally {
                done();
            }
        });
    }

    /** Goroutines parked in {@link #await()}; for tests that wait for a situation. */
    int waiters() {
        return (int) (long) STATE.getVolatile(this);
    }

    Sema sema() {
        return sema;
    }

    /**
     * The current counter; a racy snapshot for diagnostics.
     *
     * @return the counter's value
     */
    public int count() {
        return (int) ((long) STATE.getVolatile(this) >> 32);
    }
}
