package io.panago.runtime;

import io.panago.bindings.linux.Errno;
import io.panago.bindings.linux.Linux;
import io.panago.bindings.linux.LinuxErrno;
import io.panago.bindings.linux.epoll_event;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The epoll backend (Go's netpoll_epoll.go). Descriptors are registered once, edge-triggered
 * for both directions ({@code EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLPRI|EPOLLET}; EPOLLPRI only to
 * learn of urgent data, see {@link PollDesc#shortReadDrains}), with the slot and sequence
 * tag of {@link Netpoll#register} as {@code epoll_data.u64}. An eventfd, registered with the
 * tag {@link #BREAK_TAG}, is {@code netpollBreak}'s doorbell.
 */
final class NetpollEpoll extends Netpoll {
    private static final long BREAK_TAG = -1L;
    private static final int MAX_EVENTS = 128;
    private static final int EPOLLIN = Linux.EPOLLIN(), EPOLLOUT = Linux.EPOLLOUT(),
            EPOLLRDHUP = Linux.EPOLLRDHUP(), EPOLLHUP = Linux.EPOLLHUP(), EPOLLERR = Linux.EPOLLERR(),
            EPOLLPRI = Linux.EPOLLPRI(), EPOLLET = Linux.EPOLLET();
    private static final long EV_SIZE = epoll_event.sizeof();
    private static final long EV_DATA = epoll_event.data$offset();

    private final int epfd;
    private final int breakfd;
    /** Go's netpollWakeSig: 1 while a break is pending, so many wake-ups write the eventfd once. */
    private final AtomicInteger wakeSig = new AtomicInteger();
    /**
     * Per-thread buffers for {@link #poll}, which only Ms (in scheduler code) and sysmon call:
     * platform threads that never migrate. Goroutine code can reach {@link #open},
     * {@link #close} and {@link #wakeup}, so those never use a ThreadLocal (a goroutine's
     * ThreadLocal is its carrier's, and stale after a migration): they share {@link #ctl}
     * under its lock, or write from the constant {@link #one}.
     */
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    private final Scratch ctl = new Scratch();
    private final MemorySegment one;
    /** errno of the eventfd write; shared, so only good for a diagnostic. */
    private final MemorySegment wakeErrno;

    private static final class Scratch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment errno = LinuxErrno.captureSegment(arena);
        final MemorySegment events = epoll_event.allocateArray(MAX_EVENTS, arena);
        final MemorySegment ev = epoll_event.allocate(arena);
        final MemorySegment word = arena.allocate(ValueLayout.JAVA_LONG);
    }

    NetpollEpoll() {
        Scratch s = ctl;
        one = Arena.global().allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        wakeErrno = LinuxErrno.captureSegment(Arena.global());
        epfd = LinuxErrno.epoll_create1(s.errno, Linux.EPOLL_CLOEXEC());
        if (epfd < 0) {
            throw new IllegalStateException("netpoll: epoll_create1 failed: " + errnoName(s));
        }
        breakfd = LinuxErrno.eventfd(s.errno, 0, Linux.O_NONBLOCK() | Linux.O_CLOEXEC());
        if (breakfd < 0) {
            throw new IllegalStateException("netpoll: eventfd failed: " + errnoName(s));
        }
        epoll_event.events(s.ev, EPOLLIN);
        s.ev.set(ValueLayout.JAVA_LONG_UNALIGNED, EV_DATA, BREAK_TAG);
        if (LinuxErrno.epoll_ctl(s.errno, epfd, Linux.EPOLL_CTL_ADD(), breakfd, s.ev) < 0) {
            throw new IllegalStateException("netpoll: epoll_ctl(eventfd) failed: " + errnoName(s));
        }
        // Link every call of the poll and wake-up paths now, while descriptors are free: a
        // downcall's holder class loads on its first call, and loading a class may have to
        // open a file (a module in a directory, as in a build's test run). Out of descriptors
        // (EMFILE) that failed with NoClassDefFoundError in the poller, whose M died with it.
        LinuxErrno.write(s.errno, breakfd, one, 8);
        LinuxErrno.epoll_wait(s.errno, epfd, s.events, MAX_EVENTS, 0);
        LinuxErrno.read(s.errno, breakfd, s.word, 8);
    }

    private static String errnoName(Scratch s) {
        return Errno.name(LinuxErrno.errno(s.errno));
    }

    @Override
    boolean edgePerWakeup() {
        return true;
    }

    @Override
    void open(PollDesc pd) throws IOException {
        long tag = register(pd);
        synchronized (ctl) {
            epoll_event.events(ctl.ev, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET);
            ctl.ev.set(ValueLayout.JAVA_LONG_UNALIGNED, EV_DATA, tag);
            if (LinuxErrno.epoll_ctl(ctl.errno, epfd, Linux.EPOLL_CTL_ADD(), (int) pd.fd, ctl.ev) < 0) {
                String err = errnoName(ctl);
                unregister(pd);
                throw new IOException("epoll_ctl(EPOLL_CTL_ADD, fd " + pd.fd + "): " + err);
            }
        }
    }

    @Override
    void close(PollDesc pd) {
        synchronized (ctl) {
            LinuxErrno.epoll_ctl(ctl.errno, epfd, Linux.EPOLL_CTL_DEL(), (int) pd.fd, ctl.ev);
        }
        unregister(pd);
    }

    @Override
    void poll(long delayNanos, GList out) {
        int waitms;
        if (delayNanos < 0) {
            waitms = -1;
        } else if (delayNanos == 0) {
            waitms = 0;
        } else if (delayNanos < 1_000_000) {
            waitms = 1;
        } else if (delayNanos < 1_000_000_000_000_000L) {
            // Rounded down: waking a little early only costs another round; the timer check
            // decides what is due.
            waitms = (int) Math.min(Integer.MAX_VALUE, delayNanos / 1_000_000);
        } else {
            waitms = 1_000_000_000; // ~11.5 days
        }
        Scratch s = scratch.get();
        int n;
        for (;;) {
            n = LinuxErrno.epoll_wait(s.errno, epfd, s.events, MAX_EVENTS, waitms);
            if (n >= 0) {
                break;
            }
            int e = LinuxErrno.errno(s.errno);
            if (e != Linux.EINTR()) {
                throw new IllegalStateException("netpoll: epoll_wait failed: " + Errno.name(e));
            }
            if (waitms > 0) {
                return; // a timed sleep was interrupted: let the caller recompute the timeout
            }
        }
        for (int i = 0; i < n; i++) {
            long base = i * EV_SIZE;
            int ev = s.events.get(ValueLayout.JAVA_INT_UNALIGNED, base);
            long tag = s.events.get(ValueLayout.JAVA_LONG_UNALIGNED, base + EV_DATA);
            if (tag == BREAK_TAG) {
                if (delayNanos != 0) {
                    // Only a blocking poll consumes the break; a non-blocking one leaves it for
                    // the M that is (or will be) blocked.
                    LinuxErrno.read(s.errno, breakfd, s.word, 8);
                    wakeSig.set(0);
                }
                continue;
            }
            int mode = 0;
            if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI)) != 0) {
                mode |= PollDesc.MODE_READ;
            }
            if ((ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) {
                mode |= PollDesc.MODE_WRITE;
            }
            if (mode != 0) {
                PollDesc pd = lookup(tag);
                if (pd != null) {
                    if ((ev & (EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
                        pd.eventful = true; // before the slot is readied: see shortReadDrains
                    }
                    pd.netpollready(out, mode);
                }
            }
        }
    }

    @Override
    void wakeup() {
        if (!wakeSig.compareAndSet(0, 1)) {
            return;
        }
        for (;;) {
            long r = LinuxErrno.write(wakeErrno, breakfd, one, 8);
            if (r == 8) {
                return;
            }
            int e = LinuxErrno.errno(wakeErrno);
            if (e == Linux.EINTR()) {
                continue;
            }
            if (e == Linux.EAGAIN()) {
                return; // the counter is full: a wake-up is pending anyway
            }
            throw new IllegalStateException("netpoll: eventfd write failed: " + Errno.name(e));
        }
    }
}
