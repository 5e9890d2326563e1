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
 * the way Go's IOCP poller does it: the net layer does not try a syscall but submits the
 * operation (read, write, accept, connect) with an off-heap buffer it owns, through a
 * {@code submit(PollDesc, op)} the completion backend adds beside {@link #open}, and then
 * waits on the same slot ({@code prepare(mode)}, submit, {@code waitRead()}). The backend's
 * {@link #poll} reaps completions, stores each result (bytes, errno) in its operation and
 * readies the descriptor's slot exactly as a readiness event does. A deadline or
 * {@link PollDesc#evict} wakes the waiter with ERR_TIMEOUT/ERR_CLOSING as usual; the net layer
 * then cancels the operation ({@code IORING_OP_ASYNC_CANCEL}, {@code CancelIoEx}) and waits for
 * its completion (success or "cancelled") before it reuses or frees the buffer, because the
 * kernel owns the buffer until then. With such a backend, PollDesc gains a static
 * {@code completionModel()} that tells the net layer which of the two I/O loops to run;
 * everything above the descriptor (deadlines, close,
 * goroutine parking) is shared.
 */
abstract class Netpoll {
    /** Goroutines parked on a descriptor (Go's netpollWaiters): polling is only worth it if &gt; 0. */
    final AtomicInteger waiters = new AtomicInteger();

    private final Object tableLock = new Object();
    /** Registered descriptors by slot; copy-on-grow, so the poller reads it without a lock. */
    private volatile PollDesc[] table = new PollDesc[64];
    private int[] free = new int[64];
    private int nfree;
    private int nslots;
    private int seq;

    /**
     * The backend named by {@code -Dpanago.netpoll=epoll|io_uring|kqueue|none}, by default the
     * OS's own: epoll on Linux, kqueue on macOS and the BSDs, else a poller without descriptors.
     * kqueue elsewhere runs against whatever {@code Macos.bindLookup} was given (a test fake).
     */
    static Netpoll create() {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        String want = System.getProperty("panago.netpoll", "");
        if (want.isEmpty()) {
            want = os.startsWith("linux") ? "epoll"
                    : os.startsWith("mac") || os.contains("bsd") ? "kqueue" : "none";
        }
        try {
            return switch (want) {
                case "epoll" -> new NetpollEpoll();
                case "kqueue" -> new NetpollKqueue();
                case "none" -> new NetpollStub();
                default -> throw new IllegalStateException("panago.netpoll=" + want
                        + " is unknown (epoll, io_uring, kqueue or none)");
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

    /** Whether goroutines wait on descriptors (Go's {@code netpollAnyWaiters}). */
    final boolean anyWaiters() {
        return waiters.get() > 0;
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
