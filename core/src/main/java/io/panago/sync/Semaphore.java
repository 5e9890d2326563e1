package io.panago.sync;

import io.panago.Chan;
import io.panago.RecvChan;
import io.panago.Select;
import io.panago.context.Context;
import io.panago.internal.RuntimeLock;
import java.util.Objects;

/**
 * A weighted semaphore, {@code golang.org/x/sync/semaphore.Weighted}: a pool of
 * {@code size} tokens that callers acquire and release in any amounts. Waiters are
 * served strictly in FIFO order: a large request at the head is not overtaken by small
 * ones, so it cannot starve.
 *
 * <p>Implementation overview. {@code cur} and the FIFO are guarded by a short
 * {@link RuntimeLock}. A waiter that cannot be served at once queues an entry with its
 * own unbuffered {@code ready} channel and selects on it and on the context's done
 * channel; {@link #notifyWaiters()} grants tokens from the head and closes the ready
 * channels. A waiter cancelled after it was granted gives the tokens back; one cancelled
 * while at the head lets the next waiters try, as in x/sync.
 */
public final class Semaphore {
    private static final class Entry {
        final long n;
        final Chan<Void> ready = Chan.make();
        /** Set with {@code ready}'s close, under the semaphore's lock. */
        boolean granted;
        Entry next;
        Entry prev;

        Entry(long n) {
            this.n = n;
        }
    }

    private final long size;
    private final RuntimeLock mu = new RuntimeLock();
    private long cur;
    private Entry head;
    private Entry tail;

    /**
     * Creates a semaphore with {@code size} tokens, all available.
     *
     * @param size the number of tokens, not negative
     */
    public Semaphore(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("semaphore: negative size");
        }
        this.size = size;
    }

    /**
     * A negative weight would turn an acquire into a release and back: refused, as
     * {@link java.util.concurrent.Semaphore} refuses negative permits (x/sync does not check).
     */
    private static void weight(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("semaphore: negative weight " + n);
        }
    }

    /**
     * Acquires {@code n} tokens, parking until they are available.
     *
     * @param n the number of tokens; more than the size waits forever, as in x/sync
     */
    public void acquire(long n) {
        acquire(Context.background(), n);
    }

    /**
     * Acquires {@code n} tokens, parking until they are available or {@code ctx} is done.
     * On failure no tokens are held.
     *
     * @param ctx the context whose end gives up the wait
     * @param n the number of tokens; more than the size fails only once {@code ctx} ends
     * @throws io.panago.context.ContextError {@code ctx.err()} if {@code ctx} ended first
     *     (at once if it already had)
     */
    public void acquire(Context ctx, long n) {
        weight(n);
        RecvChan<Void> done = Objects.requireNonNull(ctx, "ctx").done();
        boolean ended;
        boolean got = false;
        Entry w = null;
        mu.lock();
        try {
            ended = ctx.err() != null;
            if (!ended && size - cur >= n && head == null) {
                cur += n;
                got = true;
            } else if (!ended && n <= size) {
                w = new Entry(n);
                enqueue(w);
            }
            mu.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            mu.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        if (got) {
            return;
        }
        if (w == null) {
            if (!ended) {
                // Can never succeed: wait for the context, as x/sync does.
                done.recv();
            }
            throw ctx.err();
        }

        Select sel = new Select();
        Select.RecvCase<Void> ready = sel.recv(w.ready);
        sel.recv(done);
        if (sel.select() == ready.index()) {
            if (ctx.err() != null) {
                release(n);
                throw ctx.err();
            }
            return;
        }
        mu.lock();
        try {
            if (w.granted) {
                cur -= n;
                notifyWaiters();
            } else {
                boolean front = head == w;
                remove(w);
                if (front && size > cur) {
                    notifyWaiters();
                }
            }
            mu.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            mu.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        throw ctx.err();
    }

    /**
     * Acquires {@code n} tokens if that needs no waiting; never blocks.
     *
     * @param n the number of tokens
     * @return true if they were acquired
     */
    public boolean tryAcquire(long n) {
        weight(n);
        mu.lock();
        boolean ok = size - cur >= n && head == null;
        if (ok) {
            cur += n;
        }
        try {
            mu.unlock();
        } catch (Throwable t) {
            mu.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        return ok;
    }

    /**
     * Returns {@code n} tokens and serves the waiters that now fit, in order.
     *
     * @param n the number of tokens
     * @throws IllegalStateException "semaphore: released more than held"
     */
    public void release(long n) {
        weight(n);
        boolean over;
        mu.lock();
        try {
            over = cur - n < 0;
            if (!over) {
                cur -= n;
                notifyWaiters();
            }
            mu.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            mu.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        if (over) {
            throw new IllegalStateException("semaphore: released more than held");
        }
    }

    /**
     * Tokens currently held; a snapshot for diagnostics.
     *
     * @return the number of tokens acquired and not yet released
     */
    public long held() {
        mu.lock();
        long c;
        try {
            c = cur;
            mu.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            mu.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        return c;
    }

    /** Callers queued in {@link #acquire}; for tests that wait for a situation. */
    int waiters() {
        mu.lock();
        int n = 0;
        try {
            for (Entry w = head; w != null; w = w.next) {
                n++;
            }
            mu.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            mu.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        return n;
    }

    /** Under {@link #mu}: grants tokens to head waiters while they fit. */
    private void notifyWaiters() {
        for (Entry w = head; w != null; w = head) {
            if (size - cur < w.n) {
                // Serving a later, smaller waiter could starve this one.
                break;
            }
            remove(w); // first: a call that throws here has changed nothing
            cur += w.n;
            w.granted = true;
            w.ready.close();
        }
    }

    private void enqueue(Entry w) {
        w.prev = tail;
        if (tail == null) {
            head = w;
        } else {
            tail.next = w;
        }
        tail = w;
    }

    private void remove(Entry w) {
        if (w.prev == null) {
            head = w.next;
        } else {
            w.prev.next = w.next;
        }
        if (w.next == null) {
            tail = w.prev;
        } else {
            w.next.prev = w.prev;
        }
        w.prev = null;
        w.next = null;
    }
}
