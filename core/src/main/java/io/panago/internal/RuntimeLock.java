package io.panago.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A short-hold lock for runtime data structures, Go's runtime {@code mutex}
 * ({@code lock_futex.go}/{@code lock_spinbit.go}): channels, semaphores, timers and
 * contexts guard their queues with it.
 *
 * <p>Implementation overview. It is not owned by a thread: a goroutine may take it on
 * one carrier and release it from another, and it is never held across a park. Critical
 * sections are a few dozen instructions and never block, so acquisition spins first
 * (test-and-test-and-set with {@link Thread#onSpinWait()}), then yields the OS thread,
 * then naps with growing {@code parkNanos} so that an oversubscribed machine where the
 * holder was descheduled is not made worse by spinning. {@code lock} is a CAS (full
 * fence), {@code unlock} a release store: everything written under the lock is visible
 * to the next holder.
 *
 * <p>A section must release the lock on every exit, including a {@link StackOverflowError} or
 * {@link OutOfMemoryError} thrown by any call inside it (deep recursion that uses a channel at
 * each level overflows inside a section nearly every time). The pattern is
 * {@code lock(); try { ...; unlock(); } catch (Throwable t) { lock.state = 0; throw t; }}: the
 * {@code unlock()} call is the try's last statement and the only one, so the handler runs only
 * while the lock is still held. The section's own writes are ordered so that a call that
 * throws finds nothing half done: its calls come before its writes, or one call is the write
 * that completes it (see {@link #state}).
 */
public final class RuntimeLock {
    private static final VarHandle STATE;
    private static final int ACTIVE_SPIN = 64;
    private static final int PASSIVE_SPIN = ACTIVE_SPIN + 16;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(RuntimeLock.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The lock word: 0 free, 1 held. Only a critical section's exception handler writes it
     * directly ({@code lock.state = 0}, a release with no method call): a
     * {@link StackOverflowError} inside the section can leave too little stack for the call
     * to {@link #unlock()}, and a lock left held would stop every later user for good.
     */
    public volatile int state;

    /** Creates an unlocked lock. */
    public RuntimeLock() {}

    /** Acquires the lock; spins, then yields, then naps until it is free. */
    public void lock() {
        if (!STATE.compareAndSet(this, 0, 1)) {
            lockSlow();
        }
    }

    private void lockSlow() {
        long nap = 1_000;
        for (int i = 0; ; i++) {
            if ((int) STATE.getOpaque(this) == 0 && STATE.compareAndSet(this, 0, 1)) {
                return;
            }
            if (i < ACTIVE_SPIN) {
                Thread.onSpinWait();
            } else if (i < PASSIVE_SPIN) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(nap);
                nap = Math.min(nap * 2, 1_000_000);
            }
        }
    }

    /** Tries once to acquire the lock. */
    public boolean tryLock() {
        return STATE.compareAndSet(this, 0, 1);
    }

    /** Releases the lock (a release store). */
    public void unlock() {
        STATE.setRelease(this, 0);
    }
}
