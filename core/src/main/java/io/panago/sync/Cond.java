package io.panago.sync;

/**
 * A condition variable, Go's {@code sync.Cond}: goroutines wait for an event while
 * holding {@link #locker()}, which {@link #await()} releases while parked and re-acquires
 * before returning. As in Go, check the condition in a loop:
 *
 * <pre>{@code
 * mu.lock();
 * while (!ready) cond.await();
 * ...
 * mu.unlock();
 * }</pre>
 *
 * {@code await()} never returns without a {@link #signal()} or {@link #broadcast()}.
 */
public final class Cond {
    private final Locker l;
    private final NotifyList notify = new NotifyList();

    /**
     * Creates a condition variable waiting with {@code l}.
     *
     * @param l the lock that guards the condition
     */
    public Cond(Locker l) {
        this.l = java.util.Objects.requireNonNull(l, "l");
    }

    /**
     * The lock held while observing or changing the condition (Go's {@code c.L}).
     *
     * @return the lock given to the constructor
     */
    public Locker locker() {
        return l;
    }

    /**
     * Atomically unlocks {@link #locker()} and parks until signalled, then locks again
     * (Go's {@code Wait}; named so because {@code Object.wait} is final).
     */
    public void await() {
        int t = notify.add();
        try {
            l.unlock();
        } catch (Throwable e) {
            // Not held (fatal in Go): give the ticket up, or it would swallow a later signal.
            notify.forfeit(t);
            throw e;
        }
        try {
            notify.await(t);
        } finally {
            l.lock();
        }
    }

    /** Goroutines parked in {@link #await()}; for tests that wait for a situation. */
    int parked() {
        return notify.parked();
    }

    /** Wakes one waiting goroutine, if any, in FIFO order. */
    public void signal() {
        notify.wakeOne();
    }

    /** Wakes all waiting goroutines. */
    public void broadcast() {
        notify.wakeAll();
    }
}
