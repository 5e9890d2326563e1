package io.panago.net.poll;

import io.panago.runtime.G;
import io.panago.runtime.ParkCommit;
import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;

/**
 * A counting semaphore that parks goroutines (and blocks plain threads) through the
 * runtime's {@link Sched#gopark}: Go's {@code runtime_Semacquire}/{@code runtime_Semrelease}
 * as internal/poll uses them for {@link FdMutex} and for {@code Close} waiting on the last
 * reference. A release hands its unit straight to the oldest waiter.
 */
final class Sema {
    static {
        try {
            MethodHandles.lookup().ensureInitialized(Waiter.class);
        } catch (IllegalAccessException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private int count;

    /**
     * Loads this class and its {@link Waiter} now (see FD's static initializer). The first
     * contended acquire, a close waiting for a call to return or callers taking turns on a
     * lock, used to load the waiter class; out of descriptors that failed, and so did close.
     */
    static void link() {
    }
    private ArrayDeque<Waiter> waiters;

    /** Takes one unit, parking until one is released. */
    void acquire() {
        Waiter w;
        synchronized (this) {
            if (count > 0) {
                count--;
                return;
            }
            if (waiters == null) {
                waiters = new ArrayDeque<>();
            }
            w = new Waiter(Sched.getg());
            waiters.add(w);
        }
        w.park(WaitReason.SEMACQUIRE);
    }

    /** Gives one unit back, to the oldest waiter if there is one. */
    void release() {
        Waiter w;
        synchronized (this) {
            w = waiters == null ? null : waiters.poll();
            if (w == null) {
                count++;
                return;
            }
        }
        w.ready();
    }

    /**
     * One parked goroutine or thread and the hand-shake that makes its wake-up impossible to
     * lose: {@link #ready} either beats the park's commit step (which then declines to park)
     * or finds the waiter parked and readies it, exactly once.
     */
    static final class Waiter {
        private static final int WAITING = 0, PARKED = 1, READY = 2;
        private static final VarHandle STATE;
        private static final ParkCommit COMMIT = (g, arg) -> ((Waiter) arg).commit();

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final G g;
        @SuppressWarnings("unused") // through STATE
        private volatile int state;

        Waiter(G g) {
            this.g = g;
        }

        private boolean commit() {
            return STATE.compareAndSet(this, WAITING, PARKED);
        }

        void park(WaitReason reason) {
            Sched.gopark(COMMIT, this, reason);
        }

        void ready() {
            if ((int) STATE.getAndSet(this, READY) == PARKED) {
                Sched.goready(g);
            }
        }
    }
}
