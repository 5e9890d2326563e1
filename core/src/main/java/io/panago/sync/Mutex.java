package io.panago.sync;

import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A mutual exclusion lock, Go's {@code sync.Mutex}. Contended {@link #lock()} parks the
 * goroutine (a plain thread blocks), never the carrier. It is not owned: any goroutine
 * may unlock it, and it is not reentrant.
 *
 * <p>Implementation overview (Go's {@code sync/mutex.go}). One int holds the locked,
 * woken and starving flags and the waiter count; a {@link Sema} queues the waiters. In
 * normal mode a woken waiter competes with arriving goroutines, which usually win (they
 * are already running), and re-queues at the head; an arriving goroutine may spin a few
 * rounds while the holder is running. A waiter that has waited more than 1 ms switches
 * the mutex to starvation mode: unlock then hands ownership directly to the waiter at
 * the head, and arrivals neither spin nor barge but queue at the tail. The last waiter,
 * or one that waited under 1 ms, switches back to normal mode. Normal mode gives
 * throughput, starvation mode bounds tail latency.
 */
public final class Mutex implements Locker {
    static final int LOCKED = 1;
    static final int WOKEN = 2;
    static final int STARVING = 4;
    static final int WAITER_SHIFT = 3;
    static final long STARVATION_THRESHOLD_NS = 1_000_000;
    private static final int ACTIVE_SPIN = 4;
    private static final int ACTIVE_SPIN_CNT = 30;
    private static final boolean MULTICORE = Runtime.getRuntime().availableProcessors() > 1;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Mutex.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;
    private final Sema sema = new Sema();

    /** Creates an unlocked mutex. */
    public Mutex() {}

    /** Locks the mutex, parking until it is available. */
    @Override
    public void lock() {
        if (!STATE.compareAndSet(this, 0, LOCKED)) {
            lockSlow();
        }
    }

    /**
     * Locks the mutex if it is free and not in starvation mode; never blocks.
     *
     * @return true if the mutex was locked by this call
     */
    public boolean tryLock() {
        int old = (int) STATE.getVolatile(this);
        if ((old & (LOCKED | STARVING)) != 0) {
            return false;
        }
        return STATE.compareAndSet(this, old, old | LOCKED);
    }

    private void lockSlow() {
        long waitStart = 0;
        boolean starving = false;
        boolean awoke = false;
        int iter = 0;
        int old = state;
        for (;;) {
            if ((old & (LOCKED | STARVING)) == LOCKED && canSpin(iter)) {
                // Tell unlock not to wake a waiter: this goroutine is about to take it.
                if (!awoke && (old & WOKEN) == 0 && (old >>> WAITER_SHIFT) != 0
                        && STATE.compareAndSet(this, old, old | WOKEN)) {
                    awoke = true;
                }
                for (int i = 0; i < ACTIVE_SPIN_CNT; i++) {
                    Thread.onSpinWait();
                }
                iter++;
                old = state;
                continue;
            }
            int nw = old;
            if ((old & STARVING) == 0) {
                nw |= LOCKED;
            }
            if ((old & (LOCKED | STARVING)) != 0) {
                nw += 1 << WAITER_SHIFT;
            }
            if (starving && (old & LOCKED) != 0) {
                nw |= STARVING;
            }
            if (awoke) {
                if ((nw & WOKEN) == 0) {
                    throw new IllegalStateException("sync: inconsistent mutex state");
                }
                nw &= ~WOKEN;
            }
            if (STATE.compareAndSet(this, old, nw)) {
                if ((old & (LOCKED | STARVING)) == 0) {
                    return;
                }
                boolean lifo = waitStart != 0;
                if (waitStart == 0) {
                    waitStart = Sched.nanotime();
                }
                sema.acquire(lifo, WaitReason.SYNC_MUTEX_LOCK);
                starving = starving || Sched.nanotime() - waitStart > STARVATION_THRESHOLD_NS;
                old = state;
                if ((old & STARVING) != 0) {
                    // Ownership was handed to us; the state still says unlocked with us waiting.
                    if ((old & (LOCKED | WOKEN)) != 0 || (old >>> WAITER_SHIFT) == 0) {
                        throw new IllegalStateException("sync: inconsistent mutex state");
                    }
                    int delta = LOCKED - (1 << WAITER_SHIFT);
                    if (!starving || (old >>> WAITER_SHIFT) == 1) {
                        delta -= STARVING;
                    }
                    STATE.getAndAdd(this, delta);
                    return;
                }
                awoke = true;
                iter = 0;
            } else {
                old = state;
            }
        }
    }

    /** Go's {@code sync_runtime_canSpin}, without the run-queue checks we cannot see. */
    private static boolean canSpin(int iter) {
        return iter < ACTIVE_SPIN && MULTICORE;
    }

    /**
     * Unlocks the mutex.
     *
     * @throws IllegalStateException "sync: unlock of unlocked mutex" (fatal in Go)
     */
    @Override
    public void unlock() {
        if (STATE.compareAndSet(this, LOCKED, 0)) {
            return;
        }
        // Go subtracts LOCKED blindly and dies if it was not set; since this throws instead,
        // it must not leave the state changed even for a moment (a locker reading that
        // state would queue behind a holder that does not exist): a CAS, checked first.
        int old;
        do {
            old = state;
            if ((old & LOCKED) == 0) {
                throw new IllegalStateException("sync: unlock of unlocked mutex");
            }
        } while (!STATE.compareAndSet(this, old, old - LOCKED));
        int nw = old - LOCKED;
        if (nw != 0) {
            unlockSlow(nw);
        }
    }

    private void unlockSlow(int nw) {
        if ((nw & STARVING) == 0) {
            int old = nw;
            for (;;) {
                // Nobody to wake, or someone already woken, running or being handed the lock.
                if ((old >>> WAITER_SHIFT) == 0 || (old & (LOCKED | WOKEN | STARVING)) != 0) {
                    return;
                }
                int next = (old - (1 << WAITER_SHIFT)) | WOKEN;
                if (STATE.compareAndSet(this, old, next)) {
                    sema.release(false);
                    return;
                }
                old = state;
            }
        }
        sema.release(true);
    }

    /** Goroutines parked in {@link #lock()}; for tests that wait for a situation. */
    int waiters() {
        return state >>> WAITER_SHIFT;
    }

    /**
     * Waiters queued on the semaphore, where an unlock's hand-off finds them (a waiter counted
     * in {@link #waiters()} may not be there yet); for tests.
     */
    int queued() {
        return sema.queued();
    }

    /** True while in starvation mode; for tests. */
    boolean starving() {
        return (state & STARVING) != 0;
    }

    @Override
    public String toString() {
        int s = state;
        return "Mutex[" + ((s & LOCKED) != 0 ? "locked" : "unlocked") + ((s & STARVING) != 0 ? ", starving" : "")
                + ", waiters=" + (s >>> WAITER_SHIFT) + "]";
    }
}
