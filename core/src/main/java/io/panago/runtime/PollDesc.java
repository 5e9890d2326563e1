package io.panago.runtime;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A descriptor registered with the network poller (Go's {@code pollDesc}, runtime/netpoll.go
 * with internal/poll's {@code fd_poll_runtime.go}): goroutines park on it until the descriptor
 * is ready, its deadline passes, or it is evicted.
 *
 * <h2>Implementation overview</h2>
 * Each direction has a slot ({@link #rg}, {@link #wg}) holding one of: null (nothing),
 * {@link #READY} (a readiness event is pending), {@link #WAIT} (a goroutine is about to park)
 * or the parked {@link G}. The waiter moves null&rarr;WAIT, parks, and in the park's commit step
 * (after its continuation has yielded) moves WAIT&rarr;G; readiness, a deadline or eviction
 * moves the slot to READY (readiness) or null (the others) and readies the G it took. Each
 * step is a CAS, so exactly one party readies a parked goroutine, and an event between WAIT and
 * the commit makes the commit fail and the park return at once: no lost wake-up.
 *
 * <p>Deadlines ({@link #rd}, {@link #wd}: 0 none, -1 expired, else a nanotime) are changed
 * under this object's lock and enforced by one {@link RTimer} per direction; a timer whose
 * deadline was moved while it was firing sees that the current deadline has not passed yet and
 * does nothing (where Go compares sequence numbers).
 *
 * <p>Thread-safety: any number of goroutines or threads may use a PollDesc, but at most one
 * waits per direction at a time, as in Go (the net layer serialises readers and writers).
 */
public final class PollDesc {
    /** Result: the wait ended because the descriptor may be ready (retry the syscall). */
    public static final int OK = 0;
    /** Result: the descriptor was evicted (closing). */
    public static final int ERR_CLOSING = 1;
    /** Result: the deadline of that direction has passed. */
    public static final int ERR_TIMEOUT = 2;
    /** Direction: reading (and accept). */
    public static final int MODE_READ = 1;
    /** Direction: writing (and connect). */
    public static final int MODE_WRITE = 2;

    private static final Object READY = new Object();
    private static final Object WAIT = new Object();
    private static final VarHandle RG, WG;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RG = l.findVarHandle(PollDesc.class, "rg", Object.class);
            WG = l.findVarHandle(PollDesc.class, "wg", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The OS's handle: a Unix descriptor, or a Windows SOCKET (a 64-bit handle). */
    final long fd;
    /** Poller tag: slot | sequence &lt;&lt; 32 (see {@link Netpoll#register}). */
    volatile long tag;
    final Netpoll netpoll;
    @SuppressWarnings("unused") // through RG
    private volatile Object rg;
    @SuppressWarnings("unused") // through WG
    private volatile Object wg;
    volatile boolean closing;
    /**
     * Set by the poller once the descriptor reported urgent data, the peer's shutdown, a
     * hang-up or an error: then a read may stop short with something still to report (the
     * bytes behind an urgent mark, end of stream, the error) whose event came before, so
     * {@link #shortReadDrains} no longer holds. Sticky; the stream is usually ending anyway.
     */
    volatile boolean eventful;
    /**
     * Kernel requests the backend keeps on this descriptor and must cancel at close (io_uring:
     * the multishot poll of readiness waits); written under this object's lock.
     */
    volatile int armed;
    private volatile boolean released;
    /** Read and write deadlines; written under the lock. */
    private volatile long rd, wd;
    private RTimer rt, wt;

    private PollDesc(long fd, Netpoll netpoll) {
        this.fd = fd;
        this.netpoll = netpoll;
    }

    /**
     * Registers {@code fd} with the poller, once, edge-triggered (Go's {@code pollOpen}). The
     * descriptor must be non-blocking. It is a {@code long} because a Windows {@code SOCKET}
     * is a handle ({@code UINT_PTR}); a Unix descriptor widens to it.
     *
     * @throws IOException if the poller refuses it
     */
    public static PollDesc open(long fd) throws IOException {
        Sched.start();
        PollDesc pd = new PollDesc(fd, Sched.netpoll);
        pd.netpoll.open(pd);
        return pd;
    }

    /**
     * Whether the poller is a completion backend (io_uring, IOCP): then the net layer submits
     * its operations through {@link NetpollOp} instead of trying non-blocking syscalls and
     * waiting for readiness.
     */
    public static boolean completionModel() {
        Sched.start();
        return Sched.netpoll.completionModel();
    }

    /**
     * Prepares a wait in {@code mode} (Go's {@code pollReset}): clears a stale readiness
     * notification. Call before the syscall whose EAGAIN leads to {@link #waitRead} or
     * {@link #waitWrite}.
     *
     * @return {@link #OK}, {@link #ERR_CLOSING} or {@link #ERR_TIMEOUT}
     */
    public int prepare(int mode) {
        int err = checkerr(mode);
        if (err != OK) {
            return err;
        }
        if ((mode & MODE_READ) != 0) {
            RG.setVolatile(this, null);
        }
        if ((mode & MODE_WRITE) != 0) {
            WG.setVolatile(this, null);
        }
        return OK;
    }

    /**
     * The checks of {@link #prepare} without clearing a pending readiness notification: for a
     * wait that the caller knows needs no syscall first (see {@link #shortReadDrains}).
     *
     * @return {@link #OK}, {@link #ERR_CLOSING} or {@link #ERR_TIMEOUT}
     */
    public int check(int mode) {
        return checkerr(mode);
    }

    /**
     * Whether a stream read that returned fewer bytes than asked proves the socket drained
     * at that moment, so that the next read may go straight to {@link #waitRead} (through
     * {@link #check}, not {@link #prepare}) instead of first trying a syscall that would fail
     * with EAGAIN.
     *
     * <p>Why it is sound on epoll: the read was preceded by {@link #prepare}, which cleared
     * the read slot. A TCP receive (tcp_recvmsg) returns short when its receive queue has
     * nothing more; segments still in the socket's backlog are queued when the call releases
     * the socket. Every segment queued after that wakes the socket's wait queue, and epoll
     * (edge-triggered on Linux means one event per wake-up, not per transition) queues an
     * event, which sets the slot READY or readies the waiter whenever the poller harvests it.
     * So for anything that arrived after the short read the slot is READY or an event is on
     * its way, and {@code waitRead} consumes a READY slot without parking. Close, eviction
     * and deadlines are checked by {@code check} and the wait as usual.
     *
     * <p>The exceptions are reads that stop short with something left whose event may have
     * been harvested, and cleared by the {@code prepare}, before the read: at an urgent mark,
     * at the peer's FIN, at a pending error. Each of these states is still set when its event
     * is harvested before that {@code prepare}, so the event carries EPOLLPRI (registered for
     * this), EPOLLRDHUP, EPOLLHUP or EPOLLERR, and the poller sets {@link #eventful} before it
     * sets the slot (whose value the {@code prepare} then overwrote, so the volatile read of
     * the flag after it sees true); from then on this is false. An event harvested after the
     * {@code prepare} readies the slot as usual. False on every other backend (kqueue's and
     * the completion backends' semantics are not the argument above).
     */
    public boolean shortReadDrains() {
        return netpoll.edgePerWakeup() && !eventful;
    }

    /**
     * Parks the calling goroutine (or thread) until the descriptor may be readable, its read
     * deadline passes or it is evicted (Go's {@code pollWait(pd, 'r')}).
     *
     * @return {@link #OK} (retry the read), {@link #ERR_CLOSING} or {@link #ERR_TIMEOUT}
     */
    public int waitRead() {
        netpoll.arm(this);
        return await(MODE_READ);
    }

    /**
     * Parks until the descriptor may be writable, its write deadline passes or it is evicted.
     *
     * @return {@link #OK} (retry the write), {@link #ERR_CLOSING} or {@link #ERR_TIMEOUT}
     */
    public int waitWrite() {
        netpoll.arm(this);
        return await(MODE_WRITE);
    }

    /**
     * Parks until the deadline of {@code mode} passes or the descriptor is evicted, asking the
     * poller for nothing: a timed wait for a completion backend, where no readiness wait
     * exists (IOCP), as the net layer's accept back-off needs. Set the deadline first.
     *
     * @return {@link #ERR_TIMEOUT} or {@link #ERR_CLOSING}; {@link #OK} if a completion of
     *     this direction readied the slot meanwhile (none is in flight when the caller waits
     *     between operations, so that is a spurious wake-up: treat it as the end of the wait)
     */
    public int waitDeadline(int mode) {
        return await(mode);
    }

    /** Parks until the slot of {@code mode} is readied (readiness or a completion), or an error. */
    int await(int mode) {
        int err = checkerr(mode);
        if (err != OK) {
            return err;
        }
        // One call site per direction, each with constant arguments: C2 (JDK 25) has crashed
        // compiling this loop when the VarHandle was chosen at run time.
        while (!(mode == MODE_READ ? netpollblock(RG, COMMIT_READ, mode) : netpollblock(WG, COMMIT_WRITE, mode))) {
            err = checkerr(mode);
            if (err != OK) {
                return err;
            }
            // A deadline fired and was reset before we ran: as Go does, wait again.
        }
        return OK;
    }

    /** Go's {@code netpollcheckerr}. */
    private int checkerr(int mode) {
        if (closing) {
            return ERR_CLOSING;
        }
        if (((mode & MODE_READ) != 0 && rd < 0) || ((mode & MODE_WRITE) != 0 && wd < 0)) {
            return ERR_TIMEOUT;
        }
        return OK;
    }

    /** Go's {@code netpollblock}: true if woken by readiness, false by deadline or eviction. */
    private boolean netpollblock(VarHandle h, ParkCommit commit, int mode) {
        for (;;) {
            if (h.compareAndSet(this, READY, null)) {
                return true;
            }
            if (h.compareAndSet(this, null, WAIT)) {
                break;
            }
            Object v = h.getVolatile(this);
            if (v != READY && v != null) {
                throw new IllegalStateException("PollDesc: two goroutines wait to "
                        + (mode == MODE_READ ? "read" : "write") + " fd " + fd);
            }
        }
        // Re-check after publishing WAIT: an eviction or deadline in between would not see us.
        if (checkerr(mode) == OK) {
            Sched.gopark(commit, this, WaitReason.IO_WAIT);
        }
        Object old = h.getAndSet(this, null);
        if (old != READY && old != null && old != WAIT) {
            throw new IllegalStateException("PollDesc: corrupted slot of fd " + fd);
        }
        return old == READY;
    }

    private static final ParkCommit COMMIT_READ = (g, pd) -> ((PollDesc) pd).commit(RG, g);
    private static final ParkCommit COMMIT_WRITE = (g, pd) -> ((PollDesc) pd).commit(WG, g);

    /**
     * Go's {@code netpollblockcommit}; a thread's park also makes sure some M polls
     * ({@link Sched#pollForThread}).
     */
    private boolean commit(VarHandle h, G g) {
        if (h.compareAndSet(this, WAIT, g)) {
            netpoll.waiters.incrementAndGet();
            Sched.pollForThread(g);
            return true;
        }
        return false;
    }

    /**
     * Go's {@code netpollunblock}: moves the slot to READY (ioready) or null and returns the
     * goroutine that was parked there, if any.
     */
    private G netpollunblock(VarHandle h, boolean ioready) {
        for (;;) {
            Object old = h.getVolatile(this);
            if (old == READY) {
                return null;
            }
            if (old == null && !ioready) {
                // Only readiness is remembered; a deadline or close is seen through checkerr.
                return null;
            }
            Object next = ioready ? READY : null;
            if (h.compareAndSet(this, old, next)) {
                if (old instanceof G g) {
                    netpoll.waiters.decrementAndGet();
                    return g;
                }
                return null;
            }
        }
    }

    /** Go's {@code netpollready}: the poller saw {@code mode} ready; queue whoever waited. */
    void netpollready(GList out, int mode) {
        if ((mode & MODE_READ) != 0) {
            G g = netpollunblock(RG, true);
            if (g != null) {
                Sched.readyInto(g, out);
            }
        }
        if ((mode & MODE_WRITE) != 0) {
            G g = netpollunblock(WG, true);
            if (g != null) {
                Sched.readyInto(g, out);
            }
        }
    }

    /**
     * Sets the deadline of {@code mode} (Go's {@code pollSetDeadline}); a waiter whose deadline
     * is now in the past is woken with {@link #ERR_TIMEOUT}.
     *
     * @param when a {@link Sched#nanotime()}; 0 for none; at or before now for already expired
     * @param mode {@link #MODE_READ}, {@link #MODE_WRITE} or both or-ed
     */
    public void setDeadline(long when, int mode) {
        G rgp = null, wgp = null;
        synchronized (this) {
            if (closing) {
                return;
            }
            long d = when;
            if (d != 0 && d <= Sched.nanotime()) {
                d = -1;
            }
            if ((mode & MODE_READ) != 0) {
                rd = d;
                rt = arm(rt, d, READ_DEADLINE);
                if (d < 0) {
                    rgp = netpollunblock(RG, false);
                }
            }
            if ((mode & MODE_WRITE) != 0) {
                wd = d;
                wt = arm(wt, d, WRITE_DEADLINE);
                if (d < 0) {
                    wgp = netpollunblock(WG, false);
                }
            }
        }
        if (rgp != null) {
            Sched.goready(rgp);
        }
        if (wgp != null) {
            Sched.goready(wgp);
        }
    }

    private RTimer arm(RTimer t, long d, TimerFunc f) {
        if (d > 0) {
            if (t == null) {
                t = new RTimer(f, this);
            }
            t.reset(d, 0);
        } else if (t != null) {
            t.stop();
        }
        return t;
    }

    private static final TimerFunc READ_DEADLINE = (pd, now) -> ((PollDesc) pd).deadlineFired(MODE_READ, now);
    private static final TimerFunc WRITE_DEADLINE = (pd, now) -> ((PollDesc) pd).deadlineFired(MODE_WRITE, now);

    /** Go's {@code netpolldeadlineimpl}, on a scheduler thread. */
    private void deadlineFired(int mode, long now) {
        G g = null;
        synchronized (this) {
            if (mode == MODE_READ) {
                if (rd <= 0 || rd > now) {
                    return; // moved or cleared while this firing was under way
                }
                rd = -1;
                g = netpollunblock(RG, false);
            } else {
                if (wd <= 0 || wd > now) {
                    return;
                }
                wd = -1;
                g = netpollunblock(WG, false);
            }
        }
        if (g != null) {
            Sched.goready(g);
        }
    }

    /**
     * Wakes every waiter with {@link #ERR_CLOSING}; later waits fail at once (Go's
     * {@code pollUnblock}). Idempotent.
     */
    public void evict() {
        G rgp, wgp;
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
            rgp = netpollunblock(RG, false);
            wgp = netpollunblock(WG, false);
            if (rt != null) {
                rt.stop();
            }
            if (wt != null) {
                wt.stop();
            }
        }
        if (rgp != null) {
            Sched.goready(rgp);
        }
        if (wgp != null) {
            Sched.goready(wgp);
        }
    }

    /**
     * Deregisters the descriptor (EPOLL_CTL_DEL) and releases this PollDesc, evicting first if
     * that has not happened (Go's {@code pollClose}). The caller closes the fd afterwards.
     * Idempotent.
     */
    public void close() {
        evict();
        synchronized (this) {
            if (released) {
                return;
            }
            released = true;
        }
        netpoll.close(this);
    }

    /** For dumps: "fd 7". */
    @Override
    public String toString() {
        return "PollDesc[fd " + fd + (closing ? ", closing" : "") + "]";
    }
}
