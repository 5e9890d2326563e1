package io.panago.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;

/**
 * One direction's I/O operation on a descriptor, for the completion backends (io_uring, IOCP):
 * Go's internal/poll {@code operation} with {@code execIO} (fd_windows.go). Where a readiness
 * backend tells the net layer "try again", a completion backend takes the operation itself: the
 * net layer calls {@link #recv}, {@link #send}, {@link #accept}, {@link #connect} (or
 * {@link #read}/{@link #write}), which submit the operation with this object's off-heap buffer,
 * park the goroutine on the {@link PollDesc} slot of the direction, and return once the
 * completion arrived. Use it when {@link PollDesc#completionModel()} is true. Where the
 * backend can tell, an operation that can complete at once does so in the caller, without
 * parking (IOCP: {@code FILE_SKIP_COMPLETION_PORT_ON_SUCCESS}; io_uring: receives and accepts
 * first try the non-blocking syscall, straight into the caller's array; see the backends).
 *
 * <p>Each call returns the wait's status, as {@link PollDesc#waitRead} does: {@link PollDesc#OK}
 * (the operation completed: see {@link #result()}), {@link PollDesc#ERR_TIMEOUT} (the
 * direction's deadline passed) or {@link PollDesc#ERR_CLOSING} (the descriptor was evicted). On
 * a timeout or eviction the operation is cancelled ({@code IORING_OP_ASYNC_CANCEL},
 * {@code CancelIoEx}) and the call still waits for its completion, because the kernel owns the
 * buffer until then; if the operation completed before the cancel took effect, the call reports
 * that completion instead ({@link PollDesc#OK}), so no data is lost.
 *
 * <h2>Implementation overview</h2>
 * {@link #state} holds three bits: {@code BUSY} (a call is inside this op; only the caller
 * sets and clears it), {@code INFLIGHT} (the kernel owns the op and its memory; set by the
 * caller before submitting, cleared by the poller when the completion arrives, after it stored
 * {@link #res}) and {@code CLOSED}. INFLIGHT is only ever set inside BUSY, and a call returns
 * only once its operation has completed, cancelled or not, also when an error ends its wait
 * ({@link #outlast}): so a data buffer, taken from the
 * pool for one call and sized to it, goes back when the call leaves, never while the kernel
 * owns it; and the op's completion slot is released by whichever of {@link #close} and the
 * leaving call comes last. An idle descriptor therefore holds no buffer; one waiting to
 * receive holds one, as it would hold the kernel's attention anyway. The poller
 * wakes the caller through the PollDesc slot ({@code netpollready}), so deadlines and eviction
 * work as for readiness waits; after a cancel the caller parks on {@link #waiter} instead,
 * which neither deadlines nor eviction touch. The completion clears INFLIGHT and then takes
 * the waiter, the parking caller publishes itself as waiter and then re-checks INFLIGHT: both
 * are sequentially consistent, so one of them sees the other.
 *
 * <p>Thread-safety: one caller at a time per op (a second concurrent call throws), as PollDesc
 * allows one waiter per direction; {@link #close} may come from any thread at any time.
 */
public final class NetpollOp implements AutoCloseable {
    static final int READ = 1, WRITE = 2, RECV = 3, SEND = 4, ACCEPT = 5, CONNECT = 6, ACCEPT_INTO = 7;
    /** Room for any socket address and, after it, the kernel's socklen_t for accept. */
    static final int ADDR_BYTES = 128;
    static final long ADDR_LEN_OFFSET = ADDR_BYTES;
    private static final int BUSY = 1, INFLIGHT = 2, CLOSED = 4;
    private static final VarHandle STATE, WAITER;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(NetpollOp.class, "state", int.class);
            WAITER = l.findVarHandle(NetpollOp.class, "waiter", G.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final PollDesc pd;
    /** {@link PollDesc#MODE_READ} or {@link PollDesc#MODE_WRITE}: the slot this op waits on. */
    final int mode;
    final Netpoll netpoll;
    private final int capacity;
    @SuppressWarnings("unused") // through STATE
    private volatile int state;
    @SuppressWarnings("unused") // through WAITER
    private volatile G waiter;

    // Set by the caller before submitting, read by the backend's submit.
    int kind;
    /** The current call's data buffer, or null between calls. */
    MemorySegment buf;
    /** Socket address area for accept and connect, or null until the first of them. */
    MemorySegment addr;
    int len;
    int flags;
    int addrLen;
    /** Whether a cancel was requested for the operation now in flight. */
    boolean cancelled;
    /** ACCEPT_INTO: the socket AcceptEx accepts into. */
    long acceptSocket;
    /**
     * Backend hint, written by the poller before {@link #complete}: the last receive left the
     * socket empty, so the next one will most likely wait (io_uring then arms its poll first).
     */
    boolean drained;

    /** The completion: bytes or a descriptor (&gt;= 0), or a negated OS error code. */
    long res;
    /** Backend bookkeeping: the op's slot in the backend's table, and the submission count. */
    int slot = -1;
    int gen;
    /** Backend bookkeeping: per-op state the backend needs (IOCP: the OVERLAPPED and its words). */
    Object backendData;
    /** Backend bookkeeping: the op's own error capture segment (errno, GetLastError). */
    MemorySegment capture;

    private NetpollOp(PollDesc pd, int mode, int capacity, Netpoll netpoll) {
        this.pd = pd;
        this.mode = mode;
        this.capacity = capacity;
        this.netpoll = netpoll;
    }

    /**
     * An operation slot for {@code pd}'s direction {@code mode}, moving at most
     * {@code capacity} bytes (up to 64 KiB) per receive or send; each call borrows a pooled
     * buffer of the size it asks for. One per direction per descriptor, closed with the
     * descriptor.
     *
     * @throws IllegalStateException if the poller is not a completion backend
     */
    public static NetpollOp open(PollDesc pd, int mode, int capacity) {
        Objects.requireNonNull(pd, "pd");
        if (mode != PollDesc.MODE_READ && mode != PollDesc.MODE_WRITE) {
            throw new IllegalArgumentException("mode must be MODE_READ or MODE_WRITE: " + mode);
        }
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        Netpoll np = pd.netpoll;
        if (!np.completionModel()) {
            throw new IllegalStateException("the network poller " + np.getClass().getSimpleName()
                    + " is a readiness backend: use PollDesc.waitRead/waitWrite");
        }
        NetpollOp op = new NetpollOp(pd, mode, Math.min(capacity, Pool.MAX), np);
        np.opened(op);
        return op;
    }

    /** {@return the most one {@code recv}/{@code send} moves} */
    public int capacity() {
        return capacity;
    }

    /**
     * The completion of the last call that returned {@link PollDesc#OK}: bytes moved (0 at
     * end of stream) or, for accept, the new descriptor; negative: the OS error, negated
     * ({@code -errno} on Linux, {@code -GetLastError()} on Windows).
     */
    public long result() {
        return res;
    }

    /** The address length the last {@link #accept} reported. */
    public int addressLength() {
        return addrLen;
    }

    /** Go's {@code fd.Read} through {@code execIO}: reads up to {@code len} bytes into {@code b}. */
    public int read(byte[] b, int off, int len) {
        return transfer(READ, b, off, len, 0);
    }

    /** {@code recv(2)} with {@code flags} into {@code b}, at most {@link #capacity()} bytes. */
    public int recv(byte[] b, int off, int len, int flags) {
        return transfer(RECV, b, off, len, flags);
    }

    /** Writes up to {@code min(len, capacity())} bytes of {@code b}; see {@link #result()}. */
    public int write(byte[] b, int off, int len) {
        return transfer(WRITE, b, off, len, 0);
    }

    /** {@code send(2)} with {@code flags} of up to {@code min(len, capacity())} bytes of {@code b}. */
    public int send(byte[] b, int off, int len, int flags) {
        return transfer(SEND, b, off, len, flags);
    }

    /**
     * Accepts a connection ({@code accept4} flags, e.g. {@code SOCK_NONBLOCK|SOCK_CLOEXEC});
     * {@link #result()} is the new descriptor. The peer's address is copied into
     * {@code addrOut} (as much as fits; pass {@link MemorySegment#NULL} for none) and its
     * length is {@link #addressLength()}.
     */
    public int accept(int flags, MemorySegment addrOut) {
        enter();
        try {
            ensureAddr();
            addr.set(ValueLayout.JAVA_INT, ADDR_LEN_OFFSET, ADDR_BYTES);
            this.flags = flags;
            int st = pd.prepare(mode);
            if (st != PollDesc.OK && !lastTry(st)) {
                return st;
            }
            long now = netpoll.completeAtOnce(this, ACCEPT, null, 0, 0, flags);
            if (now != Netpoll.SUBMIT) {
                res = now;
                st = PollDesc.OK;
            } else if (st == PollDesc.OK || netpoll.submitTriesAtOnce()) {
                st = submitAndWait(ACCEPT);
            }
            if (st == PollDesc.OK && res >= 0) {
                addrLen = addr.get(ValueLayout.JAVA_INT, ADDR_LEN_OFFSET);
                long n = Math.min(Math.min(addrLen, ADDR_BYTES), addrOut.byteSize());
                MemorySegment.copy(addr, 0, addrOut, 0, n);
            }
            return st;
        } finally {
            leave();
        }
    }

    /**
     * Windows' {@code AcceptEx}: accepts a connection of this listening socket into
     * {@code socket}, which the caller created beforehand (same family, unbound); then the
     * caller sets {@code SO_UPDATE_ACCEPT_CONTEXT} on it and asks {@code getpeername} for the
     * address. {@link #result()} is 0 or a negated error. Completion backends without
     * {@code AcceptEx} (io_uring) use {@link #accept} instead.
     */
    public int acceptInto(long socket) {
        enter();
        try {
            ensureAddr();
            acceptSocket = socket;
            return exec(ACCEPT_INTO);
        } finally {
            leave();
        }
    }

    /**
     * Connects to the socket address {@code sockaddr[0..len)} (at most 128 bytes);
     * {@link #result()} is 0 or a negated error. On Windows ({@code ConnectEx}) the socket must
     * be bound first, and the caller sets {@code SO_UPDATE_CONNECT_CONTEXT} afterwards.
     */
    public int connect(MemorySegment sockaddr, int len) {
        if (len < 0 || len > ADDR_BYTES || len > sockaddr.byteSize()) {
            throw new IndexOutOfBoundsException("address length " + len);
        }
        enter();
        try {
            ensureAddr();
            MemorySegment.copy(sockaddr, 0, addr, 0, len);
            addrLen = len;
            return exec(CONNECT);
        } finally {
            leave();
        }
    }

    private int transfer(int kind, byte[] b, int off, int len, int flags) {
        Objects.checkFromIndexSize(off, len, b.length);
        enter();
        try {
            int n = Math.min(len, capacity);
            int err = pd.prepare(mode);
            if (err != PollDesc.OK && !lastTry(err)) {
                return err;
            }
            long now = netpoll.completeAtOnce(this, kind, b, off, n, flags);
            if (now != Netpoll.SUBMIT) {
                res = now;
                return PollDesc.OK;
            }
            if (err != PollDesc.OK && !netpoll.submitTriesAtOnce()) {
                return err;
            }
            buf = Pool.take(Pool.roundUp(Math.max(n, 1)));
            boolean out = kind == WRITE || kind == SEND;
            if (out) {
                MemorySegment.copy(b, off, buf, ValueLayout.JAVA_BYTE, 0, n);
            }
            this.len = n;
            this.flags = flags;
            int st = submitAndWait(kind);
            if (st == PollDesc.OK && !out && res > 0) {
                MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, b, off, (int) res);
            }
            return st;
        } finally {
            leave();
        }
    }

    /**
     * Whether a read or accept whose deadline has already passed ({@code err}) still makes
     * the attempt that needs no wait ({@link Netpoll#completeAtOnce}, or a submission that
     * completes at once where {@link Netpoll#submitTriesAtOnce}): what is there already is
     * returned, as a JDK socket read does under however short a soTimeout. (The net layer
     * fails a call at once when the user's own deadline has passed, as Go does, before it
     * gets here; the deadline found passed here is mostly the call's soTimeout.)
     */
    private boolean lastTry(int err) {
        if (err != PollDesc.ERR_TIMEOUT || mode != PollDesc.MODE_READ) {
            return false;
        }
        drained = false; // no poll-first guess: this is the only try
        return true;
    }

    private void ensureAddr() {
        if (addr == null) {
            addr = Arena.ofAuto().allocate(ADDR_BYTES + 8, 8);
        }
    }

    private void enter() {
        int s = (int) STATE.compareAndExchange(this, 0, BUSY);
        if (s != 0) {
            throw new IllegalStateException((s & CLOSED) != 0 ? "operation closed"
                    : "two callers in one operation of fd " + pd.fd);
        }
    }

    private void leave() {
        MemorySegment b = buf;
        if (b != null) {
            buf = null;
            Pool.give(b); // nothing is in flight: exec returns only after the completion
        }
        int s = (int) STATE.getAndBitwiseAnd(this, ~BUSY);
        if (s == (BUSY | CLOSED)) {
            netpoll.closed(this);
        }
    }

    /** Go's {@code execIO}: submit, wait, and on deadline or eviction cancel and wait again. */
    private int exec(int kind) {
        int err = pd.prepare(mode);
        if (err != PollDesc.OK && !(lastTry(err) && netpoll.submitTriesAtOnce())) {
            return err;
        }
        return submitAndWait(kind);
    }

    /** {@link #exec} after {@code pd.prepare}. */
    private int submitAndWait(int kind) {
        this.kind = kind;
        cancelled = false;
        res = 0;
        STATE.getAndBitwiseOr(this, INFLIGHT);
        try {
            netpoll.submit(this);
        } catch (RuntimeException | Error e) {
            STATE.getAndBitwiseAnd(this, ~INFLIGHT); // never reached the kernel
            throw e;
        }
        try {
            while (((int) STATE.getVolatile(this) & INFLIGHT) != 0) {
                int err = pd.await(mode);
                if (err != PollDesc.OK) {
                    cancelled = true;
                    netpoll.cancel(this);
                    awaitCompletion();
                    return netpoll.wasCancelled(this) ? err : PollDesc.OK;
                }
            }
            return PollDesc.OK;
        } catch (Throwable t) {
            outlast();
            throw t;
        }
    }

    /**
     * An error (a full heap, a stack overflow) is leaving the wait while the operation may still
     * be in flight. The call must not return before its completion: the kernel still writes into
     * the buffer, which would go back to the pool and serve another descriptor's call, and this
     * op's next call would take the late completion for its own (a read returning bytes it never
     * got). So cancel it and wait for the completion on the carrier, without parking (parking is
     * what may have failed): the cancel ends it within the next poll.
     */
    private void outlast() {
        boolean asked = false;
        while (((int) STATE.getVolatile(this) & INFLIGHT) != 0) {
            if (!asked) {
                try {
                    cancelled = true;
                    netpoll.cancel(this);
                    asked = true;
                } catch (Throwable again) {
                    // try again on the next round
                }
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
    }

    /** Parks, untouched by deadlines and eviction, until the in-flight operation completes. */
    private void awaitCompletion() {
        while (((int) STATE.getVolatile(this) & INFLIGHT) != 0) {
            Sched.gopark(COMMIT, this, WaitReason.IO_WAIT);
        }
    }

    private static final ParkCommit COMMIT = (g, op) -> ((NetpollOp) op).commit(g);

    private boolean commit(G g) {
        netpoll.waiters.incrementAndGet();
        WAITER.setVolatile(this, g);
        if (((int) STATE.getVolatile(this) & INFLIGHT) == 0 && WAITER.compareAndSet(this, g, null)) {
            netpoll.waiters.decrementAndGet();
            return false; // completed meanwhile: do not park
        }
        Sched.pollForThread(g);
        return true; // the completion takes the waiter and readies it
    }

    /**
     * Called by the backend's poller with the operation's result: ends the flight, frees the
     * buffer if the op was closed meanwhile, and readies the waiting caller into {@code out}.
     */
    void complete(long result, GList out) {
        res = result;
        int s = (int) STATE.getAndBitwiseAnd(this, ~INFLIGHT);
        if (out == null) {
            return; // completed inside submit, on the caller's own thread: nobody to wake
        }
        G w = (G) WAITER.getAndSet(this, null);
        if (w != null) {
            netpoll.waiters.decrementAndGet();
            Sched.readyInto(w, out);
        } else {
            pd.netpollready(out, mode);
        }
    }

    /**
     * Releases the op, now or, if a call is inside, when it returns (with its buffer, which the
     * kernel may own until then). Closing the descriptor (evict, then {@link PollDesc#close})
     * is what cancels an operation in flight. Idempotent; later calls throw.
     */
    @Override
    public void close() {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & CLOSED) != 0) {
                return;
            }
            if (STATE.compareAndSet(this, s, s | CLOSED)) {
                if (s == 0) {
                    netpoll.closed(this);
                }
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "NetpollOp[fd " + pd.fd + (mode == PollDesc.MODE_READ ? ", read" : ", write") + ", state "
                + (int) STATE.getVolatile(this) + "]";
    }

    /**
     * Initialises this class and its buffer pool now, when a completion backend starts: a class
     * whose initialiser first runs while the heap is full stays unusable for good (every later
     * send and receive threw NoClassDefFoundError; seen in OutOfMemoryEchoTest's child on
     * io_uring).
     */
    static void initialize() {
        Pool.roundUp(1);
    }

    /**
     * Data buffers by size class (4, 16, 32, 64 KiB), kept for reuse up to 64 MiB per class, so
     * that calls do not allocate native memory. A dropped buffer is freed by the GC (auto
     * arena); the pool is never handed one the kernel still owns.
     */
    static final class Pool {
        static final int MAX = 64 << 10;
        private static final int[] SIZES = {4 << 10, 16 << 10, 32 << 10, MAX};
        private static final long KEEP_BYTES = 64L << 20;
        private static final ArrayDeque<MemorySegment>[] FREE = newFree();

        private Pool() {
        }

        @SuppressWarnings("unchecked")
        private static ArrayDeque<MemorySegment>[] newFree() {
            ArrayDeque<MemorySegment>[] f = new ArrayDeque[SIZES.length];
            Arrays.setAll(f, i -> new ArrayDeque<>());
            return f;
        }

        static int roundUp(int n) {
            for (int s : SIZES) {
                if (n <= s) {
                    return s;
                }
            }
            return SIZES[SIZES.length - 1];
        }

        private static int index(long size) {
            return Arrays.binarySearch(SIZES, (int) size);
        }

        static MemorySegment take(int size) {
            ArrayDeque<MemorySegment> f = FREE[index(size)];
            synchronized (f) {
                MemorySegment b = f.poll();
                if (b != null) {
                    return b;
                }
            }
            return Arena.ofAuto().allocate(size, 4096);
        }

        static void give(MemorySegment b) {
            ArrayDeque<MemorySegment> f = FREE[index(b.byteSize())];
            synchronized (f) {
                if (f.size() < KEEP_BYTES / b.byteSize()) {
                    f.push(b);
                }
            }
        }
    }
}
