package io.panago.runtime;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The network poller seam (Go's runtime/netpoll.go): the few operations every OS backend
 * implements, one backend per sibling file ({@link NetpollEpoll}; {@link NetpollStub} where
 * there is none). The generic half, the per-descriptor park/ready protocol with deadlines, is
 * {@link PollDesc}, identical for every backend.
 *
 * <h2>How the scheduler uses it</h2>
 * There is no poller thread. An M that finds no work blocks in {@link #poll} with the next
 * timer as timeout (one M at a time, {@code Sched.lastpoll == 0} while it does); an M that
 * still has work polls with timeout 0 when goroutines wait on descriptors; sysmon polls if
 * nobody has for 10 ms. {@link #poll} readies the parked goroutines into a list that the polling
 * M runs itself (first one) or queues (the rest). {@link #wakeup} (Go's {@code netpollBreak})
 * cuts a blocking poll short when an earlier timer is added.
 *
 * <h2>Readiness backends (epoll, kqueue)</h2>
 * {@link #open} registers a descriptor once, edge-triggered, for both directions, tagged with
 * {@link #register}'s tag (slot | sequence &lt;&lt; 32) so an event that arrives for a closed
 * descriptor whose number was reused is recognised as stale and dropped (Go's {@code fdseq}).
 * The net layer tries the non-blocking syscall, and on EAGAIN parks with
 * {@link PollDesc#waitRead}/{@link PollDesc#waitWrite}; the poller's readiness event sets the
 * mode's slot to READY or hands its parked goroutine back (Go's {@code netpollready}).
 *
 * <h2>Completion backends (io_uring, IOCP)</h2>
 * The same seam takes a completion backend without a change to {@link PollDesc}'s protocol,
 * the way Go's IOCP poller does it. When {@link PollDesc#completionModel()} is true the net
 * layer does not try a syscall: it runs the operation (read, write, recv, send, accept,
 * connect) through a {@link NetpollOp}, which submits it with an off-heap buffer it owns
 * ({@link #submit}), waits on the descriptor's slot of that direction, and is woken when
 * {@link #poll} reaps the completion and hands it over ({@link NetpollOp#complete}), which
 * readies the slot exactly as a readiness event does. A deadline or {@link PollDesc#evict}
 * wakes the waiter with ERR_TIMEOUT/ERR_CLOSING as usual; the op then cancels the operation
 * ({@link #cancel}: {@code IORING_OP_ASYNC_CANCEL}, {@code CancelIoEx}) and waits for its
 * completion (success or "cancelled") before the buffer can be reused or freed, because the
 * kernel owns it until then. Everything above the descriptor (deadlines, close, goroutine
 * parking) is shared. Readiness waits stay possible on a completion backend where the OS
 * offers readiness ({@link #arm}: io_uring's multishot poll).
 */
abstract class Netpoll {
    /** Goroutines parked on a descriptor (Go's netpollWaiters): polling is only worth it if &gt; 0. */
    final AtomicInteger waiters = new AtomicInteger();
    /**
     * 1 while requests published by a thread that may not submit them wait for one that may
     * (io_uring: see NetpollUring.submitter); polling is worth it then too.
     */
    volatile int handedOff;

    private final Object tableLock = new Object();
    /** Registered descriptors by slot; copy-on-grow, so the poller reads it without a lock. */
    private volatile PollDesc[] table = new PollDesc[64];
    private int[] free = new int[64];
    private int nfree;
    private int nslots;
    private int seq;

    private final Object opLock = new Object();
    /** Completion operations by slot; copy-on-grow, so the poller reads it without a lock. */
    private volatile NetpollOp[] ops = new NetpollOp[64];
    private int[] opFree = new int[64];
    private int nOpFree, nOpSlots;

    /**
     * The backend named by {@code -Dpanago.netpoll=epoll|io_uring|kqueue|iocp|none}, by default
     * the OS's own: epoll on Linux, kqueue on macOS and the BSDs, IOCP on Windows, else a poller
     * without descriptors. kqueue and IOCP elsewhere run against whatever
     * {@code Macos.bindLookup}/{@code Windows.bindLookup} was given (the tests' fakes).
     * io_uring falls back to epoll, saying why on stderr, where the kernel refuses it.
     */
    static Netpoll create() {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        String want = System.getProperty("panago.netpoll", "");
        if (want.isEmpty()) {
            want = os.startsWith("linux") ? "epoll"
                    : os.startsWith("mac") || os.contains("bsd") ? "kqueue"
                    : os.startsWith("windows") ? "iocp" : "none";
        }
        try {
            return switch (want) {
                case "epoll" -> new NetpollEpoll();
                case "io_uring" -> NetpollUring.openOrEpoll();
                case "kqueue" -> new NetpollKqueue();
                case "iocp" -> new NetpollIocp();
                case "none" -> new NetpollStub();
                default -> throw new IllegalStateException("panago.netpoll=" + want
                        + " is unknown (epoll, io_uring, kqueue, iocp or none)");
            };
        } catch (LinkageError e) {
            throw new IllegalStateException("panago.netpoll=" + want + " is not available on " + os + ": " + e, e);
        }
    }

    /** Go's {@code netpollopen}: registers {@code pd.fd} once for both directions. */
    abstract void open(PollDesc pd) throws IOException;

    /** Go's {@code netpollclose}: deregisters {@code pd.fd}; errors are ignored. */
    abstract void close(PollDesc pd);

    /**
     * Go's {@code netpoll(delay)}: waits up to {@code delayNanos} (&lt; 0: until woken, 0: not
     * at all) and appends the goroutines it made runnable to {@code out}. Blocking polls come
     * from one M at a time; non-blocking ones may overlap with them.
     */
    abstract void poll(long delayNanos, GList out);

    /** Go's {@code netpollBreak}: makes a blocked {@link #poll} return soon. Any thread. */
    abstract void wakeup();

    /**
     * Whether every wake-up of a registered socket's wait queue (each arriving segment)
     * reaches {@link PollDesc#netpollready} as a read event, and urgent data, the peer's
     * shutdown, hang-ups and errors set {@link PollDesc#eventful}: the premise of
     * {@link PollDesc#shortReadDrains}. Only epoll.
     */
    boolean edgePerWakeup() {
        return false;
    }

    /** Whether this is a completion backend: the net layer then runs {@link NetpollOp}s. */
    boolean completionModel() {
        return false;
    }

    /**
     * Called before every readiness wait on {@code pd}: a backend whose readiness registration
     * is not made at {@link #open} makes it here (io_uring's multishot poll). Any thread.
     */
    void arm(PollDesc pd) {
    }

    /**
     * A new operation: a completion backend gives it a slot (see {@link #lookupOp}) and what
     * else it needs per operation.
     */
    void opened(NetpollOp op) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no operations");
    }

    /** The operation is closed and nothing of it is in flight: its slot is free again. */
    final void closed(NetpollOp op) {
        synchronized (opLock) {
            if (op.slot < 0 || ops[op.slot] != op) {
                return;
            }
            ops[op.slot] = null;
            if (nOpFree == opFree.length) {
                opFree = Arrays.copyOf(opFree, nOpFree * 2);
            }
            opFree[nOpFree++] = op.slot;
            op.slot = -1;
        }
    }

    /** Gives {@code op} a slot below 2^29, which completions name together with its submission count. */
    final void registerOp(NetpollOp op) {
        synchronized (opLock) {
            int slot;
            if (nOpFree > 0) {
                slot = opFree[--nOpFree];
            } else {
                slot = nOpSlots++;
                if (slot >= 1 << 29) {
                    throw new IllegalStateException("netpoll: too many operations");
                }
                if (slot == ops.length) {
                    ops = Arrays.copyOf(ops, slot * 2);
                }
            }
            op.slot = slot;
            NetpollOp[] t = ops;
            t[slot] = op;
            ops = t; // publish (volatile write) before the op is ever submitted
        }
    }

    /** The operation in {@code slot} if its submission count is {@code gen}; null for a stale completion. */
    final NetpollOp lookupOp(int slot, int gen) {
        NetpollOp[] t = ops;
        NetpollOp op = slot >= 0 && slot < t.length ? t[slot] : null;
        return op != null && op.gen == gen ? op : null;
    }

    /**
     * Submits {@code op} (its kind, buffer and lengths are set); its completion arrives through
     * {@link #poll} as {@link NetpollOp#complete}. Called by the op's caller, any thread.
     */
    void submit(NetpollOp op) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no operations");
    }

    /** {@link #completeAtOnce}'s answer: the operation has to be submitted. */
    static final long SUBMIT = Long.MIN_VALUE;

    /**
     * Completes {@code op}'s operation of {@code kind} in the caller if that can be done at
     * once, straight on {@code b[off..off+len)} (null for accept): its result (bytes, a
     * descriptor, or a negated error), or {@link #SUBMIT}. By default never.
     */
    long completeAtOnce(NetpollOp op, int kind, byte[] b, int off, int len, int flags) {
        return SUBMIT;
    }

    /**
     * Whether a submission completes the operation in the caller when it can (IOCP's
     * skip-on-success): then a read past its deadline is still submitted once, as its only
     * try, and cancelled if it would wait. By default no.
     */
    boolean submitTriesAtOnce() {
        return false;
    }

    /** Asks the kernel to cancel {@code op} in flight; its completion still arrives. */
    void cancel(NetpollOp op) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no operations");
    }

    /** Whether the completed {@code op}'s result says it was cancelled (not completed first). */
    boolean wasCancelled(NetpollOp op) {
        return false;
    }

    /** Whether goroutines wait on descriptors (Go's {@code netpollAnyWaiters}). */
    final boolean anyWaiters() {
        return waiters.get() > 0 || handedOff != 0;
    }

    /** Gives pd a slot and returns its tag: slot | sequence &lt;&lt; 32. */
    final long register(PollDesc pd) {
        synchronized (tableLock) {
            int slot;
            if (nfree > 0) {
                slot = free[--nfree];
            } else {
                slot = nslots++;
                if (slot == table.length) {
                    table = Arrays.copyOf(table, slot * 2);
                }
            }
            seq++;
            long tag = (slot & 0xffffffffL) | ((long) seq << 32);
            pd.tag = tag;
            PollDesc[] t = table;
            t[slot] = pd;
            table = t; // publish (volatile write) before the caller registers with the kernel
            return tag;
        }
    }

    /** Frees pd's slot; events still in flight for its tag become stale. */
    final void unregister(PollDesc pd) {
        synchronized (tableLock) {
            int slot = (int) pd.tag;
            if (table[slot] != pd) {
                return;
            }
            table[slot] = null;
            if (nfree == free.length) {
                free = Arrays.copyOf(free, nfree * 2);
            }
            free[nfree++] = slot;
        }
    }

    /** The descriptor registered under {@code tag}, or null if the tag is stale (Go's fdseq check). */
    final PollDesc lookup(long tag) {
        int slot = (int) tag;
        PollDesc[] t = table;
        if (slot < 0 || slot >= t.length) {
            return null;
        }
        PollDesc pd = t[slot];
        return pd != null && pd.tag == tag ? pd : null;
    }
}
