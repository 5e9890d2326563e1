package io.panago.runtime;

import io.panago.bindings.freebsd.Freebsd;
import io.panago.bindings.linux.Linux;
import io.panago.bindings.linux.LinuxErrno;
import io.panago.bindings.linux.epoll_event;
import io.panago.bindings.macos.Macos;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * A kqueue of our own, for running the real {@link NetpollKqueue} on Linux: {@code kqueue} and
 * {@code kevent} written in Java over epoll (the Linux bindings), exported as upcall stubs and
 * bound into {@link Macos} through {@link Macos#bindLookup}, together with the libc around them
 * ({@link MacosLibcFake}: {@code fcntl}, {@code __error}, and the socket calls of net's macOS
 * socket layer). The descriptors it watches are real Linux ones; its errors go to the libc's
 * errno in macOS's numbering (those it reports, ENOENT, EBADF, EINVAL and EFAULT, have the same
 * numbers on every kqueue flavour, libkqueue's Linux included). Its flag and filter values are
 * macOS's, which every kqueue shares but for {@code EVFILT_USER}; that number and the layout of
 * {@code struct kevent} follow the {@link NetpollKqueue.Flavor} the fake speaks ({@link #abi}:
 * {@code -Dpanago.kqueue}, macOS when unset), and core's surefire executions run the kqueue
 * tests once per flavour.
 *
 * <p>What it implements, with kqueue's semantics: {@code EVFILT_READ} and {@code EVFILT_WRITE}
 * knotes per descriptor ({@code EV_ADD}, {@code EV_DELETE}, {@code EV_CLEAR} as edge
 * triggering, {@code udata} returned as given, {@code EV_EOF} on hang-up), {@code EVFILT_USER}
 * ({@code EV_ADD}, {@code EV_ENABLE}, {@code EV_DISABLE}, {@code EV_CLEAR}, {@code EV_DELETE},
 * {@code NOTE_TRIGGER}; pending while enabled and triggered), changelist errors as
 * {@code EV_ERROR} events when the eventlist has room and as {@code -1}/errno otherwise,
 * timeouts as a {@code struct timespec} (NULL: forever), and events beyond the caller's
 * eventlist kept for the next call. Anything else ({@code EV_ONESHOT}, {@code EV_RECEIPT},
 * other filters) fails with EINVAL. A knote lives until {@code EV_DELETE}, or until its
 * descriptor's open file is gone (epoll's rule, where kqueue drops it at {@code close}).
 *
 * <p>For the tests it counts what happened (triggers, wake-up events delivered to blocking
 * waits, threads blocked without a timeout) and can run a hook between collecting events and
 * returning them, the window in which a descriptor may be closed and its number reused. An
 * exception inside an upcall would kill the JVM, so each call catches everything, records it in
 * {@link #failures} (which the libc fake shares) and fails with EFAULT.
 *
 * <p>Public (test code only, in core's test jar) for net's test run on this fake: a session
 * hook in net's tests calls {@link #install} before the scheduler starts, and checks
 * {@link #failures()} at the end.
 */
public final class KqueueFakeKernel {
    private static final AtomicReference<KqueueFakeKernel> INSTANCE = new AtomicReference<>();

    private static final short EVFILT_READ = (short) Macos.EVFILT_READ(),
            EVFILT_WRITE = (short) Macos.EVFILT_WRITE();
    private static final int EV_ADD = Macos.EV_ADD(), EV_DELETE = Macos.EV_DELETE(),
            EV_ENABLE = Macos.EV_ENABLE(), EV_DISABLE = Macos.EV_DISABLE(), EV_CLEAR = Macos.EV_CLEAR(),
            EV_EOF = Macos.EV_EOF(), EV_ERROR = Macos.EV_ERROR(), NOTE_TRIGGER = Macos.NOTE_TRIGGER();
    private static final int KNOWN_FLAGS = EV_ADD | EV_DELETE | EV_ENABLE | EV_DISABLE | EV_CLEAR;
    private static final int EPOLLIN = Linux.EPOLLIN(), EPOLLOUT = Linux.EPOLLOUT(), EPOLLRDHUP = Linux.EPOLLRDHUP(),
            EPOLLHUP = Linux.EPOLLHUP(), EPOLLERR = Linux.EPOLLERR(), EPOLLET = Linux.EPOLLET();
    private static final long EP_SIZE = epoll_event.sizeof(), EP_DATA = epoll_event.data$offset();
    private static final int EP_BATCH = 64;

    /** The kqueue ABI this fake kernel speaks: kevent layout and EVFILT_USER. */
    final NetpollKqueue.Flavor abi = NetpollKqueue.Flavor.valueOf(
            System.getProperty("panago.kqueue", "macos").toUpperCase(Locale.ROOT));
    /**
     * The fake's own reading of that ABI, straight from the bindings' headers rather than from
     * {@link NetpollKqueue.Flavor}, so a flavour the backend gets wrong does not fool the fake.
     */
    private final GroupLayout keventLayout = abi == NetpollKqueue.Flavor.FREEBSD
            ? io.panago.bindings.freebsd.kevent.layout() : io.panago.bindings.macos.kevent.layout();
    private final short evfiltUser = (short) (abi == NetpollKqueue.Flavor.MACOS
            ? Macos.EVFILT_USER() : Freebsd.EVFILT_USER());
    private final long kev = keventLayout.byteSize(), kIdent = offset("ident"), kFilter = offset("filter"),
            kFlags = offset("flags"), kFflags = offset("fflags"), kData = offset("data"), kUdata = offset("udata");

    private long offset(String field) {
        return keventLayout.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    /** Calls that failed inside the fake or its libc (an assertion in every test). */
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    /** The libc around this kqueue: errno, fcntl, the socket calls. */
    private final MacosLibcFake libc = new MacosLibcFake(failures);
    /** NOTE_TRIGGER changes applied. */
    final AtomicInteger triggers = new AtomicInteger();
    /** EVFILT_USER events returned to a call that waited (timeout NULL or &gt; 0). */
    final AtomicInteger userEventsToWaiters = new AtomicInteger();
    /** Waits without a timeout that ended with an EVFILT_USER event among their results. */
    final AtomicInteger foreverWaitsEndedByUser = new AtomicInteger();
    /** EV_DELETE changes applied to descriptor knotes. */
    final AtomicInteger deletes = new AtomicInteger();
    /** Threads now inside a wait without a timeout (guarded by this). */
    private int foreverWaiters;
    /**
     * Runs on the thread that collected descriptor events, between collecting and returning
     * them, with the {ident, filter, udata} of each event about to be returned; removed once it
     * returns true.
     */
    final AtomicReference<Predicate<long[][]>> afterCollect = new AtomicReference<>();

    private final Arena arena = Arena.global();
    private final Map<String, MemorySegment> stubs = new HashMap<>();
    private final Map<Integer, Kq> kqs = new ConcurrentHashMap<>();
    private final ThreadLocal<EpollScratch> epScratch = ThreadLocal.withInitial(EpollScratch::new);

    private static final class EpollScratch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment errno = LinuxErrno.captureSegment(arena);
        final MemorySegment events = epoll_event.allocateArray(EP_BATCH, arena);
        final MemorySegment ev = epoll_event.allocate(arena);
        final MemorySegment word = arena.allocate(ValueLayout.JAVA_LONG);
    }

    /** One filter on one descriptor. */
    private static final class Knote {
        long udata;
        boolean clear;
    }

    private static final class FdNote {
        final int fd;
        final long id;
        Knote read, write;

        FdNote(int fd, long id) {
            this.fd = fd;
            this.id = id;
        }
    }

    private static final class UserNote {
        final long ident;
        final long id;
        final int eventfd;
        long udata;
        int fflags;
        boolean clear, enabled, triggered, signalled;

        UserNote(long ident, long id, int eventfd) {
            this.ident = ident;
            this.id = id;
            this.eventfd = eventfd;
        }
    }

    /** A kqueue: an epoll instance plus the knotes (guarded by the Kq) and undelivered events. */
    private static final class Kq {
        final int epfd;
        final Map<Integer, FdNote> fds = new HashMap<>();
        final Map<Long, UserNote> users = new HashMap<>();
        final Map<Long, Object> byId = new HashMap<>();
        /** Events collected but not yet returned: {ident, filter, flags, fflags, data, udata}. */
        final ArrayDeque<long[]> pending = new ArrayDeque<>();
        long nextId = 1;

        Kq(int epfd) {
            this.epfd = epfd;
        }
    }

    private KqueueFakeKernel() {
    }

    /** The fake, bound into {@link Macos} on first use; every later call returns the same one. */
    public static KqueueFakeKernel install() {
        KqueueFakeKernel k = INSTANCE.get();
        if (k != null) {
            return k;
        }
        synchronized (INSTANCE) {
            if (INSTANCE.get() == null) {
                KqueueFakeKernel fake = new KqueueFakeKernel();
                fake.stub("kqueue", "kqueue", Macos.kqueue$descriptor());
                fake.stub("kevent", "kevent", Macos.kevent$descriptor());
                Macos.bindLookup(name -> Optional.ofNullable(fake.stubs.get(name)).or(() -> fake.libc.lookup().find(name)));
                INSTANCE.set(fake);
            }
            return INSTANCE.get();
        }
    }

    /** {@return the libc fake bound with this kqueue} */
    public MacosLibcFake libc() {
        return libc;
    }

    /** {@return a snapshot of the calls that failed inside the fake (or its libc) so far} */
    public List<Throwable> failures() {
        return List.copyOf(failures);
    }

    /** {@return how many kqueues were created and not released: one per backend on this fake} */
    public int kqueues() {
        return kqs.size();
    }

    /** Closes kqueue {@code kqfd} with its wake-up eventfds (kqueue descriptors are never closed by the backend). */
    void release(int kqfd) {
        Kq kq = kqs.remove(kqfd);
        synchronized (kq) {
            for (UserNote u : kq.users.values()) {
                LinuxErrno.close(epScratch.get().errno, u.eventfd);
            }
            LinuxErrno.close(epScratch.get().errno, kq.epfd);
        }
    }

    /** {flags, udata} of the knote (fd, filter) in kqueue {@code kqfd}, or null if there is none. */
    long[] knote(int kqfd, int fd, short filter) {
        Kq kq = kqs.get(kqfd);
        synchronized (kq) {
            FdNote note = kq.fds.get(fd);
            Knote k = note == null ? null : filter == EVFILT_READ ? note.read : note.write;
            return k == null ? null : new long[] {EV_ADD | (k.clear ? EV_CLEAR : 0), k.udata};
        }
    }

    private void stub(String symbol, String method, FunctionDescriptor d) {
        stubs.put(symbol, MacosLibcFake.upcall(this, method, d, arena));
    }

    /** Blocks until some thread waits without a timeout, or the time is up. */
    synchronized boolean awaitForeverWaiter(long timeout, TimeUnit unit) throws InterruptedException {
        long end = System.nanoTime() + unit.toNanos(timeout);
        while (foreverWaiters == 0) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    private synchronized void foreverWaiters(int delta) {
        foreverWaiters += delta;
        notifyAll();
    }

    // ------------------------------------------------------------------ the upcalls

    /** Fails with Linux errno {@code e}, which the libc reports in macOS's numbering. */
    private int fail(int e) {
        return libc.fail(e);
    }

    int kqueue() {
        try {
            EpollScratch s = epScratch.get();
            int epfd = LinuxErrno.epoll_create1(s.errno, Linux.EPOLL_CLOEXEC());
            if (epfd < 0) {
                return fail(LinuxErrno.errno(s.errno));
            }
            kqs.put(epfd, new Kq(epfd));
            return epfd;
        } catch (Throwable t) {
            failures.add(t);
            return fail(Linux.EFAULT());
        }
    }

    int kevent(int kqfd, MemorySegment changelist, int nchanges, MemorySegment eventlist, int nevents,
               MemorySegment timeout) {
        try {
            Kq kq = kqs.get(kqfd);
            if (kq == null) {
                return fail(Linux.EBADF());
            }
            MemorySegment out = nevents > 0 ? eventlist.reinterpret(kev * nevents) : MemorySegment.NULL;
            int produced = 0;
            if (nchanges > 0) {
                MemorySegment ch = changelist.reinterpret(kev * nchanges);
                for (int i = 0; i < nchanges; i++) {
                    long base = i * kev;
                    int err = apply(kq, ch.get(ValueLayout.JAVA_LONG, base + kIdent),
                            ch.get(ValueLayout.JAVA_SHORT, base + kFilter),
                            Short.toUnsignedInt(ch.get(ValueLayout.JAVA_SHORT, base + kFlags)),
                            ch.get(ValueLayout.JAVA_INT, base + kFflags),
                            ch.get(ValueLayout.JAVA_LONG, base + kUdata));
                    if (err != 0) {
                        if (produced < nevents) {
                            put(out, produced++, new long[] {ch.get(ValueLayout.JAVA_LONG, base + kIdent),
                                    ch.get(ValueLayout.JAVA_SHORT, base + kFilter), EV_ERROR, 0,
                                    MacosLibcFake.darwinErrno(err),
                                    ch.get(ValueLayout.JAVA_LONG, base + kUdata)});
                        } else {
                            return fail(err);
                        }
                    }
                }
            }
            if (produced > 0 || nevents == 0) {
                return produced;
            }
            long waitNanos = -1;
            if (timeout.address() != 0) {
                MemorySegment ts = timeout.reinterpret(16);
                waitNanos = ts.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + ts.get(ValueLayout.JAVA_LONG, 8);
                if (waitNanos < 0) {
                    return fail(Linux.EINVAL());
                }
            }
            return collect(kq, out, nevents, waitNanos);
        } catch (Throwable t) {
            failures.add(t);
            return fail(Linux.EFAULT());
        }
    }

    // ------------------------------------------------------------------ changes

    /** Applies one change; returns 0 or an errno. */
    private int apply(Kq kq, long ident, short filter, int flags, int fflags, long udata) {
        if ((flags & ~KNOWN_FLAGS) != 0) {
            return Linux.EINVAL();
        }
        synchronized (kq) {
            if (filter == evfiltUser) {
                return applyUser(kq, ident, flags, fflags, udata);
            }
            if (filter != EVFILT_READ && filter != EVFILT_WRITE) {
                return Linux.EINVAL();
            }
            if ((flags & (EV_ENABLE | EV_DISABLE)) != 0) {
                return Linux.EINVAL(); // not needed by the backend, so not emulated
            }
            int fd = (int) ident;
            FdNote note = kq.fds.get(fd);
            if ((flags & EV_DELETE) != 0) {
                Knote k = note == null ? null : filter == EVFILT_READ ? note.read : note.write;
                if (k == null) {
                    return Linux.ENOENT();
                }
                deletes.incrementAndGet();
                if (filter == EVFILT_READ) {
                    note.read = null;
                } else {
                    note.write = null;
                }
                kq.pending.removeIf(e -> e[0] == fd && e[1] == filter);
                if (note.read == null && note.write == null) {
                    kq.fds.remove(fd);
                    kq.byId.remove(note.id);
                    epollCtl(kq, Linux.EPOLL_CTL_DEL(), fd, 0, 0); // EBADF if already closed: fine
                    return 0;
                }
                return epollCtl(kq, Linux.EPOLL_CTL_MOD(), fd, mask(note), note.id);
            }
            if ((flags & EV_ADD) == 0) {
                return note == null ? Linux.ENOENT() : Linux.EINVAL();
            }
            boolean fresh = note == null;
            if (fresh) {
                note = new FdNote(fd, kq.nextId++);
            }
            Knote k = new Knote();
            k.udata = udata;
            k.clear = (flags & EV_CLEAR) != 0;
            Knote oldRead = note.read, oldWrite = note.write;
            if (filter == EVFILT_READ) {
                note.read = k;
            } else {
                note.write = k;
            }
            int err = fresh ? Linux.ENOENT() : epollCtl(kq, Linux.EPOLL_CTL_MOD(), fd, mask(note), note.id);
            if (err == Linux.ENOENT()) {
                // New, or the old open file under this number is gone (kqueue would have dropped
                // its knotes at close): start over with a new registration.
                if (!fresh) {
                    kq.byId.remove(note.id);
                    kq.pending.removeIf(e -> e[0] == fd && e[1] != evfiltUser);
                    FdNote renewed = new FdNote(fd, kq.nextId++);
                    if (filter == EVFILT_READ) {
                        renewed.read = k;
                    } else {
                        renewed.write = k;
                    }
                    note = renewed;
                }
                err = epollCtl(kq, Linux.EPOLL_CTL_ADD(), fd, mask(note), note.id);
            }
            if (err != 0) {
                note.read = oldRead;
                note.write = oldWrite;
                return err;
            }
            kq.fds.put(fd, note);
            kq.byId.put(note.id, note);
            return 0;
        }
    }

    private static int mask(FdNote note) {
        int m = 0;
        boolean clear = false;
        if (note.read != null) {
            m |= EPOLLIN | EPOLLRDHUP;
            clear = note.read.clear;
        }
        if (note.write != null) {
            m |= EPOLLOUT;
            clear |= note.write.clear;
        }
        return clear ? m | EPOLLET : m;
    }

    private int epollCtl(Kq kq, int op, int fd, int events, long id) {
        EpollScratch s = epScratch.get();
        epoll_event.events(s.ev, events);
        s.ev.set(ValueLayout.JAVA_LONG_UNALIGNED, EP_DATA, id);
        return LinuxErrno.epoll_ctl(s.errno, kq.epfd, op, fd, s.ev) < 0 ? LinuxErrno.errno(s.errno) : 0;
    }

    private int applyUser(Kq kq, long ident, int flags, int fflags, long udata) {
        UserNote u = kq.users.get(ident);
        if (u == null) {
            if ((flags & EV_ADD) == 0) {
                return Linux.ENOENT();
            }
            EpollScratch s = epScratch.get();
            int efd = LinuxErrno.eventfd(s.errno, 0, Linux.EFD_NONBLOCK() | Linux.EFD_CLOEXEC());
            if (efd < 0) {
                return LinuxErrno.errno(s.errno);
            }
            u = new UserNote(ident, kq.nextId++, efd);
            u.enabled = true;
            int err = epollCtl(kq, Linux.EPOLL_CTL_ADD(), efd, EPOLLIN, u.id);
            if (err != 0) {
                LinuxErrno.close(s.errno, efd);
                return err;
            }
            kq.users.put(ident, u);
            kq.byId.put(u.id, u);
        }
        if ((flags & EV_DELETE) != 0) {
            kq.users.remove(ident);
            kq.byId.remove(u.id);
            kq.pending.removeIf(e -> e[0] == ident && e[1] == evfiltUser);
            LinuxErrno.close(epScratch.get().errno, u.eventfd);
            return 0;
        }
        if ((flags & EV_ADD) != 0) {
            u.clear = (flags & EV_CLEAR) != 0;
            u.udata = udata;
        }
        if ((flags & EV_ENABLE) != 0) {
            u.enabled = true;
        }
        if ((flags & EV_DISABLE) != 0) {
            u.enabled = false;
        }
        if ((fflags & NOTE_TRIGGER) != 0) {
            u.triggered = true;
            triggers.incrementAndGet();
        }
        u.fflags |= fflags & ~NOTE_TRIGGER & 0x00ffffff;
        syncUser(u);
        return 0;
    }

    /** Keeps the note's eventfd readable exactly while the note is pending (enabled and triggered). */
    private void syncUser(UserNote u) {
        EpollScratch s = epScratch.get();
        boolean active = u.enabled && u.triggered;
        if (active && !u.signalled) {
            s.word.set(ValueLayout.JAVA_LONG, 0, 1L);
            LinuxErrno.write(s.errno, u.eventfd, s.word, 8);
            u.signalled = true;
        } else if (!active && u.signalled) {
            LinuxErrno.read(s.errno, u.eventfd, s.word, 8);
            u.signalled = false;
        }
    }

    // ------------------------------------------------------------------ waiting

    private int collect(Kq kq, MemorySegment out, int nevents, long waitNanos) {
        EpollScratch s = epScratch.get();
        long deadline = waitNanos > 0 ? System.nanoTime() + waitNanos : 0;
        boolean forever = waitNanos < 0;
        for (;;) {
            boolean queued;
            synchronized (kq) {
                queued = !kq.pending.isEmpty();
            }
            if (queued) {
                return deliver(kq, out, nevents, waitNanos != 0, forever);
            }
            int ms;
            if (forever) {
                ms = -1;
            } else if (waitNanos == 0) {
                ms = 0;
            } else {
                long left = deadline - System.nanoTime();
                ms = left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
            }
            if (forever) {
                foreverWaiters(1);
            }
            int n;
            try {
                n = LinuxErrno.epoll_wait(s.errno, kq.epfd, s.events, EP_BATCH, ms);
            } finally {
                if (forever) {
                    foreverWaiters(-1);
                }
            }
            if (n < 0) {
                return fail(LinuxErrno.errno(s.errno));
            }
            boolean any;
            synchronized (kq) {
                for (int i = 0; i < n; i++) {
                    translate(kq, s.events.get(ValueLayout.JAVA_INT_UNALIGNED, i * EP_SIZE),
                            s.events.get(ValueLayout.JAVA_LONG_UNALIGNED, i * EP_SIZE + EP_DATA));
                }
                any = !kq.pending.isEmpty();
            }
            if (any || ms == 0) {
                return deliver(kq, out, nevents, waitNanos != 0, forever);
            }
        }
    }

    /** Turns one epoll event into kevents on the pending queue. */
    private void translate(Kq kq, int ev, long id) {
        Object note = kq.byId.get(id);
        if (note instanceof FdNote fn) {
            if (fn.read != null && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
                int flags = EV_ADD | (fn.read.clear ? EV_CLEAR : 0) | ((ev & (EPOLLRDHUP | EPOLLHUP)) != 0 ? EV_EOF : 0);
                kq.pending.add(new long[] {fn.fd, EVFILT_READ, flags, 0, 0, fn.read.udata});
            }
            if (fn.write != null && (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) {
                int flags = EV_ADD | (fn.write.clear ? EV_CLEAR : 0) | ((ev & (EPOLLHUP | EPOLLERR)) != 0 ? EV_EOF : 0);
                kq.pending.add(new long[] {fn.fd, EVFILT_WRITE, flags, 0, 0, fn.write.udata});
            }
        } else if (note instanceof UserNote u) {
            if (u.enabled && u.triggered) {
                int flags = EV_ADD | (u.clear ? EV_CLEAR : 0);
                kq.pending.removeIf(e -> e[0] == u.ident && e[1] == evfiltUser);
                kq.pending.add(new long[] {u.ident, evfiltUser, flags, u.fflags, 0, u.udata});
                if (u.clear) {
                    u.triggered = false;
                    u.fflags = 0;
                }
            }
            syncUser(u);
        }
        // Anything else: an event for a knote deleted meanwhile, which kqueue would not report.
    }

    /**
     * Moves up to {@code nevents} pending events into {@code out} and returns the count; then,
     * with no lock held (the hook may call kevent itself), runs the hook if descriptor events
     * were among them.
     */
    private int deliver(Kq kq, MemorySegment out, int nevents, boolean waited, boolean forever) {
        int n = 0;
        boolean user = false;
        int fdEvents = 0;
        synchronized (kq) {
            while (n < nevents && !kq.pending.isEmpty()) {
                long[] e = kq.pending.poll();
                put(out, n++, e);
                if (e[1] == evfiltUser) {
                    user = true;
                } else {
                    fdEvents++;
                }
            }
        }
        if (user && waited) {
            userEventsToWaiters.incrementAndGet();
            if (forever) {
                foreverWaitsEndedByUser.incrementAndGet();
            }
        }
        if (fdEvents > 0) {
            Predicate<long[][]> hook = afterCollect.get();
            if (hook != null) {
                long[][] seen = new long[n][];
                for (int i = 0; i < n; i++) {
                    long base = i * kev;
                    seen[i] = new long[] {out.get(ValueLayout.JAVA_LONG, base + kIdent),
                            out.get(ValueLayout.JAVA_SHORT, base + kFilter),
                            out.get(ValueLayout.JAVA_LONG, base + kUdata)};
                }
                if (hook.test(seen)) {
                    afterCollect.compareAndSet(hook, null);
                }
            }
        }
        return n;
    }

    private void put(MemorySegment out, int i, long[] e) {
        long base = i * kev;
        out.asSlice(base, kev).fill((byte) 0);
        out.set(ValueLayout.JAVA_LONG, base + kIdent, e[0]);
        out.set(ValueLayout.JAVA_SHORT, base + kFilter, (short) e[1]);
        out.set(ValueLayout.JAVA_SHORT, base + kFlags, (short) e[2]);
        out.set(ValueLayout.JAVA_INT, base + kFflags, (int) e[3]);
        out.set(ValueLayout.JAVA_LONG, base + kData, e[4]);
        out.set(ValueLayout.JAVA_LONG, base + kUdata, e[5]);
    }
}
