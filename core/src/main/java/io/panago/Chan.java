package io.panago;

import io.panago.internal.RuntimeLock;
import io.panago.runtime.G;
import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A channel, Go's {@code chan T}: a typed FIFO conduit between goroutines (or plain
 * threads), unbuffered ({@link #make()}, a rendezvous) or buffered ({@link #make(int)}).
 * Values may be {@code null} ({@code Chan<Void>} carries Go's {@code struct{}}). A
 * channel is a {@link SendChan} and a {@link RecvChan}; hand out those views to
 * restrict a party to one direction, as Go's {@code chan<- T} and {@code <-chan T} do.
 *
 * <p>Blocking parks the goroutine (a plain thread blocks). Go's rules hold exactly: a
 * receive from a closed channel yields the buffered values, then {@code null} with
 * {@code ok == false} at once; a send on a closed channel throws "send on closed
 * channel"; closing twice throws "close of closed channel"; closing wakes every waiting
 * receiver and fails every waiting sender. Waiting senders and receivers are served in
 * FIFO order, and a value sent to a waiting receiver is handed to it directly.
 *
 * <p>Implementation overview (Go's {@code runtime/chan.go}, {@code hchan}). One
 * {@link RuntimeLock} guards the ring buffer, the counters and the two wait queues of
 * {@link Sudog}s. An operation that can complete does so under the lock; one that must
 * wait enqueues a sudog, releases the lock and parks with a commit that keeps it parked.
 * The waker dequeues the sudog under the lock, hands the value over, marks it complete
 * and calls goready after unlocking. Parking after unlocking is safe because the
 * runtime banks a goready that arrives before the park (the contract of
 * {@link Sched#gopark}), and it keeps the lock hold short: a waker never spins while the
 * waiting goroutine yields. The non-blocking paths first look without the lock, as Go's
 * {@code chansend}/{@code chanrecv} do: the loads that observe "full"/"empty" are
 * acquire loads ordered before the load of {@code closed}, which makes "empty, then not
 * closed" a consistent snapshot (see {@link #tryRecv}). Every channel has a unique id:
 * a select locks its channels in id order, Java's stand-in for Go's lock order by
 * address.
 *
 * @param <T> the element type
 */
public final class Chan<T> implements SendChan<T>, RecvChan<T> {

    /**
     * The result of {@link #recvOk()} and {@link #tryRecv()}: Go's {@code v, ok}.
     *
     * @param value the received value; {@code null} when {@code ok} is false
     * @param ok true if the value was sent, false if the channel is closed and drained
     * @param <T> the element type
     */
    public record Received<T>(T value, boolean ok) {
        private static final Received<?> CLOSED = new Received<>(null, false);

        /**
         * The result of a receive from a closed, drained channel.
         *
         * @param <T> the element type
         * @return the one shared {@code (null, false)} result
         */
        @SuppressWarnings("unchecked")
        public static <T> Received<T> closed() {
            return (Received<T>) CLOSED;
        }
    }

    private static final AtomicLong IDS = new AtomicLong();
    private static final Chan<?> NIL = new Chan<>(0, true);
    private static final VarHandle QCOUNT;

    /** Internal results of {@link #recvImpl} besides a value. */
    private static final Object CLOSED_MARK = new Object();
    private static final Object WOULD_BLOCK = new Object();
    /** Buffer slots allocated by {@link #make(int)}; larger buffers grow as they fill. */
    private static final int EAGER_SLOTS = 1024;

    static {
        try {
            QCOUNT = MethodHandles.lookup().findVarHandle(Chan.class, "qcount", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Unique, increasing: the global lock order of {@link Select}. */
    final long id;
    final int dataqsiz;
    final boolean isNil;
    final RuntimeLock lock = new RuntimeLock();
    final WaitQ recvq = new WaitQ();
    final WaitQ sendq = new WaitQ();
    /**
     * The ring buffer: allocated up to {@link #EAGER_SLOTS} slots at once and grown by doubling
     * towards {@code dataqsiz} beyond that, so that a huge capacity (Go's
     * {@code make(chan struct{}, math.MaxInt32)}, whose zero-size elements take no memory)
     * costs only what is queued. Its length is {@code dataqsiz} whenever the buffer is full.
     */
    private Object[] buf;
    private int sendx;
    private int recvx;
    /** Written under the lock; read without it by {@link #len()} and the fast paths. */
    private int qcount;
    /** Set once, under the lock. */
    volatile boolean closed;

    private Chan(int size, boolean isNil) {
        this.id = IDS.incrementAndGet();
        this.dataqsiz = size;
        this.isNil = isNil;
        this.buf = size == 0 ? null : new Object[Math.min(size, EAGER_SLOTS)];
    }

    /**
     * Makes an unbuffered channel: a send completes only when a receiver takes it.
     *
     * @param <T> the element type
     * @return a new, open channel
     */
    public static <T> Chan<T> make() {
        return new Chan<>(0, false);
    }

    /**
     * Makes a channel with a buffer of {@code capacity} values (Go's
     * {@code make(chan T, capacity)}); 0 means unbuffered.
     *
     * @param <T> the element type
     * @param capacity the number of values the buffer holds
     * @return a new, open channel
     * @throws IllegalArgumentException "makechan: size out of range" if negative
     */
    public static <T> Chan<T> make(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("makechan: size out of range");
        }
        return new Chan<>(capacity, false);
    }

    /**
     * Go's nil channel: a send or receive blocks forever, {@link #close()} throws "close of
     * nil channel", and a {@link Select} case on it is never chosen. Useful to switch off
     * a case of a reusable select.
     *
     * @param <T> the element type
     * @return the nil channel, one shared instance
     */
    @SuppressWarnings("unchecked")
    public static <T> Chan<T> nil() {
        return (Chan<T>) NIL;
    }

    @Override
    public void send(T v) {
        sendImpl(v, true);
    }

    @Override
    public boolean trySend(T v) {
        return sendImpl(v, false);
    }

    /** Go's {@code chansend}: false only if {@code block} is false and it would block. */
    private boolean sendImpl(Object v, boolean block) {
        if (isNil) {
            if (!block) {
                return false;
            }
            parkForever(WaitReason.CHAN_SEND_NIL_CHAN);
        }
        if (!block && !closed && full()) {
            return false;
        }
        boolean wasClosed;
        boolean done = false;
        G gp = null;
        Sudog mysg = null;
        lock.lock();
        try {
            wasClosed = closed;
            if (!wasClosed) {
                Sudog sg = recvq.dequeue();
                if (sg != null) {
                    gp = sendTo(sg, v);
                    done = true;
                } else if (qcount < dataqsiz) {
                    bufSend(v); // may throw OutOfMemoryError growing the buffer, changing nothing
                    done = true;
                } else if (block) {
                    mysg = Sudog.acquire(Sched.getg());
                    mysg.elem = v;
                    sendq.enqueue(mysg);
                }
            }
            lock.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            lock.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        if (done) {
            if (gp != null) {
                Sched.goready(gp);
            }
            return true;
        }
        if (wasClosed) {
            throw sendOnClosed();
        }
        if (mysg == null) {
            return false;
        }
        mysg.parkUntilComplete(WaitReason.CHAN_SEND);
        boolean ok = mysg.success;
        mysg.release();
        if (!ok) {
            throw sendOnClosed();
        }
        return true;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T recv() {
        Object v = recvImpl(true);
        return v == CLOSED_MARK ? null : (T) v;
    }

    @Override
    public Received<T> recvOk() {
        return received(recvImpl(true));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Without the lock it first checks "empty" (an acquire load) and only then
     * "closed": if the channel was empty and, afterwards, still open, there was a moment
     * at which it was both, so reporting "would block" is linearizable; if it was closed,
     * closed is permanent and a second emptiness check decides between "closed" and
     * taking the lock for a buffered value.
     */
    @Override
    public Received<T> tryRecv() {
        if (isNil) {
            return null;
        }
        if (empty()) {
            if (!closed) {
                return null;
            }
            if (empty()) {
                return Received.closed();
            }
        }
        Object v = recvImpl(false);
        return v == WOULD_BLOCK ? null : received(v);
    }

    @Override
    public void close() {
        if (isNil) {
            throw new IllegalStateException("close of nil channel");
        }
        boolean wasClosed;
        // Woken sudogs are chained through `next` (free once dequeued) and readied after
        // unlocking, as Go's closechan collects them in a gList.
        Sudog ready = null;
        lock.lock();
        try {
            wasClosed = closed;
            if (!wasClosed) {
                ready = dequeueAll(recvq, null);
                ready = dequeueAll(sendq, ready);
                closed = true;
            }
            lock.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            lock.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        if (wasClosed) {
            throw new IllegalStateException("close of closed channel");
        }
        while (ready != null) {
            Sudog nx = ready.next;
            ready.next = null;
            Sched.goready(ready.g);
            ready = nx;
        }
    }

    /** Under the lock: empties {@code q}, each sudog failed and pushed onto {@code ready}. */
    private static Sudog dequeueAll(WaitQ q, Sudog ready) {
        for (Sudog sg; (sg = q.dequeue()) != null; ) {
            sg.elem = null;
            finish(sg, false);
            sg.next = ready;
            ready = sg;
        }
        return ready;
    }

    @Override
    public int len() {
        return (int) QCOUNT.getOpaque(this);
    }

    @Override
    public int cap() {
        return dataqsiz;
    }

    /**
     * Iterates the received values until the channel is closed and drained, Go's
     * {@code for v := range ch}. {@code hasNext()} blocks until a value or the close.
     */
    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private Object next = WOULD_BLOCK;

            @Override
            public boolean hasNext() {
                if (next == WOULD_BLOCK) {
                    next = recvImpl(true);
                }
                return next != CLOSED_MARK;
            }

            @Override
            @SuppressWarnings("unchecked")
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                T v = (T) next;
                next = WOULD_BLOCK;
                return v;
            }
        };
    }

    @Override
    public String toString() {
        return isNil ? "chan(nil)" : "chan#" + id + "(" + len() + "/" + dataqsiz + (closed ? ", closed)" : ")");
    }

    /**
     * Go's {@code chanrecv}: the value, {@link #CLOSED_MARK} when closed and drained, or
     * {@link #WOULD_BLOCK} if {@code block} is false and nothing is ready.
     */
    private Object recvImpl(boolean block) {
        if (isNil) {
            if (!block) {
                return WOULD_BLOCK;
            }
            parkForever(WaitReason.CHAN_RECEIVE_NIL_CHAN);
        }
        Object v = WOULD_BLOCK;
        G gp = null;
        Sudog mysg = null;
        lock.lock();
        try {
            if (closed && qcount == 0) {
                v = CLOSED_MARK;
            } else {
                Sudog sg = closed ? null : sendq.dequeue();
                if (sg != null) {
                    v = recvFrom(sg);
                    gp = sg.g;
                } else if (qcount > 0) {
                    v = bufRecv();
                } else if (block) {
                    mysg = Sudog.acquire(Sched.getg());
                    recvq.enqueue(mysg);
                }
            }
            lock.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            lock.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        if (gp != null) {
            Sched.goready(gp);
        }
        if (mysg == null) {
            return v;
        }
        mysg.parkUntilComplete(WaitReason.CHAN_RECEIVE);
        v = mysg.success ? mysg.elem : CLOSED_MARK;
        mysg.release();
        return v;
    }

    @SuppressWarnings("unchecked")
    private Received<T> received(Object v) {
        return v == CLOSED_MARK ? Received.closed() : new Received<>((T) v, true);
    }

    /** Lock-free "a send would block", Go's {@code full}; see {@link #tryRecv()}. */
    private boolean full() {
        if (dataqsiz == 0) {
            return recvq.isEmptyAcquire();
        }
        return (int) QCOUNT.getAcquire(this) == dataqsiz;
    }

    /** Lock-free "a receive would block", Go's {@code empty}. */
    boolean empty() {
        if (dataqsiz == 0) {
            return sendq.isEmptyAcquire();
        }
        return (int) QCOUNT.getAcquire(this) == 0;
    }

    int qcount() {
        return qcount;
    }

    /** Number of goroutines parked receiving; for tests that wait for a situation. */
    int waitingReceivers() {
        lock.lock();
        try {
            int n = recvq.size();
            lock.unlock();
            return n;
        } catch (Throwable t) {
            lock.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
    }

    /** Number of goroutines parked sending; for tests that wait for a situation. */
    int waitingSenders() {
        lock.lock();
        try {
            int n = sendq.size();
            lock.unlock();
            return n;
        } catch (Throwable t) {
            lock.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
    }

    /**
     * Under the lock: hands {@code v} to the dequeued receiver {@code sg}, Go's
     * {@code send}. Returns the goroutine to ready once the lock is released.
     */
    G sendTo(Sudog sg, Object v) {
        sg.elem = v;
        finish(sg, true);
        return sg.g;
    }

    /**
     * Under the lock: takes the value of the dequeued sender {@code sg}, Go's
     * {@code recv}. With a buffer (which is then full) the receiver gets the head and
     * the sender's value goes to the tail, keeping FIFO order. The caller readies
     * {@code sg.g} once the lock is released.
     */
    Object recvFrom(Sudog sg) {
        finish(sg, true); // first: the calls are done before anything shared is written
        Object v;
        if (dataqsiz == 0) {
            v = sg.elem;
        } else {
            int i = recvx;
            v = buf[i];
            buf[i] = sg.elem;
            int n = i + 1 == buf.length ? 0 : i + 1;
            recvx = n;
            sendx = n;
        }
        sg.elem = null;
        return v;
    }

    /**
     * Under the lock, with {@code qcount < dataqsiz}. May grow the buffer, so it may throw
     * {@link OutOfMemoryError}. Whatever a call in it throws, the channel is unchanged: the
     * count's store is its last call, and only plain writes follow it.
     */
    void bufSend(Object v) {
        if (qcount == buf.length) {
            grow();
        }
        int i = sendx;
        buf[i] = v; // a free slot: harmless if the count's store below throws
        QCOUNT.setOpaque(this, qcount + 1);
        sendx = i + 1 == buf.length ? 0 : i + 1;
    }

    /** Under the lock, with {@code qcount > 0}; changes nothing if its one call throws. */
    Object bufRecv() {
        int i = recvx;
        Object v = buf[i];
        QCOUNT.setOpaque(this, qcount - 1);
        buf[i] = null;
        recvx = i + 1 == buf.length ? 0 : i + 1;
        return v;
    }

    /** Under the lock, with {@code qcount == buf.length < dataqsiz}: doubles the buffer. */
    private void grow() {
        Object[] old = buf;
        Object[] nb = new Object[(int) Math.min(dataqsiz, 2L * old.length)];
        int n = qcount;
        int head = old.length - recvx;
        if (n <= head) {
            System.arraycopy(old, recvx, nb, 0, n);
        } else {
            System.arraycopy(old, recvx, nb, 0, head);
            System.arraycopy(old, 0, nb, head, n - head);
        }
        buf = nb;
        recvx = 0;
        sendx = n;
    }

    /** Records the outcome in a dequeued sudog; a select reads it back under the lock. */
    private static void finish(Sudog sg, boolean ok) {
        if (sg.sel == null) {
            sg.complete(ok);
        } else {
            sg.success = ok;
        }
    }

    static IllegalStateException sendOnClosed() {
        return new IllegalStateException("send on closed channel");
    }

    /** Blocks forever, as an operation on Go's nil channel does. */
    static void parkForever(WaitReason reason) {
        for (;;) {
            Sched.gopark(Sudog.STAY_PARKED, null, reason);
        }
    }
}
