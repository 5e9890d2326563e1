package io.panago.runtime;

import io.panago.bindings.freebsd.Freebsd;
import io.panago.bindings.macos.Errno;
import io.panago.bindings.macos.Macos;
import io.panago.bindings.macos.MacosErrno;
import io.panago.bindings.macos.timespec;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
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
 * {@link Macos#bindLookup} was given: libSystem on macOS, libc on FreeBSD (bound here on first
 * use), a compatible library or a test fake anywhere else. The functions are the same on every
 * kqueue; {@code struct kevent} and the number of {@code EVFILT_USER} are not, and
 * {@link Flavor} says which ABI the kqueue in use speaks.
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
    /** Darwin refuses longer timeouts with EINVAL (Go caps them the same way). */
    private static final long MAX_WAIT_SECONDS = 1_000_000;

    /**
     * A kqueue ABI: the size and field offsets of {@code struct kevent} and the number of
     * {@code EVFILT_USER}. The other filters and flags the backend uses have the same values in
     * all three (the bindings' tests check that for macOS and FreeBSD; libkqueue copies
     * FreeBSD's header).
     */
    enum Flavor {
        /** macOS: 32-byte kevent, EVFILT_USER -10. */
        MACOS(io.panago.bindings.macos.kevent.layout(), (short) Macos.EVFILT_USER()),
        /** FreeBSD 12 and later: 64-byte kevent ({@code ext[4]} after udata), EVFILT_USER -11. */
        FREEBSD(io.panago.bindings.freebsd.kevent.layout(), (short) Freebsd.EVFILT_USER()),
        /**
         * libkqueue (kqueue over epoll, for Linux): FreeBSD 11's 32-byte kevent, the same
         * layout as macOS's, with FreeBSD's EVFILT_USER -11 (its include/sys/event.h).
         */
        LIBKQUEUE(io.panago.bindings.macos.kevent.layout(), (short) Freebsd.EVFILT_USER());

        final short evfiltUser;
        final long size, ident, filter, flags, fflags, data, udata;

        Flavor(GroupLayout kevent, short evfiltUser) {
            this.evfiltUser = evfiltUser;
            size = kevent.byteSize();
            ident = offset(kevent, "ident");
            filter = offset(kevent, "filter");
            flags = offset(kevent, "flags");
            fflags = offset(kevent, "fflags");
            data = offset(kevent, "data");
            udata = offset(kevent, "udata");
        }

        private static long offset(GroupLayout l, String field) {
            return l.byteOffset(MemoryLayout.PathElement.groupElement(field));
        }

        /**
         * The flavour of this process: {@code -Dpanago.kqueue=macos|freebsd|libkqueue} if set,
         * else by OS: macOS and FreeBSD their own, any OS without a kqueue of its own libkqueue
         * (the kqueue there is a library bound through {@link Macos#bindLookup}).
         *
         * @throws IllegalStateException on another BSD, whose kevent ABI is none of these
         */
        static Flavor select() {
            String p = System.getProperty("panago.kqueue");
            if (p != null) {
                try {
                    return valueOf(p.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("-Dpanago.kqueue=" + p
                            + " is unknown (macos, freebsd or libkqueue)", e);
                }
            }
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            if (os.startsWith("mac")) {
                return MACOS;
            }
            if (os.contains("freebsd")) {
                return FREEBSD;
            }
            if (os.contains("bsd")) {
                throw new IllegalStateException("netpoll: the kevent ABI of " + System.getProperty("os.name")
                        + " is not one panago knows; -Dpanago.kqueue=macos|freebsd|libkqueue overrides");
            }
            return LIBKQUEUE;
        }
    }

    final int kq;
    final Flavor flavor;
    private final short evfiltUser;
    private final long kevSize, ident, filter, flags, fflags, udata;
    /** Go's netpollWakeSig: 1 from a trigger until a blocking poll drains it. */
    final AtomicInteger wakeSig = new AtomicInteger();
    /**
     * Per-thread buffers for {@link #poll}, called only by Ms in scheduler code and sysmon
     * (platform threads, never a goroutine); {@link #open} and {@link #close} can run in a
     * goroutine and share {@link #ctl} under its lock instead (see NetpollEpoll).
     */
    private final ThreadLocal<Scratch> scratch;
    private final Scratch ctl;
    /** The constant trigger change: written once, only read by kevent. */
    private final MemorySegment trigger;
    /** errno of the trigger; shared, so only good for a diagnostic. */
    private final MemorySegment wakeErrno;

    private static final class Scratch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment errno = MacosErrno.captureSegment(arena);
        final MemorySegment events, changes;
        final MemorySegment ts = timespec.allocate(arena);

        Scratch(Flavor f) {
            events = arena.allocate(f.size * MAX_EVENTS, 8);
            changes = arena.allocate(f.size * 2, 8);
        }
    }

    NetpollKqueue() {
        this(Flavor.select());
    }

    NetpollKqueue(Flavor flavor) {
        this.flavor = flavor;
        evfiltUser = flavor.evfiltUser;
        kevSize = flavor.size;
        ident = flavor.ident;
        filter = flavor.filter;
        flags = flavor.flags;
        fflags = flavor.fflags;
        udata = flavor.udata;
        scratch = ThreadLocal.withInitial(() -> new Scratch(flavor));
        ctl = new Scratch(flavor);
        if (flavor == Flavor.FREEBSD && System.getProperty("os.name", "").equals("FreeBSD")
                && Macos.boundLookup().isEmpty()) {
            // Macos binds libSystem only on macOS; FreeBSD's libc has every function used here.
            Macos.bindLookup(Linker.nativeLinker().defaultLookup());
        }
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
        trigger = Arena.global().allocate(kevSize, 8);
        change(trigger, 0, WAKE_IDENT, evfiltUser, EV_ENABLE, NOTE_TRIGGER, 0);
        wakeErrno = MacosErrno.captureSegment(Arena.global());
    }

    private static String errnoName(Scratch s) {
        return Errno.name(MacosErrno.errno(s.errno));
    }

    /**
     * Fills {@code changes[i]}; udata carries a poller tag, never a real pointer. Zeroed first, so
     * FreeBSD's {@code ext[4]} is zero too.
     */
    private void change(MemorySegment changes, int i, long id, short filt, int fl, int ffl, long ud) {
        long base = i * kevSize;
        changes.asSlice(base, kevSize).fill((byte) 0);
        changes.set(ValueLayout.JAVA_LONG, base + ident, id);
        changes.set(ValueLayout.JAVA_SHORT, base + filter, filt);
        changes.set(ValueLayout.JAVA_SHORT, base + flags, (short) fl);
        changes.set(ValueLayout.JAVA_INT, base + fflags, ffl);
        changes.set(ValueLayout.JAVA_LONG, base + udata, ud);
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
            long base = i * kevSize;
            short filt = s.events.get(ValueLayout.JAVA_SHORT, base + filter);
            if (filt == evfiltUser) {
                if (s.events.get(ValueLayout.JAVA_LONG, base + ident) == WAKE_IDENT && delayNanos != 0) {
                    // Only a blocking poll drains: a non-blocking one leaves the wake-up to the M
                    // that is (or will be) blocked.
                    change(s.changes, 0, WAKE_IDENT, evfiltUser, EV_DISABLE, 0, 0);
                    keventOrThrow(s, 1, "EVFILT_USER drain");
                    wakeSig.set(0);
                }
                continue;
            }
            int mode = 0;
            if (filt == EVFILT_READ) {
                mode = PollDesc.MODE_READ;
                if ((s.events.get(ValueLayout.JAVA_SHORT, base + flags) & EV_EOF) != 0) {
                    mode |= PollDesc.MODE_WRITE;
                }
            } else if (filt == EVFILT_WRITE) {
                mode = PollDesc.MODE_WRITE;
            }
            if (mode != 0) {
                PollDesc pd = lookup(s.events.get(ValueLayout.JAVA_LONG, base + udata));
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
