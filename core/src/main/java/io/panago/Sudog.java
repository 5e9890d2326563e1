package io.panago;

import io.panago.runtime.G;
import io.panago.runtime.ParkCommit;
import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A goroutine waiting on a channel, Go's {@code sudog}: one per blocked send or
 * receive, one per case of a blocked select.
 *
 * <p>Ownership: while it sits in a {@link WaitQ} its links and {@code elem} are guarded
 * by that channel's lock. The waker that dequeues it fills {@code elem} and
 * {@code success} under the lock, then (for a plain send or receive) publishes
 * {@code done} with a release store, unlocks and calls {@link Sched#goready}. A select's
 * sudogs carry {@code sel}; their waker first wins the select's state word (see
 * {@link Select}) and the select reads the result back under the channel lock.
 */
final class Sudog {
    /** Park commit of every channel park: the channel locks are already released. */
    static final ParkCommit STAY_PARKED = (g, arg) -> true;

    private static final VarHandle DONE;

    static {
        try {
            DONE = MethodHandles.lookup().findVarHandle(Sudog.class, "done", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    G g;
    /** The value sent, or the slot a receiver is given its value in. */
    Object elem;
    /** True if a value was communicated, false if woken because the channel closed. */
    boolean success;
    Sudog next;
    Sudog prev;
    /** The select this sudog belongs to, or null for a plain send or receive. */
    Select sel;
    /** Index of the select case this sudog stands for. */
    int caseIndex;
    @SuppressWarnings("unused") // accessed through DONE
    private boolean done;

    /**
     * A sudog for a plain send or receive by {@code g}: its spare if it has one (Go's
     * {@code acquireSudog}).
     */
    static Sudog acquire(G g) {
        Sudog s = (Sudog) g.acquireSudog();
        if (s == null) {
            s = new Sudog();
        }
        s.g = g;
        return s;
    }

    /**
     * Gives a plain sudog back to its goroutine once its wait is over (Go's
     * {@code releaseSudog}). Safe because the waker read {@code g} under the channel lock and
     * touches nothing after its goready, which this goroutine has seen.
     */
    void release() {
        G owner = g;
        g = null;
        elem = null;
        next = null;
        prev = null;
        success = false;
        DONE.set(this, false);
        owner.releaseSudog(this);
    }

    /** Marks a plain send or receive complete; call under the channel lock, before goready. */
    void complete(boolean ok) {
        success = ok;
        DONE.setRelease(this, true);
    }

    /**
     * Parks the calling goroutine until {@link #complete} and its goready. The loop only
     * guards the invariant: each goready ends exactly one park, so it runs once.
     */
    void parkUntilComplete(WaitReason reason) {
        do {
            Sched.gopark(STAY_PARKED, this, reason);
        } while (!(boolean) DONE.getAcquire(this));
    }
}
