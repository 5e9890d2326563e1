package io.panago.runtime;

import io.panago.bindings.macos.Errno;
import io.panago.bindings.macos.Macos;
import io.panago.bindings.macos.MacosErrno;
import io.panago.bindings.macos.kevent;
import io.panago.bindings.macos.timespec;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The kqueue backend (Go's netpoll_kqueue.go with netpoll_kqueue_event.go), for macOS and the
 * BSDs. Each descriptor gets two knotes once, {@code EVFILT_READ} and {@code EVFILT_WRITE},
 * both {@code EV_ADD|EV_CLEAR} (edge-triggered), with the slot and sequence tag of
 * {@link Netpoll#register} in {@code udata}, so an event for a descriptor closed and reused in
 * the meantime is dropped as stale. {@code netpollBreak} is an {@code EVFILT_USER} knote.
 *
 * <h2>Implementation overview</h2>
 * The wake-up knote is registered without {@code EV_CLEAR}: once triggered
 * ({@code EV_ENABLE|NOTE_TRIGGER}) it stays pending until a blocking poll drains it with
 * {@code EV_DISABLE}. A non-blocking poll sees it and leaves it, so the wake-up still reaches
 * the M that is blocked (or about to block) in {@code kevent}; {@link #wakeSig} is reset only
 * by the drain, so many wake-ups cost one trigger. An {@code EVFILT_READ} event with
 * {@code EV_EOF} also readies writers: some systems report a closed pipe's far end that way
 * only, and a writer that retries sees the real outcome (EPIPE, or success).
 *
 * <p>Unlike Go, {@link #close} deletes the two knotes before the caller closes the descriptor.
 * macOS drops a descriptor's knotes on close anyway, so this costs one {@code kevent} per
 * close; it keeps the backend correct on kqueue emulations over epoll (libkqueue, the test
 * suite's fake), where a registration lives as long as the open file, which a {@code dup} may
 * keep alive.
 *
 * <p>The natives come from {@link Macos}, so the backend runs against whatever lookup
 * {@link Macos#bindLookup} was given: libSystem on macOS, a compatible library or a test fake
 * anywhere else.
 */
final class NetpollKqueue extends Netpoll {
    /** Go's kqIdent: the ident of the wake-up knote. */
    static final long WAKE_IDENT = 0xee1eb9f4L;
    private static final int MAX_EVENTS = 128;
    private static final short EVFILT_READ = (short) Macos.EVFILT_READ(),
            EVFILT_WRITE = (short) Macos.EVFILT_WRITE();
    private static final int EV_ADD = Macos.EV_ADD(), EV_DELETE = Macos.EV_DELETE(),
            EV_ENABLE = Macos.EV_ENABLE(), EV_DISABLE = Macos.EV_DISABLE(), EV_CLEAR = Macos.EV_CLEAR(),
            EV_EOF = Macos.EV_EOF(), NOTE_TRIGGER = Macos.NOTE_TRIGGER();
    private static final long KEV_SIZE = kevent.sizeof();
    private static final long IDENT = kevent.ident$offset(), FILTER = kevent.filter$offset(),
            FLAGS = kevent.flags$offset(), FFLAGS = kevent.fflags$offset(), DATA = kevent.data$offset(),
            UDATA = kevent.udata$offset();
    /** Darwin refuses longer timeouts with EINVAL (Go caps them the same way). */
    private static final long MAX_WAIT_SECONDS = 1_000_000;

    final int kq;
    /** EVFILT_USER: -10 on macOS, -11 on FreeBSD. */
    private final short evfiltUser;
    /** Go's netpollWakeSig: 1 from a trigger until a blocking poll drains it. */
    final AtomicInteger wakeSig = new AtomicInteger();
    /**
     * Per-thread buffers for {@link #poll}, called only by Ms in scheduler code and sysmon
     * (platform threads, never a goroutine); {@link #open} and {@link #close} can run in a
     * goroutine and share {@link #ctl} under its lock instead (see NetpollEpoll).
     */
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    private final Scratch ctl = new Scratch();
    /** The constant trigger change: written once, only read by kevent. */
    private final MemorySegment trigger;
    /** errno of the trigger; shared, so only good for a diagnostic. */
    private final MemorySegment wakeErrno;

    private static final class Scratch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment errno = MacosErrno.captureSegment(arena);
        final MemorySegment events = kevent.allocateArray(MAX_EVENTS, arena);
        final MemorySegment changes = kevent.allocateArray(2, arena);
        final MemorySegment ts = timespec.allocate(arena);
    }

    NetpollKqueue() {
        this(System.getProperty("os.name", "").contains("BSD") ? (short) -11 : (short) Macos.EVFILT_USER());
    }

    NetpollKqueue(short evfiltUser) {
        this.evfiltUser = evfiltUser;
        Scratch s = ctl;
        kq = MacosErrno.kqueue(s.errno);
        if (kq < 0) {
            throw new IllegalStateException("netpoll: kqueue failed: " + errnoName(s));
        }
        if (MacosErrno.fcntl(s.errno, kq, Macos.F_SETFD(), Macos.FD_CLOEXEC()) < 0) {
            throw new IllegalStateException("netpoll: fcntl(kq, F_SETFD, FD_CLOEXEC) failed: " + errnoName(s));
        }
        change(s.changes, 0, WAKE_IDENT, evfiltUser, EV_ADD, 0, 0);
        keventOrThrow(s, 1, "EVFILT_USER registration");
        trigger = Arena.global().allocate(kevent.layout());
        change(trigger, 0, WAKE_IDENT, evfiltUser, EV_ENABLE, NOTE_TRIGGER, 0);
        wakeErrno = MacosErrno.captureSegment(Arena.global());
    }

    private static String errnoName(Scratch s) {
        return Errno.name(MacosErrno.errno(s.errno));
    }

    /** Fills {@code changes[i]}; udata carries a poller tag, never a real pointer. */
    private static void change(MemorySegment changes, int i, long ident, short filter, int flags, int fflags,
                               long udata) {
        long base = i * KEV_SIZE;
        changes.set(ValueLayout.JAVA_LONG, base + IDENT, ident);
        changes.set(ValueLayout.JAVA_SHORT, base + FILTER, filter);
        changes.set(ValueLayout.JAVA_SHORT, base + FLAGS, (short) flags);
        changes.set(ValueLayout.JAVA_INT, base + FFLAGS, fflags);
        changes.set(ValueLayout.JAVA_LONG, base + DATA, 0L);
        changes.set(ValueLayout.JAVA_LONG, base + UDATA, udata);
    }

    /** Applies {@code n} changes from {@code s.changes}, retrying EINTR (changes are applied anyway). */
    private void keventOrThrow(Scratch s, int n, String what) {
        for (;;) {
            if (MacosErrno.kevent(s.errno, kq, s.changes, n, MemorySegment.NULL, 0, MemorySegment.NULL) >= 0) {
                return;
            }
            if (MacosErrno.errno(s.errno) != Macos.EINTR()) {
                throw new IllegalStateException("netpoll: kevent (" + what + ") failed: " + errnoName(s));
            }
        }
    }

    @Override
    void open(PollDesc pd) throws IOException {
        long tag = register(pd);
        synchronized (ctl) {
            change(ctl.changes, 0, pd.fd, EVFILT_READ, EV_ADD | EV_CLEAR, 0, tag);
            change(ctl.changes, 1, pd.fd, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, tag);
            int n;
            do {
                n = MacosErrno.kevent(ctl.errno, kq, ctl.changes, 2, MemorySegment.NULL, 0, MemorySegment.NULL);
            } while (n < 0 && MacosErrno.errno(ctl.errno) == Macos.EINTR());
            if (n < 0) {
                String err = errnoName(ctl);
                unregister(pd);
                throw new IOException("kevent(EV_ADD, fd " + pd.fd + "): " + err);
            }
        }
    }

    @Override
    void close(PollDesc pd) {
        synchronized (ctl) {
            // One change a call: if one knote is already gone (ENOENT), the other still goes.
            change(ctl.changes, 0, pd.fd, EVFILT_READ, EV_DELETE, 0, 0);
            MacosErrno.kevent(ctl.errno, kq, ctl.changes, 1, MemorySegment.NULL, 0, MemorySegment.NULL);
            change(ctl.changes, 0, pd.fd, EVFILT_WRITE, EV_DELETE, 0, 0);
            MacosErrno.kevent(ctl.errno, kq, ctl.changes, 1, MemorySegment.NULL, 0, MemorySegment.NULL);
        }
        unregister(pd);
    }

    @Override
    void poll(long delayNanos, GList out) {
        Scratch s = scratch.get();
        MemorySegment tp;
        if (delayNanos < 0) {
            tp = MemorySegment.NULL;
        } else {
            long sec = delayNanos / 1_000_000_000L;
            long nsec = delayNanos % 1_000_000_000L;
            if (sec > MAX_WAIT_SECONDS) {
                sec = MAX_WAIT_SECONDS;
                nsec = 0;
            }
            timespec.tv_sec(s.ts, sec);
            timespec.tv_nsec(s.ts, nsec);
            tp = s.ts;
        }
        int n;
        for (;;) {
            n = MacosErrno.kevent(s.errno, kq, MemorySegment.NULL, 0, s.events, MAX_EVENTS, tp);
            if (n >= 0) {
                break;
            }
            int e = MacosErrno.errno(s.errno);
            if (e != Macos.EINTR()) {
                throw new IllegalStateException("netpoll: kevent on kq " + kq + " failed: " + Errno.name(e));
            }
            if (delayNanos > 0) {
                return; // a timed sleep was interrupted: let the caller recompute the timeout
            }
        }
        for (int i = 0; i < n; i++) {
            long base = i * KEV_SIZE;
            short filter = s.events.get(ValueLayout.JAVA_SHORT, base + FILTER);
            if (filter == evfiltUser) {
                if (s.events.get(ValueLayout.JAVA_LONG, base + IDENT) == WAKE_IDENT && delayNanos != 0) {
                    // Only a blocking poll drains: a non-blocking one leaves the wake-up to the M
                    // that is (or will be) blocked.
                    change(s.changes, 0, WAKE_IDENT, evfiltUser, EV_DISABLE, 0, 0);
                    keventOrThrow(s, 1, "EVFILT_USER drain");
                    wakeSig.set(0);
                }
                continue;
            }
            int mode = 0;
            if (filter == EVFILT_READ) {
                mode = PollDesc.MODE_READ;
                if ((s.events.get(ValueLayout.JAVA_SHORT, base + FLAGS) & EV_EOF) != 0) {
                    mode |= PollDesc.MODE_WRITE;
                }
            } else if (filter == EVFILT_WRITE) {
                mode = PollDesc.MODE_WRITE;
            }
            if (mode != 0) {
                PollDesc pd = lookup(s.events.get(ValueLayout.JAVA_LONG, base + UDATA));
                if (pd != null) {
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
            if (MacosErrno.kevent(wakeErrno, kq, trigger, 1, MemorySegment.NULL, 0, MemorySegment.NULL) >= 0) {
                return;
            }
            int e = MacosErrno.errno(wakeErrno);
            if (e != Macos.EINTR()) {
                throw new IllegalStateException("netpoll: kevent (NOTE_TRIGGER) failed: " + Errno.name(e));
            }
        }
    }
}
