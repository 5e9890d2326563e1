package io.panago.sync;

import io.panago.runtime.G;
import io.panago.runtime.ParkCommit;
import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A goroutine blocked in this package (Go's {@code sudog} as the sync runtime uses it),
 * linked into the queue of a {@link Sema}, a {@link NotifyList} or a {@link Semaphore}.
 * The queue's owner unlinks it under its lock; {@link #wake()} publishes the outcome
 * fields with a release store before goready.
 */
final class Waiter {
    private static final ParkCommit STAY_PARKED = (g, arg) -> true;
    private static final VarHandle DONE;

    static {
        try {
            DONE = MethodHandles.lookup().findVarHandle(Waiter.class, "done", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final G g = Sched.getg();
    Waiter next;
    Waiter prev;
    /** Go's {@code sudog.ticket}: the Cond ticket, or 1 when a Sema was handed off. */
    long ticket;
    /** The weight a {@link Semaphore} waiter asks for. */
    long weight;
    /** A {@link NotifyList} ticket given up by a caller that will not wait: never woken. */
    boolean forfeited;
    @SuppressWarnings("unused") // accessed through DONE
    private boolean done;

    /** Readies the waiter; the caller must not touch it afterwards. */
    void wake() {
        G gp = g;
        DONE.setRelease(this, true);
        Sched.goready(gp);
    }

    /** Parks until {@link #wake()}; exactly one goready ends the park. */
    void park(WaitReason reason) {
        do {
            Sched.gopark(STAY_PARKED, this, reason);
        } while (!(boolean) DONE.getAcquire(this));
        DONE.setOpaque(this, false);
    }
}
