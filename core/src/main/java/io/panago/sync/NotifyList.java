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

    static {
        try {
            WAIT = MethodHandles.lookup().findVarHandle(NotifyList.class, "wait", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Ticket of the next waiter; incremented outside the lock. */
    @SuppressWarnings("unused") // accessed through WAIT
    private volatile int wait;
    /** Ticket of the next waiter to notify; written under the lock, by plain volatile stores. */
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
        Waiter w = waiter(ticket, false);
        boolean queued;
        lock.lock();
        try {
            queued = ticket - notify >= 0;
            if (queued) {
                enqueue(w);
            }
            lock.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            lock.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        if (queued) {
            w.park(WaitReason.SYNC_COND_WAIT);
        }
    }

    /** A waiter for {@code ticket}, made before the lock is taken (it allocates). */
    private static Waiter waiter(int ticket, boolean forfeited) {
        Waiter w = new Waiter();
        w.ticket = ticket;
        w.forfeited = forfeited;
        return w;
    }

    /** Under the lock: links {@code w} at the tail; plain writes only. */
    private void enqueue(Waiter w) {
        w.next = null;
        if (tail == null) {
            head = w;
        } else {
            tail.next = w;
        }
        tail = w;
    }

    /** Go's {@code notifyListNotifyOne}. */
    void wakeOne() {
        for (;;) {
            if ((int) WAIT.getVolatile(this) == notify) {
                return;
            }
            Waiter found = null;
            boolean passOn = false;
            lock.lock();
            try {
                int t = notify;
                if (t != (int) WAIT.getVolatile(this)) {
                    // From here to the unlock only plain and volatile writes: no call.
                    notify = t + 1;
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
                            // A forfeited ticket has nobody waiting: the signal goes to the next.
                            passOn = s.forfeited;
                            found = passOn ? null : s;
                            break;
                        }
                    }
                }
                lock.unlock(); // last in the try: if this call throws, the lock is still held
            } catch (Throwable e) {
                lock.state = 0; // no call: see RuntimeLock.state
                throw e;
            }
            if (found != null) {
                found.wake();
            }
            if (!passOn) {
                return;
            }
        }
    }

    /**
     * Gives up a ticket taken by {@link #add()} whose holder will not wait (its unlock
     * failed), so that it does not swallow a signal: a signal already spent on it is
     * passed on, a later one skips it.
     */
    void forfeit(int ticket) {
        Waiter w = waiter(ticket, true);
        boolean spent;
        lock.lock();
        try {
            spent = ticket - notify < 0;
            if (!spent) {
                enqueue(w);
            }
            lock.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            lock.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        if (spent) {
            wakeOne();
        }
    }

    /** Go's {@code notifyListNotifyAll}. */
    void wakeAll() {
        if ((int) WAIT.getVolatile(this) == notify) {
            return;
        }
        Waiter s;
        lock.lock();
        try {
            int all = (int) WAIT.getVolatile(this); // the one call, before any write
            s = head;
            head = null;
            tail = null;
            notify = all;
            lock.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            lock.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
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
