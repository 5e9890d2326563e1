package io.panago;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A FIFO of sudogs blocked on one side of a channel, Go's {@code waitq}. Guarded by the
 * channel's lock.
 */
final class WaitQ {
    private static final VarHandle FIRST;

    static {
        try {
            FIRST = MethodHandles.lookup().findVarHandle(WaitQ.class, "first", Sudog.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Sudog first;
    private Sudog last;

    /** Under the channel lock. */
    boolean isEmpty() {
        return first == null;
    }

    /**
     * Lock-free emptiness check of the non-blocking fast paths; an acquire load so that
     * a later load of {@code closed} is not ordered before it (see {@link Chan#tryRecv}).
     */
    boolean isEmptyAcquire() {
        return FIRST.getAcquire(this) == null;
    }

    /** Under the channel lock; O(n), for tests and diagnostics. */
    int size() {
        int n = 0;
        for (Sudog s = first; s != null; s = s.next) {
            n++;
        }
        return n;
    }

    void enqueue(Sudog sg) {
        sg.next = null;
        Sudog x = last;
        if (x == null) {
            sg.prev = null;
            first = sg;
        } else {
            sg.prev = x;
            x.next = sg;
        }
        last = sg;
    }

    /**
     * Removes and returns the first sudog that may still be woken: a select's sudog whose
     * select was already won by another case is dropped (the select removes the rest of
     * its sudogs itself once it holds the locks again). Go's {@code waitq.dequeue}.
     */
    Sudog dequeue() {
        for (;;) {
            Sudog sg = first;
            if (sg == null) {
                return null;
            }
            Sudog y = sg.next;
            if (y == null) {
                first = null;
                last = null;
            } else {
                y.prev = null;
                first = y;
                sg.next = null;
            }
            if (sg.sel != null && !sg.sel.win(sg.caseIndex)) {
                continue;
            }
            return sg;
        }
    }

    /** Unlinks {@code sg} if it is still queued, Go's {@code waitq.dequeueSudoG}. */
    void remove(Sudog sg) {
        Sudog x = sg.prev;
        Sudog y = sg.next;
        if (x != null) {
            if (y != null) {
                x.next = y;
                y.prev = x;
                sg.next = null;
            } else {
                x.next = null;
                last = x;
            }
            sg.prev = null;
            return;
        }
        if (y != null) {
            y.prev = null;
            first = y;
            sg.next = null;
            return;
        }
        if (first == sg) {
            first = null;
            last = null;
        }
    }
}
