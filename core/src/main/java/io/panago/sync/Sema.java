package io.panago.sync;

import io.panago.internal.RuntimeLock;
import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A counting semaphore that parks goroutines, Go's runtime {@code sema.go}
 * ({@code semacquire1}/{@code semrelease1}): the primitive under {@link Mutex},
 * {@link RWMutex} and {@link WaitGroup}.
 *
 * <p>Implementation overview. {@code count} is the number of available permits, taken by
 * CAS ({@code cansemacquire}). {@code nwait} counts goroutines that are queued or about to
 * be, so that a release with nobody waiting is a single atomic add. A waiter increments
 * {@code nwait} and re-checks the count under the lock before queueing, and a releaser
 * increments the count before reading {@code nwait}: one of the two always sees the
 * other, so no wake-up is lost. A woken waiter competes for the permit again unless the
 * release was a hand-off ({@code ticket == 1}), which passes the permit directly and
 * yields so the waiter runs soon; {@link Mutex} uses that in starvation mode. Waiters
 * that already waited re-queue at the head ({@code lifo}), as Go's mutex asks.
 */
final class Sema {
    private static final VarHandle COUNT;

    static {
        try {
            COUNT = MethodHandles.lookup().findVarHandle(Sema.class, "count", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through COUNT
    private volatile int count;
    /** Waiters counted in; written only under the lock, read without it. */
    private volatile int nwait;
    private final RuntimeLock lock = new RuntimeLock();
    private Waiter head;
    private Waiter tail;

    /** Go's {@code cansemacquire}. */
    private boolean tryAcquire() {
        for (;;) {
            int v = (int) COUNT.getVolatile(this);
            if (v == 0) {
                return false;
            }
            if (COUNT.compareAndSet(this, v, v - 1)) {
                return true;
            }
        }
    }

    /** Takes a permit, parking while none is available. Go's {@code semacquire1}. */
    void acquire(boolean lifo, WaitReason reason) {
        if (tryAcquire()) {
            return;
        }
        Waiter w = new Waiter();
        for (;;) {
            // nwait is written only under the lock, with volatile stores and no calls, so the
            // handler can undo the count exactly (see RuntimeLock.state).
            boolean counted = false;
            boolean got;
            lock.lock();
            try {
                nwait = nwait + 1;
                counted = true;
                got = tryAcquire();
                if (got) {
                    nwait = nwait - 1;
                    counted = false;
                } else {
                    enqueue(w, lifo);
                    counted = false;
                }
                lock.unlock(); // last in the try: if this call throws, the lock is still held
            } catch (Throwable t) {
                if (counted) {
                    nwait = nwait - 1;
                }
                lock.state = 0;
                throw t;
            }
            if (got) {
                return;
            }
            w.park(reason);
            if (w.ticket != 0 || tryAcquire()) {
                return;
            }
        }
    }

    /**
     * Adds a permit and wakes one waiter; with {@code handoff} the permit goes straight
     * to that waiter and the caller yields. Go's {@code semrelease1}.
     */
    void release(boolean handoff) {
        COUNT.getAndAdd(this, 1);
        if (nwait == 0) {
            return;
        }
        Waiter w = null;
        lock.lock();
        try {
            if (nwait != 0) {
                w = dequeue();
                if (w != null) {
                    nwait = nwait - 1;
                }
            }
            lock.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            lock.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        if (w != null) {
            boolean handedOff = handoff && tryAcquire();
            w.ticket = handedOff ? 1 : 0;
            w.wake();
            if (handedOff) {
                Sched.gosched();
            }
        }
    }

    /** Goroutines queued or about to queue; for tests that wait for a situation. */
    int waiting() {
        return nwait;
    }

    /** Waiters in the queue now, which a release would find; for tests that wait for a situation. */
    int queued() {
        lock.lock();
        int n = 0;
        for (Waiter w = head; w != null; w = w.next) {
            n++;
        }
        lock.unlock();
        return n;
    }

    private void enqueue(Waiter w, boolean lifo) {
        w.ticket = 0;
        if (head == null) {
            w.prev = null;
            w.next = null;
            head = w;
            tail = w;
        } else if (lifo) {
            w.prev = null;
            w.next = head;
            head.prev = w;
            head = w;
        } else {
            w.next = null;
            w.prev = tail;
            tail.next = w;
            tail = w;
        }
    }

    private Waiter dequeue() {
        Waiter w = head;
        if (w != null) {
            head = w.next;
            if (head == null) {
                tail = null;
            } else {
                head.prev = null;
            }
            w.next = null;
        }
        return w;
    }
}
