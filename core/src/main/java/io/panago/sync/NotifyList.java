package io.panago.sync;

import io.panago.internal.RuntimeLock;
import io.panago.runtime.WaitReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The ticket-based wait list under {@link Cond}, Go's runtime {@code notifyList}
 * ({@code sema.go}). A waiter takes a ticket ({@link #add()}) while still holding the
 * condition's lock, releases that lock, then waits for its ticket ({@link #await(int)}).
 * {@code notify} is the next ticket to wake; a waiter whose ticket is already below it
 * was signalled before it queued and returns at once, so a signal between unlocking and
 * queueing is never lost. Tickets compare with wrap-around.
 */
final class NotifyList {
    private static final VarHandle WAIT;
    private static final VarHandle NOTIFY;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            WAIT = l.findVarHandle(NotifyList.class, "wait", int.class);
            NOTIFY = l.findVarHandle(NotifyList.class, "notify", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Ticket of the next waiter; incremented outside the lock. */
    @SuppressWarnings("unused") // accessed through WAIT
    private volatile int wait;
    /** Ticket of the next waiter to notify; written under the lock. */
    @SuppressWarnings("unused") // accessed through NOTIFY
    private volatile int notify;
    private final RuntimeLock lock = new RuntimeLock();
    private Waiter head;
    private Waiter tail;

    /** Goroutines parked in {@link #await(int)}; for tests that wait for a situation. */
    int parked() {
        lock.lock();
        int n = 0;
        for (Waiter w = head; w != null; w = w.next) {
            if (!w.forfeited) {
                n++;
            }
        }
        lock.unlock();
        return n;
    }

    /** Go's {@code notifyListAdd}. */
    int add() {
        return (int) WAIT.getAndAdd(this, 1);
    }

    /** Go's {@code notifyListWait}. */
    void await(int ticket) {
        lock.lock();
        if (ticket - notify < 0) {
            lock.unlock();
            return;
        }
        Waiter w = enqueue(ticket, false);
        lock.unlock();
        w.park(WaitReason.SYNC_COND_WAIT);
    }

    /** Under the lock: a waiter for {@code ticket} at the tail of the list. */
    private Waiter enqueue(int ticket, boolean forfeited) {
        Waiter w = new Waiter();
        w.ticket = ticket;
        w.forfeited = forfeited;
        w.next = null;
        if (tail == null) {
            head = w;
        } else {
            tail.next = w;
        }
        tail = w;
        return w;
    }

    /** Go's {@code notifyListNotifyOne}. */
    void wakeOne() {
        if ((int) WAIT.getVolatile(this) == (int) NOTIFY.getVolatile(this)) {
            return;
        }
        lock.lock();
        int t = notify;
        if (t == (int) WAIT.getVolatile(this)) {
            lock.unlock();
            return;
        }
        NOTIFY.setVolatile(this, t + 1);
        // The waiter with ticket t may not have queued yet; it will then see notify > t.
        for (Waiter p = null, s = head; s != null; p = s, s = s.next) {
            if ((int) s.ticket == t) {
                Waiter n = s.next;
                if (p != null) {
                    p.next = n;
                } else {
                    head = n;
                }
                if (n == null) {
                    tail = p;
                }
                s.next = null;
                if (s.forfeited) {
                    // Nobody waits on that ticket: the signal goes to the next one.
                    lock.unlock();
                    wakeOne();
                    return;
                }
                lock.unlock();
                s.wake();
                return;
            }
        }
        lock.unlock();
    }

    /**
     * Gives up a ticket taken by {@link #add()} whose holder will not wait (its unlock
     * failed), so that it does not swallow a signal: a signal already spent on it is
     * passed on, a later one skips it.
     */
    void forfeit(int ticket) {
        lock.lock();
        if (ticket - notify < 0) {
            lock.unlock();
            wakeOne();
            return;
        }
        enqueue(ticket, true);
        lock.unlock();
    }

    /** Go's {@code notifyListNotifyAll}. */
    void wakeAll() {
        if ((int) WAIT.getVolatile(this) == (int) NOTIFY.getVolatile(this)) {
            return;
        }
        lock.lock();
        Waiter s = head;
        head = null;
        tail = null;
        NOTIFY.setVolatile(this, (int) WAIT.getVolatile(this));
        lock.unlock();
        while (s != null) {
            Waiter n = s.next;
            s.next = null;
            if (!s.forfeited) {
                s.wake();
            }
            s = n;
        }
    }
}
