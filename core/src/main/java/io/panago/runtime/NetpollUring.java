package io.panago.runtime;

import io.panago.bindings.linux.Errno;
import io.panago.bindings.linux.Linux;
import io.panago.bindings.linux.LinuxErrno;
import io.panago.bindings.linux.__kernel_timespec;
import io.panago.bindings.linux.io_cqring_offsets;
import io.panago.bindings.linux.io_sqring_offsets;
import io.panago.bindings.linux.io_uring_cqe;
import io.panago.bindings.linux.io_uring_params;
import io.panago.bindings.linux.io_uring_sqe;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The io_uring backend, Linux's completion model ({@code -Dpanago.netpoll=io_uring}): the net
 * layer's operations ({@link NetpollOp}: read, write, recv, send, accept, connect) are
 * submitted to one ring and their completions reaped by whichever M polls, exactly where the
 * epoll backend reaps readiness events. Readiness waits on a {@link PollDesc} (eventfds, or
 * code written for epoll) still work: the first wait arms a multishot {@code IORING_OP_POLL_ADD}
 * for the descriptor, the io_uring twin of an edge-triggered epoll registration.
 *
 * <h2>Implementation overview</h2>
 * One ring of 1024 submission and 16384 completion entries, mapped once
 * ({@code IORING_FEAT_SINGLE_MMAP}: the SQ and CQ rings share a mapping; the SQE array is a
 * second one). The SQ index array is the identity, written at set-up.
 *
 * <p>Publishing, from any thread: under {@link #sqLock}, fill the SQE at {@code tail & mask},
 * then publish {@code tail + 1} with a volatile store: its release half orders the SQE's bytes
 * before the kernel's acquire load of the tail, its full fence the batching check below.
 *
 * <p>Submitting, only from an M or sysmon ({@link #submitter}): {@code io_uring_enter(to_submit
 * = tail - head)}, outside the lock. The kernel takes what is published and not yet consumed,
 * so concurrent submitters never lose or double an entry (the last one in finds nothing
 * left). The head, written by the kernel, is read with acquire. An entry the kernel refused
 * (EAGAIN, EBUSY) stays published and goes with the next enter, which every poll makes when
 * entries are pending. Why only those threads: the kernel ties a request to the thread whose
 * enter submitted it and cancels it when that thread exits, and an enter takes every pending
 * entry along. A plain thread's read, or a virtual thread's carrier that later retires, would
 * take goroutines' receives and connects with it. So any other thread only publishes, and
 * hands the entry to the runtime: it wakes the M blocked in the ring through an eventfd that a
 * multishot poll watches (a NOP would need an enter of its own), or starts an idle M, and
 * flags the hand-off ({@code Netpoll.handedOff}) until a submitter's enter takes the entry, so
 * that busy Ms' fair polls and sysmon's keep polling meanwhile.
 *
 * <p>Batching: a goroutine's operation is only published, not entered, while no M is blocked
 * in the kernel ({@code Sched.lastpoll != 0}): the goroutine parks next, and its M submits
 * everything pending with the non-blocking poll it makes when its run queue is empty (or with
 * its blocking poll), so one {@code io_uring_enter} carries a whole scheduling round's
 * operations (sysmon's poll bounds the delay at about 10 ms when an M never runs dry). With a
 * poller blocked in the kernel, or from an M in scheduler code, the submitter enters at once. The
 * submitter stores the tail and then reads lastpoll, the M about to block sets lastpoll to 0
 * and then reads the tail, all volatile: one of them sees the other, so no entry is left
 * unsubmitted behind a blocked poller. A receive that follows one which drained the socket
 * ({@code IORING_CQE_F_SOCK_NONEMPTY} clear) asks for {@code IORING_RECVSEND_POLL_FIRST}: its
 * first attempt would most likely fail.
 *
 * <p>Completion: one reaper at a time ({@link #cqLock}) reads the CQ tail with acquire, reads
 * the entries, and releases the new head with a release store, so the kernel never reuses an
 * entry still being read. {@code user_data} says what completed: an operation (slot and
 * submission count, so a completion for a recycled slot is recognised), a multishot poll (the
 * descriptor's tag from {@link Netpoll#register}, stale after fd reuse as with epoll), the
 * wake-up (a NOP or the eventfd's poll), or a cancel request's own completion (ignored). The
 * kind sits in bits 29..31 of the low word; slots stay below 2^29.
 *
 * <p>Waiting: a blocking poll is {@code io_uring_enter(GETEVENTS | EXT_ARG)} with
 * {@code min_complete} 1 and the next timer as the timeout of {@code io_uring_getevents_arg}.
 * {@link #wakeup} (Go's {@code netpollBreak}) submits a NOP, or from a thread that may not
 * submit writes the eventfd: either completion ends the wait (the kernel wakes a waiter when
 * the CQ tail passes the point where it began waiting, whoever then reaps). A non-blocking
 * poll that reaps either while the wake-up is still pending posts a NOP, so the wake-up
 * cannot be swallowed between a poller's decision to block and its entry into the kernel; the
 * blocking poll clears the pending flag when its wait ends. Reaping the eventfd's completion
 * also resets its counter.
 *
 * <p>Buffers: an operation's buffer and address area belong to its {@link NetpollOp}, which
 * keeps them out of the pool while the kernel owns them, across cancellation too (see there).
 *
 * <p>The kernel runs a completion's last step as task work of the thread that submitted the
 * request. No special set-up flag is used: {@code IORING_SETUP_COOP_TASKRUN} would leave that
 * work until the submitting carrier next enters the kernel, which an idle carrier parked on a
 * futex may not do for a long time.
 */
final class NetpollUring extends Netpoll {
    private static final int SQ_ENTRIES = 1024, CQ_ENTRIES = 16384;
    private static final long SQE_SIZE = io_uring_sqe.sizeof(), CQE_SIZE = io_uring_cqe.sizeof();
    private static final int KIND_SHIFT = 29;
    private static final long KIND_MASK = 7L << KIND_SHIFT;
    private static final long KIND_WAKE = 1L << KIND_SHIFT, KIND_POLL = 2L << KIND_SHIFT,
            KIND_OP = 3L << KIND_SHIFT, KIND_IGNORE = 4L << KIND_SHIFT, KIND_WAKE_FD = 5L << KIND_SHIFT;
    private static final int ARMED_POLL = 1;
    /**
     * {@code IORING_RECVSEND_POLL_FIRST} (linux/io_uring.h, Linux 5.19; not in the bindings):
     * in {@code sqe->ioprio}, skip the receive attempt at submission and arm the poll at once.
     */
    private static final short RECVSEND_POLL_FIRST = 1;
    private static final long SQE_IOPRIO = io_uring_sqe.ioprio$offset();
    /** {@code struct io_uring_getevents_arg}: sigmask, sigmask_sz, min_wait_usec, ts. */
    private static final long GETEVENTS_ARG_BYTES = 24;
    private static final int NSIG_BYTES = 8;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final long SQE_OFF = io_uring_sqe.off$offset(), SQE_ADDR = io_uring_sqe.addr$offset(),
            SQE_LEN = io_uring_sqe.len$offset(), SQE_OP_FLAGS = io_uring_sqe.rw_flags$offset(),
            SQE_USER_DATA = io_uring_sqe.user_data$offset(), SQE_FD = io_uring_sqe.fd$offset();
    private static final long CQE_USER_DATA = io_uring_cqe.user_data$offset(), CQE_RES = io_uring_cqe.res$offset(),
            CQE_FLAGS = io_uring_cqe.flags$offset();
    private static final int EINTR = Linux.EINTR(), EAGAIN = Linux.EAGAIN(), EBUSY = Linux.EBUSY(),
            ETIME = Linux.ETIME(), ECANCELED = Linux.ECANCELED();
    private static final int POLLIN = Linux.POLLIN(), POLLOUT = Linux.POLLOUT(), POLLRDHUP = Linux.POLLRDHUP(),
            POLLHUP = Linux.POLLHUP(), POLLERR = Linux.POLLERR();

    private final int ring;
    private final MemorySegment rings;
    private final MemorySegment sqes;
    private final long sqHead, sqTail, sqFlags, cqHead, cqTail, cqes;
    private final int sqMask, sqEntries, cqMask;

    /** Guards the SQ tail and the SQEs between head and tail. */
    private final Object sqLock = new Object();
    /** Our copy of the SQ tail (only we write it); guarded by sqLock. */
    private int sqTailLocal;
    /** One reaper at a time. */
    private final ReentrantLock cqLock = new ReentrantLock();
    /** Our copy of the CQ head (only we write it); guarded by cqLock. */
    private int cqHeadLocal;
    /** A consumed completion whose handling threw, to handle first in the next reap; under cqLock. */
    private boolean redo;
    private long redoUd;
    private int redoRes;
    private int redoFlags;

    /** Go's netpollWakeSig: 1 from a wake-up until a blocking poll's wait ends. */
    final AtomicInteger wakeSig = new AtomicInteger();
    /**
     * The wake-up of threads that may not submit (see {@link #submitter}): an eventfd they
     * write, watched by a multishot poll that a submitter arms.
     */
    private final int wakeFd;
    /** Whether the multishot poll on {@link #wakeFd} is armed; guarded by {@link #wakeFdLock}. */
    private volatile boolean wakeFdArmed;
    private final Object wakeFdLock = new Object();
    /** errno and the counter's increment (1) for writes to {@link #wakeFd}, guarded by wakeFdErrno. */
    private final MemorySegment wakeFdErrno, wakeFdOne;
    /** Wake-up NOPs submitted (for tests and dumps). */
    final AtomicInteger wakesPosted = new AtomicInteger();
    /** errno for wake-up NOPs, guarded by itself. */
    private final MemorySegment wakeErrno;
    /** errno for arming and cancelling polls, guarded by itself. */
    private final MemorySegment ctlErrno;
    /** Per-thread buffers for {@link #poll}, which only Ms in scheduler code and sysmon call. */
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);


    private static final class Scratch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment errno = LinuxErrno.captureSegment(arena);
        final MemorySegment arg = arena.allocate(GETEVENTS_ARG_BYTES, 8);
        final MemorySegment ts = __kernel_timespec.allocate(arena);
        final MemorySegment word = arena.allocate(8, 8);
    }

    /** Why this kernel cannot run the backend. */
    static final class Unavailable extends Exception {
        Unavailable(String why) {
            super(why);
        }
    }

    /** The io_uring backend, or, where the kernel refuses it, epoll with one line on stderr saying why. */
    static Netpoll openOrEpoll() {
        try {
            return new NetpollUring();
        } catch (Unavailable e) {
            System.err.println("panago: -Dpanago.netpoll=io_uring: " + e.getMessage() + "; using epoll");
            return new NetpollEpoll();
        }
    }

    NetpollUring() throws Unavailable {
        NetpollOp.initialize();
        Arena arena = Arena.ofAuto();
        MemorySegment errno = LinuxErrno.captureSegment(arena);
        MemorySegment p = io_uring_params.allocate(arena);
        io_uring_params.flags(p, Linux.IORING_SETUP_CQSIZE() | Linux.IORING_SETUP_CLAMP() | Linux.IORING_SETUP_SUBMIT_ALL());
        io_uring_params.cq_entries(p, CQ_ENTRIES);
        int fd = LinuxErrno.io_uring_setup(errno, SQ_ENTRIES, p);
        if (fd < 0) {
            int e = LinuxErrno.errno(errno);
            String why = e == Linux.ENOSYS() ? "the kernel has no io_uring (ENOSYS)"
                    : e == Linux.EPERM() ? "io_uring is disabled here (EPERM: /proc/sys/kernel/io_uring_disabled or a seccomp filter)"
                    : "io_uring_setup failed: " + Errno.name(e);
            throw new Unavailable(why);
        }
        int features = io_uring_params.features(p);
        int need = Linux.IORING_FEAT_SINGLE_MMAP() | Linux.IORING_FEAT_NODROP() | Linux.IORING_FEAT_EXT_ARG()
                | Linux.IORING_FEAT_FAST_POLL();
        if ((features & need) != need) {
            LinuxErrno.close(errno, fd);
            throw new Unavailable("the kernel's io_uring lacks features (have 0x" + Integer.toHexString(features)
                    + ", need 0x" + Integer.toHexString(need) + ": Linux 5.11 or later)");
        }
        MemorySegment sq = io_uring_params.sq_off(p), cq = io_uring_params.cq_off(p);
        sqEntries = io_uring_params.sq_entries(p);
        int cqEntries = io_uring_params.cq_entries(p);
        long ringBytes = Math.max(io_sqring_offsets.array(sq) + 4L * sqEntries,
                io_cqring_offsets.cqes(cq) + CQE_SIZE * cqEntries);
        long sqeBytes = SQE_SIZE * sqEntries;
        MemorySegment r = map(errno, fd, ringBytes, Linux.IORING_OFF_SQ_RING());
        MemorySegment s = map(errno, fd, sqeBytes, Linux.IORING_OFF_SQES());
        if (r == null || s == null) {
            String why = "mmap of the rings failed: " + Errno.name(LinuxErrno.errno(errno));
            LinuxErrno.close(errno, fd);
            throw new Unavailable(why);
        }
        ring = fd;
        rings = r;
        sqes = s;
        sqHead = io_sqring_offsets.head(sq);
        sqTail = io_sqring_offsets.tail(sq);
        sqFlags = io_sqring_offsets.flags(sq);
        sqMask = rings.get(ValueLayout.JAVA_INT, io_sqring_offsets.ring_mask(sq));
        cqHead = io_cqring_offsets.head(cq);
        cqTail = io_cqring_offsets.tail(cq);
        cqes = io_cqring_offsets.cqes(cq);
        cqMask = rings.get(ValueLayout.JAVA_INT, io_cqring_offsets.ring_mask(cq));
        long array = io_sqring_offsets.array(sq);
        for (int i = 0; i < sqEntries; i++) {
            rings.set(ValueLayout.JAVA_INT, array + 4L * i, i);
        }
        sqTailLocal = (int) INT.getAcquire(rings, sqTail);
        cqHeadLocal = (int) INT.getAcquire(rings, cqHead);
        wakeErrno = LinuxErrno.captureSegment(Arena.global());
        ctlErrno = LinuxErrno.captureSegment(Arena.global());
        int efd = LinuxErrno.eventfd(errno, 0, Linux.O_NONBLOCK() | Linux.O_CLOEXEC());
        if (efd < 0) {
            String why = "eventfd failed: " + Errno.name(LinuxErrno.errno(errno));
            LinuxErrno.munmap(errno, sqes, sqes.byteSize());
            LinuxErrno.munmap(errno, rings, rings.byteSize());
            LinuxErrno.close(errno, ring);
            throw new Unavailable(why);
        }
        wakeFd = efd;
        wakeFdErrno = LinuxErrno.captureSegment(Arena.global());
        wakeFdOne = Arena.global().allocate(8, 8);
        wakeFdOne.set(ValueLayout.JAVA_LONG, 0, 1L);
        // Link the calls of the poll and wake-up paths now: see NetpollEpoll's constructor.
        // Nothing is queued yet, so the enter submits and waits for nothing.
        LinuxErrno.io_uring_enter(errno, ring, 0, 0, 0, MemorySegment.NULL, 0);
        LinuxErrno.write(wakeFdErrno, wakeFd, wakeFdOne, 8);
        LinuxErrno.read(errno, wakeFd, wakeFdOne, 8);
        wakeFdOne.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    /** Unmaps and closes the ring of a backend that is not Sched's (tests). */
    void release() {
        MemorySegment errno = LinuxErrno.captureSegment(Arena.ofAuto());
        LinuxErrno.munmap(errno, sqes, sqes.byteSize());
        LinuxErrno.munmap(errno, rings, rings.byteSize());
        LinuxErrno.close(errno, ring);
        LinuxErrno.close(errno, wakeFd);
    }

    private static MemorySegment map(MemorySegment errno, int fd, long bytes, long offset) {
        MemorySegment m = LinuxErrno.mmap(errno, MemorySegment.NULL, bytes, Linux.PROT_READ() | Linux.PROT_WRITE(),
                Linux.MAP_SHARED() | Linux.MAP_POPULATE(), fd, offset);
        return m.address() == Linux.MAP_FAILED().address() ? null : m.reinterpret(bytes);
    }

    @Override
    boolean completionModel() {
        return true;
    }

    // ------------------------------------------------------------------ submission

    /**
     * Publishes one SQE (zeroed, then the given fields) and submits what is pending. Waits
     * for room if the SQ is full.
     */
    private void push(byte opcode, int fd, long off, long addr, int len, int opFlags, long userData,
                      MemorySegment errno) {
        push(opcode, fd, off, addr, len, opFlags, userData, errno, false, (short) 0);
    }

    /**
     * {@link #push}; with {@code deferrable}, a goroutine's entry is left for its M's next poll
     * to submit (with everything else pending) unless an M is blocked in the kernel already.
     */
    private void push(byte opcode, int fd, long off, long addr, int len, int opFlags, long userData,
                      MemorySegment errno, boolean deferrable, short ioprio) {
        boolean own = submitter();
        for (;;) {
            synchronized (sqLock) {
                int tail = sqTailLocal;
                if (tail - (int) INT.getAcquire(rings, sqHead) != sqEntries) {
                    long e = (long) (tail & sqMask) * SQE_SIZE;
                    for (long i = 0; i < SQE_SIZE; i += 8) {
                        sqes.set(ValueLayout.JAVA_LONG, e + i, 0L);
                    }
                    sqes.set(ValueLayout.JAVA_BYTE, e, opcode);
                    sqes.set(ValueLayout.JAVA_SHORT, e + SQE_IOPRIO, ioprio);
                    sqes.set(ValueLayout.JAVA_INT, e + SQE_FD, fd);
                    sqes.set(ValueLayout.JAVA_LONG, e + SQE_OFF, off);
                    sqes.set(ValueLayout.JAVA_LONG, e + SQE_ADDR, addr);
                    sqes.set(ValueLayout.JAVA_INT, e + SQE_LEN, len);
                    sqes.set(ValueLayout.JAVA_INT, e + SQE_OP_FLAGS, opFlags);
                    sqes.set(ValueLayout.JAVA_LONG, e + SQE_USER_DATA, userData);
                    sqTailLocal = tail + 1;
                    // Volatile, not just release: see "Batching" above.
                    INT.setVolatile(rings, sqTail, tail + 1);
                    break;
                }
            }
            if (!own) {
                handOff(); // the SQ is full: a submitter's enter makes room
                Thread.yield();
            } else if (!submitPending(errno)) {
                Thread.onSpinWait(); // the CQ is backed up: the pollers' reaping makes room
            }
        }
        // The entry is in the ring: from here on nothing may throw to the caller, who would take
        // the operation for one the kernel never got and reuse its buffer while the kernel fills
        // it. An error here (a stack overflow, a full heap) leaves the entry pending, and the
        // next enter of any M's poll submits it.
        try {
            if (!own) {
                handOff();
            } else if (!deferrable || Sched.lastpoll.get() == 0 || !Sched.getg().isGoroutine()) {
                submitPending(errno);
            }
        } catch (Throwable pendingStill) {
            // submitted by the next poll
        }
    }

    /**
     * Whether this thread may enter the ring with entries to submit: an M or sysmon, threads
     * that live as long as the runtime. io_uring ties a request to the thread whose enter
     * submitted it and cancels it when that thread exits, and an enter submits every pending
     * entry, whoever published it: a plain thread's read would take goroutines' receives and
     * connects along, and its exit would cancel them. (A backend that is not the runtime's
     * is a test's, driven by the test's own threads: any thread submits there.)
     */
    private boolean submitter() {
        Thread t = Thread.currentThread();
        return t instanceof M || t == Sysmon.thread || Sched.netpoll != this;
    }

    /**
     * A thread that may not submit has published an entry: flag it ({@link #handedOff}, which
     * keeps busy Ms' fair polls and sysmon's polling) until a submitter takes it, and get an
     * M to the ring: the one blocked there is woken, or an idle one started.
     */
    private void handOff() {
        if (handedOff == 0) {
            handedOff = 1;
        }
        if (Sched.lastpoll.get() == 0) {
            wakeup();
        } else {
            Sched.wakep();
        }
    }

    /**
     * A submitter is about to enter with what is pending: the hand-off is done. Cleared
     * before the tail is read, so an entry published after that read flags it again.
     */
    private void takeHandOff() {
        if (handedOff != 0) {
            handedOff = 0;
        }
    }

    /** Entries published but not yet taken by the kernel. */
    private int pending() {
        return (int) INT.getVolatile(rings, sqTail) - (int) INT.getAcquire(rings, sqHead);
    }

    /**
     * io_uring_enter for what is pending; false if the kernel refused for now (EAGAIN, EBUSY:
     * then a poller is woken, and its enter takes the entries along).
     */
    private boolean submitPending(MemorySegment errno) {
        takeHandOff(); // before reading the tail: an entry published after it hands off again
        for (;;) {
            int n = pending();
            if (n <= 0) {
                return true;
            }
            if (LinuxErrno.io_uring_enter(errno, ring, n, 0, 0, MemorySegment.NULL, 0) >= 0) {
                return true;
            }
            int e = LinuxErrno.errno(errno);
            if (e == EINTR) {
                continue;
            }
            if (e == EAGAIN || e == EBUSY) {
                wakeup();
                return false;
            }
            throw new IllegalStateException("netpoll: io_uring_enter (submit) failed: " + Errno.name(e));
        }
    }

    @Override
    void open(PollDesc pd) throws IOException {
        long tag = register(pd);
        if ((tag & 0xffffffffL) >= 1L << KIND_SHIFT) {
            unregister(pd);
            throw new IOException("io_uring: too many descriptors");
        }
    }

    @Override
    void arm(PollDesc pd) {
        if ((pd.armed & ARMED_POLL) != 0) {
            return;
        }
        synchronized (pd) {
            if ((pd.armed & ARMED_POLL) != 0 || pd.closing) {
                return; // a closing descriptor gets no new kernel request: close would miss it
            }
            pd.armed |= ARMED_POLL;
            synchronized (ctlErrno) {
                push((byte) Linux.IORING_OP_POLL_ADD(), (int) pd.fd, 0, 0, Linux.IORING_POLL_ADD_MULTI(),
                        POLLIN | POLLOUT | POLLRDHUP, KIND_POLL | pd.tag, ctlErrno);
            }
        }
    }

    @Override
    void close(PollDesc pd) {
        // PollDesc.close has evicted pd: no arm can follow this cancel. By user_data, not by
        // fd, so it does not matter when the caller then closes the descriptor.
        synchronized (pd) {
            if ((pd.armed & ARMED_POLL) != 0) {
                synchronized (ctlErrno) {
                    push((byte) Linux.IORING_OP_ASYNC_CANCEL(), -1, 0, KIND_POLL | pd.tag, 0, 0, KIND_IGNORE, ctlErrno);
                }
            }
        }
        unregister(pd);
    }

    @Override
    void opened(NetpollOp op) {
        op.capture = LinuxErrno.captureSegment(Arena.ofAuto());
        registerOp(op);
    }


    private static long userData(NetpollOp op) {
        return KIND_OP | op.slot | ((long) op.gen << 32);
    }

    @Override
    void submit(NetpollOp op) {
        op.gen++;
        long ud = userData(op);
        MemorySegment errno = op.capture;
        switch (op.kind) {
            case NetpollOp.READ -> push((byte) Linux.IORING_OP_READ(), (int) op.pd.fd, -1L, op.buf.address(), op.len, 0, ud, errno, true, (short) 0);
            case NetpollOp.WRITE -> push((byte) Linux.IORING_OP_WRITE(), (int) op.pd.fd, -1L, op.buf.address(), op.len, 0, ud, errno, true, (short) 0);
            // A receive after one that drained the socket will most likely wait: poll first,
            // rather than fail an attempt at submission and then arm the poll.
            case NetpollOp.RECV -> push((byte) Linux.IORING_OP_RECV(), (int) op.pd.fd, 0, op.buf.address(), op.len, op.flags, ud,
                    errno, true, op.drained ? RECVSEND_POLL_FIRST : 0);
            case NetpollOp.SEND -> push((byte) Linux.IORING_OP_SEND(), (int) op.pd.fd, 0, op.buf.address(), op.len,
                    op.flags | Linux.MSG_NOSIGNAL(), ud, errno, true, (short) 0);
            case NetpollOp.ACCEPT -> push((byte) Linux.IORING_OP_ACCEPT(), (int) op.pd.fd,
                    op.addr.address() + NetpollOp.ADDR_LEN_OFFSET, op.addr.address(), 0, op.flags, ud, errno, true, (short) 0);
            case NetpollOp.CONNECT -> push((byte) Linux.IORING_OP_CONNECT(), (int) op.pd.fd, op.addrLen, op.addr.address(), 0, 0,
                    ud, errno, true, (short) 0);
            default -> throw new UnsupportedOperationException("io_uring has no operation of kind " + op.kind
                    + " (AcceptEx is Windows': use accept)");
        }
    }

    /**
     * io_uring's counterpart of IOCP's skip-on-success, where it pays: one non-blocking attempt
     * of the syscall, straight on the caller's array (a critical downcall, no copy), for a
     * receive unless the last one drained the socket (then it would fail, and the operation,
     * submitted with POLL_FIRST, waits instead) and for an accept (connections arrive in
     * bursts). Only EAGAIN leads to a submission. Sends are always submitted: they complete at
     * submission anyway, and batched into the M's next enter they cost less than a syscall
     * each (measured: about a quarter more CPU per echoed message with direct sends). So are
     * connects, and reads and writes of other descriptors.
     */
    @Override
    long completeAtOnce(NetpollOp op, int kind, byte[] b, int off, int len, int flags) {
        MemorySegment errno = op.capture;
        long r;
        switch (kind) {
            case NetpollOp.RECV -> {
                if (op.drained) {
                    return SUBMIT;
                }
                r = LinuxErrno.recvHeap(errno, (int) op.pd.fd, MemorySegment.ofArray(b).asSlice(off, len), len,
                        flags | Linux.MSG_DONTWAIT());
            }
            case NetpollOp.ACCEPT -> {
                op.addr.set(ValueLayout.JAVA_INT, NetpollOp.ADDR_LEN_OFFSET, NetpollOp.ADDR_BYTES);
                r = LinuxErrno.accept4(errno, (int) op.pd.fd, op.addr, op.addr.asSlice(NetpollOp.ADDR_LEN_OFFSET, 4), op.flags);
            }
            default -> {
                return SUBMIT;
            }
        }
        if (r >= 0) {
            return r;
        }
        int e = LinuxErrno.errno(errno);
        if (e == EAGAIN) {
            op.drained = kind == NetpollOp.RECV;
            return SUBMIT;
        }
        return -e;
    }

    @Override
    void cancel(NetpollOp op) {
        push((byte) Linux.IORING_OP_ASYNC_CANCEL(), -1, 0, userData(op), 0, 0, KIND_IGNORE, op.capture);
    }

    @Override
    boolean wasCancelled(NetpollOp op) {
        // -EINTR: cancelled while an io-wq worker ran it.
        return op.res == -ECANCELED || op.res == -EINTR;
    }

    // ------------------------------------------------------------------ completion

    @Override
    void poll(long delayNanos, GList out) {
        Scratch s = scratch.get();
        if (!wakeFdArmed) {
            armWakeFd();
        }
        takeHandOff();
        if (delayNanos == 0) {
            if (pending() > 0 || (rings.get(ValueLayout.JAVA_INT, sqFlags) & Linux.IORING_SQ_CQ_OVERFLOW()) != 0) {
                LinuxErrno.io_uring_enter(s.errno, ring, pending(), 0, Linux.IORING_ENTER_GETEVENTS(), MemorySegment.NULL, 0);
            }
            reap(out, false, s);
            return;
        }
        if (wakeSig.get() == 0) {
            MemorySegment tsp = MemorySegment.NULL;
            if (delayNanos > 0) {
                __kernel_timespec.tv_sec(s.ts, delayNanos / 1_000_000_000L);
                __kernel_timespec.tv_nsec(s.ts, delayNanos % 1_000_000_000L);
                tsp = s.ts;
            }
            s.arg.set(ValueLayout.JAVA_LONG, 0, 0L);
            s.arg.set(ValueLayout.JAVA_INT, 8, NSIG_BYTES);
            s.arg.set(ValueLayout.JAVA_INT, 12, 0);
            s.arg.set(ValueLayout.JAVA_LONG, 16, tsp.address());
            int r = LinuxErrno.io_uring_enter(s.errno, ring, pending(), 1,
                    Linux.IORING_ENTER_GETEVENTS() | Linux.IORING_ENTER_EXT_ARG(), s.arg, GETEVENTS_ARG_BYTES);
            if (r < 0) {
                int e = LinuxErrno.errno(s.errno);
                if (e != ETIME && e != EINTR && e != EAGAIN && e != EBUSY) {
                    throw new IllegalStateException("netpoll: io_uring_enter (wait) failed: " + Errno.name(e));
                }
            }
        } else if (pending() > 0) {
            // No wait (a wake-up is pending), but what is published goes in now: its hand-off
            // flag was just taken, and nothing else may come to submit it soon.
            LinuxErrno.io_uring_enter(s.errno, ring, pending(), 0, 0, MemorySegment.NULL, 0);
        }
        wakeSig.set(0);
        reap(out, true, s);
    }

    private void reap(GList out, boolean blocking, Scratch s) {
        if (!cqLock.tryLock()) {
            if (!blocking) {
                return;
            }
            cqLock.lock();
        }
        boolean repostWake = false;
        try {
            if (redo) {
                // The completion whose handling an error cut short last time (see below).
                repostWake = handle(redoUd, redoRes, redoFlags, out, blocking, s);
                redo = false;
            }
            int head = cqHeadLocal;
            int tail = (int) INT.getAcquire(rings, cqTail);
            while (head != tail) {
                long e = cqes + (long) (head & cqMask) * CQE_SIZE;
                long ud = rings.get(ValueLayout.JAVA_LONG, e + CQE_USER_DATA);
                int res = rings.get(ValueLayout.JAVA_INT, e + CQE_RES);
                int flags = rings.get(ValueLayout.JAVA_INT, e + CQE_FLAGS);
                head++;
                // Consumed before it is handled, and kept for the next reap if handling throws
                // (an OutOfMemoryError under a full heap): left in the ring, a later reap handled
                // every completion of the batch again, and one handled twice completed the
                // operation submitted after it with its stale result, so a read returned bytes
                // the kernel never gave it.
                cqHeadLocal = head;
                try {
                    repostWake |= handle(ud, res, flags, out, blocking, s);
                } catch (Throwable t) {
                    redoUd = ud;
                    redoRes = res;
                    redoFlags = flags;
                    redo = true;
                    throw t;
                }
                if (head == tail) {
                    INT.setRelease(rings, cqHead, head);
                    tail = (int) INT.getAcquire(rings, cqTail);
                }
            }
        } finally {
            INT.setRelease(rings, cqHead, cqHeadLocal); // what was consumed, even on an error
            cqLock.unlock();
        }
        if (repostWake) {
            postWake();
        }
    }

    /** Handles one completion; true if the wake-up must be posted again. Under {@link #cqLock}. */
    private boolean handle(long ud, int res, int flags, GList out, boolean blocking, Scratch s) {
        long kind = ud & KIND_MASK;
        if (kind == KIND_OP) {
            NetpollOp op = lookupOp((int) ud & ((1 << KIND_SHIFT) - 1), (int) (ud >>> 32));
            if (op != null) {
                op.drained = (flags & Linux.IORING_CQE_F_SOCK_NONEMPTY()) == 0;
                op.complete(res, out);
            }
        } else if (kind == KIND_POLL) {
            pollEvent(ud & ~KIND_MASK, res, flags, out);
        } else if (kind == KIND_WAKE) {
            return !blocking && wakeSig.get() != 0;
        } else if (kind == KIND_WAKE_FD) {
            LinuxErrno.read(s.errno, wakeFd, s.word, 8); // reset the counter
            if ((flags & Linux.IORING_CQE_F_MORE()) == 0) {
                synchronized (wakeFdLock) {
                    wakeFdArmed = false; // the next poll arms it again
                }
            }
            return !blocking && wakeSig.get() != 0;
        }
        return false;
    }

    /** A multishot poll's event: readiness as epoll reports it; its end disarms the descriptor. */
    private void pollEvent(long tag, int res, int flags, GList out) {
        PollDesc pd = lookup(tag);
        if (pd == null) {
            return; // stale: the descriptor was closed (and its slot maybe reused) meanwhile
        }
        int mode = 0;
        if ((flags & Linux.IORING_CQE_F_MORE()) == 0) {
            synchronized (pd) {
                pd.armed &= ~ARMED_POLL;
            }
            // The next wait re-arms; whoever waits now retries its syscall and waits again.
            mode = PollDesc.MODE_READ | PollDesc.MODE_WRITE;
        }
        if (res > 0) {
            if ((res & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) != 0) {
                mode |= PollDesc.MODE_READ;
            }
            if ((res & (POLLOUT | POLLHUP | POLLERR)) != 0) {
                mode |= PollDesc.MODE_WRITE;
            }
        }
        if (mode != 0) {
            pd.netpollready(out, mode);
        }
    }

    @Override
    void wakeup() {
        if (wakeSig.compareAndSet(0, 1)) {
            postWake();
        }
    }

    /** A NOP from a submitter; from any other thread, a write to {@link #wakeFd}. */
    private void postWake() {
        wakesPosted.incrementAndGet();
        if (submitter()) {
            synchronized (wakeErrno) {
                push((byte) Linux.IORING_OP_NOP(), -1, 0, 0, 0, 0, KIND_WAKE, wakeErrno);
            }
            return;
        }
        synchronized (wakeFdErrno) {
            for (;;) {
                long r = LinuxErrno.write(wakeFdErrno, wakeFd, wakeFdOne, 8);
                if (r == 8) {
                    return;
                }
                int e = LinuxErrno.errno(wakeFdErrno);
                if (e == EAGAIN) {
                    return; // the counter is full: a wake-up is pending anyway
                }
                if (e != EINTR) {
                    throw new IllegalStateException("netpoll: eventfd write failed: " + Errno.name(e));
                }
            }
        }
    }

    /**
     * Arms the multishot poll on {@link #wakeFd} (from a poll, so by a submitter). An eventfd
     * written before it is armed is readable already, and the poll then completes at once.
     */
    private void armWakeFd() {
        synchronized (wakeFdLock) {
            if (wakeFdArmed) {
                return;
            }
            wakeFdArmed = true;
        }
        synchronized (ctlErrno) {
            push((byte) Linux.IORING_OP_POLL_ADD(), wakeFd, 0, 0, Linux.IORING_POLL_ADD_MULTI(), POLLIN,
                    KIND_WAKE_FD, ctlErrno);
        }
    }
}
