package io.panago.net.poll;

import io.panago.Go;
import io.panago.runtime.NetpollOp;
import io.panago.runtime.PollDesc;
import io.panago.runtime.Sched;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One socket file descriptor and every operation on it: Go's internal/poll {@code FD}
 * (fd_unix.go, fd_poll_runtime.go) with the socket set-up of net's sock_posix.go.
 *
 * <p>Implementation overview.
 * <ul>
 * <li><b>The seam.</b> {@code io.panago.net} does all I/O through this class and never sees a
 * system call, an errno or the poller. This file is the readiness (epoll) implementation: the
 * non-blocking syscall runs straight on the caller's {@code byte[]} (a critical downcall) and
 * {@code EAGAIN} parks on the {@link PollDesc}. A completion backend (io_uring, IOCP) gives
 * {@link #read}, {@link #write}, {@link #accept} and {@link #connect} other bodies (submit
 * with an off-heap buffer, park, take the result) behind the same signatures, as Go's
 * fd_windows.go does beside fd_unix.go.</li>
 * <li><b>Lifetime.</b> {@link FdMutex} counts the operations in flight. {@link #close} marks
 * it closed, wakes every waiter (the poll descriptor's {@code evict} for goroutines, the
 * wake-up eventfd for threads), and the release of the last reference {@link #destroy}s:
 * {@code EPOLL_CTL_DEL} first (a {@code dup} of this socket would otherwise keep the
 * registration alive, see epoll(7)), then close(2). {@code close} waits for that, so when it
 * returns the descriptor is gone, and no syscall ever runs on a number the kernel has reused.</li>
 * <li><b>Goroutines and threads.</b> In a goroutine a wait is {@link PollDesc#waitRead} /
 * {@code waitWrite}: the goroutine parks, the carrier runs others. A virtual thread waits the
 * same way (its stand-in parks, so it unmounts and never pins a carrier), with the runtime's
 * poller waking it. On a platform thread the wait is poll(2) on the socket and on a
 * per-direction eventfd that {@link #close} and the deadline setters signal, so the thread
 * blocks (never spins) and still wakes at once.
 * Reads are serialised by the read lock and writes by the write lock, so each direction has
 * at most one waiter: the poll descriptor's one slot, or the one eventfd.</li>
 * <li><b>Completion backends.</b> When {@link PollDesc#completionModel()} (io_uring with
 * {@code -Dpanago.netpoll=io_uring}; IOCP on Windows), {@link #read}, {@link #write},
 * {@link #accept} and {@link #connect} run as {@link NetpollOp}s instead, one per direction
 * (Go's fd_windows.go {@code execIO}): the operation is submitted with a pooled off-heap
 * buffer and the caller, goroutine or thread, parks on the same poll descriptor slot until its
 * completion, so deadlines and {@link #close} work as above; a timed-out or closed operation
 * is cancelled and waited for before its buffer is reused. The readiness wait stays for the
 * retries that need one (the accept back-off).</li>
 * <li><b>Windows.</b> Always the completion model, since IOCP has no readiness: accept is
 * {@code AcceptEx} into a socket made for it, then {@code SO_UPDATE_ACCEPT_CONTEXT}; connect
 * binds to the wildcard address, then {@code ConnectEx}, then {@code SO_UPDATE_CONNECT_CONTEXT}
 * (Go's fd_windows.go and sock_windows.go). Platform threads park on the poll descriptor as
 * goroutines do (there is no poll(2)), and the accept back-off is a timed park on it
 * ({@link PollDesc#waitDeadline}). The socket is a 64-bit {@code SOCKET} handle, hence the
 * {@code long} {@code sysfd} everywhere (a Unix descriptor widens to it at no cost).</li>
 * <li><b>Deadlines.</b> The user's deadline per direction (Go's SetReadDeadline) and a
 * per-call deadline (Java's soTimeout, a connect timeout, an accept back-off) combine into
 * the earliest, which is what the poll descriptor is given. A timeout of the call deadline
 * alone is reported as {@link #WAIT_CALL_TIMEOUT} so the caller can tell the two apart.
 * Times are the runtime's {@link Sched#nanotime}; 0 means none, -1 means already expired.</li>
 * <li><b>Memory.</b> The hot path allocates nothing: the errno captures live in the FD's one
 * native block ({@link Mem}), and the heap array goes to the kernel as it is. The rarer calls
 * share the block's scratch space under its monitor.</li>
 * <li><b>Fairness.</b> A goroutine whose socket never runs dry would keep its P as long as
 * data comes; after {@link #BUDGET} calls in a row that did not wait it yields once
 * ({@code -Dpanago.net.budget}, 0 for never).</li>
 * </ul>
 */
public final class FD extends FdMutex {
    /** Directions for {@link #setDeadline}, as the poll descriptor numbers them. */
    public static final int READ = PollDesc.MODE_READ, WRITE = PollDesc.MODE_WRITE;

    private static final int WAIT_OK = 0, WAIT_CLOSING = 1, WAIT_TIMEOUT = 2,
            WAIT_CALL_TIMEOUT = 3;
    /** {@link #wakeFd}'s answers besides a descriptor. */
    private static final int WAKE_FD_CLOSING = -1, NO_WAKE_FD = -2;
    /** A thread's poll(2) slice when it has no wake-up eventfd (see {@link #threadWait}). */
    private static final int NO_WAKE_FD_SLICE_MS = 10;
    private static final long BACKOFF_MIN = 5_000_000L, BACKOFF_MAX = 1_000_000_000L;
    /**
     * Loads {@link Errors} with this class: an accept operation meets its first error only when
     * the process is out of descriptors (EMFILE), and then the class file could not be opened.
     */
    private static final int EMFILE = Errors.EMFILE;

    static {
        Sema.link(); // its first wait may come when no descriptor is free to load it
    }
    /** Linux's MAX_RW_COUNT: no read returns more, so a longer one is short without draining. */
    private static final int MAX_RW = 0x7ffff000;
    /** The largest caller array {@link #readSegment}/{@link #writeSegment} keep a reference to. */
    private static final int SEGMENT_CACHE_MAX = 256 << 10;
    private static final System.Logger LOG = System.getLogger("io.panago.net");
    /** {@link #BUDGET} when {@code -Dpanago.net.budget} is not set. */
    static final int DEFAULT_BUDGET = 16;
    /**
     * Calls that may complete without waiting before the goroutine yields its P once; 0 never
     * yields, as in Go. {@code -Dpanago.net.budget=N}, default {@link #DEFAULT_BUDGET}.
     */
    private static final int BUDGET = budget(System.getProperty("panago.net.budget"));

    /** Socket options {@link #setOption}/{@link #getOption} know. */
    public enum Option {
        TCP_NODELAY(Sys.IPPROTO_TCP, Sys.TCP_NODELAY),
        SO_KEEPALIVE(Sys.SOL_SOCKET, Sys.SO_KEEPALIVE),
        SO_RCVBUF(Sys.SOL_SOCKET, Sys.SO_RCVBUF),
        SO_SNDBUF(Sys.SOL_SOCKET, Sys.SO_SNDBUF),
        SO_REUSEADDR(Sys.SOL_SOCKET, Sys.SO_REUSEADDR),
        /** Keep-alive idle time in seconds (not on Windows, where {@link #setKeepAlive} sets it). */
        TCP_KEEPIDLE(Sys.IPPROTO_TCP, Sys.TCP_KEEPIDLE),
        /** Keep-alive probe interval in seconds (not on Windows). */
        TCP_KEEPINTVL(Sys.IPPROTO_TCP, Sys.TCP_KEEPINTVL),
        /** Keep-alive probes before the connection is dropped (not on Windows). */
        TCP_KEEPCNT(Sys.IPPROTO_TCP, Sys.TCP_KEEPCNT),
        IPV6_V6ONLY(Sys.IPPROTO_IPV6, Sys.IPV6_V6ONLY);

        final int level, name;

        Option(int level, int name) {
            this.level = level;
            this.name = name;
        }
    }

    /** The socket: a Unix descriptor, or a Windows {@code SOCKET} handle. */
    private final long sysfd;
    private final int family;
    private final Sema csema = new Sema();
    private final Mem mem;
    /** Errno capture for operations under the read lock / the write lock (the hot path). */
    private final MemorySegment rerrno, werrno;
    /** Set once, before the FD is shared, by {@link #init}; null until then. */
    private PollDesc pd;
    /** Whether I/O runs as completion operations (set by {@link #init}). */
    private boolean completion;
    /** The completion operations of each direction, made on first use under that direction's lock. */
    private NetpollOp rop, wop;

    /** User deadlines (volatile for the lock-free expiry check); written under {@code this}. */
    private volatile long rdeadline, wdeadline;
    /** The peer's address as accept reported it, for a descriptor {@link #accept} made; else null. */
    private InetSocketAddress acceptedPeer;
    /** Deadline of the call waiting in each direction; guarded by {@code this}. */
    private long rcall, wcall;
    /** Wake-up eventfds of threads waiting in each direction, -1 until needed; guarded by this. */
    private int rwake = -1, wwake = -1;
    /** Java's soTimeout for reads and accepts, in nanoseconds; 0 waits forever. */
    private volatile long readTimeout;
    /**
     * Reads and writes in a row that did not have to wait (shared by both directions; a lost
     * update only shifts the next yield).
     */
    private int streak;
    /**
     * The last read returned fewer bytes than asked on a backend where that proves the socket
     * drained ({@link PollDesc#shortReadDrains}); guarded by the read lock.
     */
    private boolean drained;
    /**
     * {@link #shutdown} of the input ran: reads report end of stream from then on, as the JDK's
     * sockets do on every OS. The kernels differ: Windows fails a receive (WSAESHUTDOWN), and
     * Linux still returns data that was queued, or even arrives, after it. Shared by every
     * {@link #dup} of the socket, as the shutdown itself is: each of them reads end of stream.
     */
    private final AtomicBoolean inputShut;
    /**
     * The heap segment of the last read's array from its offset on, and that array and offset;
     * guarded by the read lock. A loop that reads into one buffer (the usual shape) then wraps
     * it once, not per call: the wrapping and slicing allocate, and escape analysis does not
     * remove them here. Only arrays up to {@link #SEGMENT_CACHE_MAX} are kept, so a big one-off
     * buffer is not held alive by the stream.
     */
    private byte[] rarray;
    private int roff;
    private MemorySegment rseg;
    /** The same for writes; guarded by the write lock. */
    private byte[] warray;
    private int woff;
    private MemorySegment wseg;

    private FD(long sysfd, int family, Mem mem, AtomicBoolean inputShut) {
        this.inputShut = inputShut;
        this.sysfd = sysfd;
        this.family = family;
        this.mem = mem;
        this.rerrno = mem.rerrno;
        this.werrno = mem.werrno;
    }

    /**
     * The FD's native memory: one GC-managed block for the errno captures and the arguments
     * of the rarer calls (options, addresses), which take the block's monitor and never park
     * while holding it. Not a confined arena per call: a goroutine may resume on another
     * carrier thread, and compiled code may even see a stale {@code Thread.currentThread()}
     * after a yield, so thread-confined memory is off limits here.
     */
    private static final class Mem {
        private static final long E = (Sys.ERRNO_SIZE + 7) & ~7L, L = (Sys.LINGER_SIZE + 7) & ~7L;
        /** FDs whose hot-path errno captures share one slab, and so one memory session. */
        private static final int SLAB = 256;
        private static MemorySegment slab;
        private static int slabNext = SLAB;

        final MemorySegment rerrno, werrno, cerrno, intVal, lingerVal, len, sa, word;

        Mem() {
            MemorySegment hot = hotErrnos();
            rerrno = hot.asSlice(0, Sys.ERRNO_SIZE);
            werrno = hot.asSlice(E, Sys.ERRNO_SIZE);
            MemorySegment m = Arena.ofAuto().allocate(E + 8 + L + 8 + 8 + SockAddr.MAX_SIZE, 8);
            long at = 0;
            cerrno = m.asSlice(at, Sys.ERRNO_SIZE);
            intVal = m.asSlice(at += E, 4);
            lingerVal = m.asSlice(at += 8, Sys.LINGER_SIZE);
            len = m.asSlice(at += L, 4);
            word = m.asSlice(at += 8, 8);
            sa = m.asSlice(at + 8, SockAddr.MAX_SIZE);
        }

        /**
         * The read and write errno captures of one FD, cut from a slab shared by {@link #SLAB}
         * FDs. Every downcall checks that its capture segment's session is alive: with a
         * session per FD that check is one more cache miss per read and per write when many
         * connections take turns (a tenth of {@code FD.read}'s own time at 1,000 connections),
         * with one per slab it stays in cache. The slab is freed once every FD holding a slice
         * of it is unreachable.
         */
        private static synchronized MemorySegment hotErrnos() {
            if (slabNext == SLAB) {
                slab = Arena.ofAuto().allocate(SLAB * 2 * E, 8);
                slabNext = 0;
            }
            return slab.asSlice(2 * E * slabNext++, 2 * E);
        }
    }

    /** Registers with the poller (Go: pollDesc.init); the FD may be shared after this. */
    private void init() throws IOException {
        if (pd == null) {
            pd = PollDesc.open(sysfd);
            completion = PollDesc.completionModel();
        }
    }

    private static SocketException closed() {
        return new SocketException("Socket closed");
    }

    /** A new non-blocking stream socket of {@code family} ({@link SockAddr#AF_INET}...). */
    private static FD socket(int family) throws IOException {
        Mem m = new Mem();
        long fd = Sys.socket(m.cerrno, family);
        if (fd < 0) {
            throw Errors.exception((int) -fd, "socket", null);
        }
        return new FD(fd, family, m, new AtomicBoolean());
    }

    /** Whether this kernel can make sockets of {@code family} (Go: probe of ipStackCapabilities). */
    public static boolean supports(int family) {
        MemorySegment errno = new Mem().cerrno;
        long fd = Sys.socket(errno, family);
        if (fd < 0) {
            return false;
        }
        Sys.close(errno, fd);
        return true;
    }

    /**
     * The kernel's limit on a listen backlog, capped at 65535 (Go: maxListenerBacklog):
     * net.core.somaxconn on Linux, kern.ipc.somaxconn (by sysctl) on macOS; the header's
     * SOMAXCONN if it cannot be read, and on Windows, which has no such setting.
     */
    public static int maxListenerBacklog() {
        int n = Sys.SOMAXCONN;
        if (Sys.WINDOWS) {
            return Math.max(1, Math.min(n, 65535));
        }
        if (Sys.MACOS) {
            int k = SysMacos.somaxconn();
            return Math.max(1, Math.min(k > 0 ? k : n, 65535));
        }
        // Not Files.readString: it probes with a 1-byte read, and a sysctl file answers the
        // next read, at offset 1, with end-of-file: "4096" would come back as "4".
        try (InputStream in = new FileInputStream("/proc/sys/net/core/somaxconn")) {
            n = Integer.parseInt(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException | SecurityException e) {
            // keep the header's value, as Go does
        }
        return Math.max(1, Math.min(n, 65535));
    }

    /**
     * A listening socket bound to {@code addr}: SO_REUSEADDR on and, for IPv6, dual-stack
     * (IPV6_V6ONLY off), as Go's {@code Listen("tcp", ...)}. Not on Windows, as in Go: there
     * SO_REUSEADDR would let another socket bind the port while this one listens, and what
     * it means on Unix (binding over connections in TIME_WAIT) is Windows' default.
     */
    public static FD listen(InetSocketAddress addr, int backlog) throws IOException {
        LogZone.load();
        int family = SockAddr.family(addr.getAddress());
        FD fd = socket(family);
        try {
            if (!Sys.WINDOWS) {
                fd.setOption(Option.SO_REUSEADDR, 1);
            }
            if (family == SockAddr.AF_INET6) {
                fd.setOption(Option.IPV6_V6ONLY, 0);
            }
            Mem m = fd.mem;
            synchronized (m) {
                m.sa.fill((byte) 0);
                int r = Sys.bind(m.cerrno, fd.sysfd, m.sa, SockAddr.encode(m.sa, addr, family));
                if (r < 0) {
                    throw Errors.exception(-r, "bind", SockAddr.format(addr));
                }
                r = Sys.listen(m.cerrno, fd.sysfd, backlog);
                if (r < 0) {
                    throw Errors.exception(-r, "listen", SockAddr.format(addr));
                }
            }
            fd.init();
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            fd.close();
            throw e;
        }
    }

    /**
     * A socket connected to {@code addr}; {@code deadline} (nanotime, 0 for none) bounds the
     * wait for the handshake (Go: netFD.connect).
     */
    public static FD dial(InetSocketAddress addr, long deadline) throws IOException {
        return dial(addr, deadline, null);
    }

    /**
     * As {@link #dial(InetSocketAddress, long)}, handing the new socket to {@code started}
     * (unless null) before the connection is attempted, so that another goroutine or thread can
     * cut the wait short with {@link #setDeadline} (Go's DialContext does so on cancellation).
     */
    public static FD dial(InetSocketAddress addr, long deadline, Consumer<FD> started) throws IOException {
        FD fd = socket(SockAddr.family(addr.getAddress()));
        try {
            if (started != null) {
                started.accept(fd);
            }
            fd.connect(addr, deadline);
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            fd.close();
            throw e;
        }
    }

    private void connect(InetSocketAddress addr, long deadline) throws IOException {
        if (!rwlock(false)) {
            throw closed();
        }
        try {
            if (PollDesc.completionModel()) {
                init();
                opConnect(addr, deadline);
                return;
            }
            int r;
            synchronized (mem) {
                mem.sa.fill((byte) 0);
                r = Sys.connect(werrno, sysfd, mem.sa, SockAddr.encode(mem.sa, addr, family));
            }
            if (r < 0 && -r != Errors.EINPROGRESS && -r != Errors.EALREADY && -r != Errors.EINTR) {
                if (-r != Errors.EISCONN) {
                    throw Errors.exception(-r, "connect", SockAddr.format(addr));
                }
                r = 0;
            }
            // Registered only now: an unconnected socket reports an instant EPOLLOUT|EPOLLHUP.
            init();
            while (r != 0) {
                int w = await(WRITE, deadline);
                if (w == WAIT_CLOSING) {
                    throw closed();
                }
                if (w != WAIT_OK) {
                    throw new SocketTimeoutException("Connect timed out: " + SockAddr.format(addr));
                }
                int e;
                synchronized (mem) {
                    int so = Sys.getsockopt(werrno, sysfd, Sys.SOL_SOCKET, Sys.SO_ERROR, mem.intVal, mem.len);
                    if (so < 0) {
                        throw Errors.exception(-so, "connect", SockAddr.format(addr));
                    }
                    e = mem.intVal.get(ValueLayout.JAVA_INT, 0);
                }
                if (e != 0 && e != Errors.EISCONN && e != Errors.EINPROGRESS
                        && e != Errors.EALREADY && e != Errors.EINTR) {
                    throw Errors.exception(e, "connect", SockAddr.format(addr));
                }
                r = e == 0 || e == Errors.EISCONN ? 0 : -e;
            }
        } finally {
            if (rwunlock(false)) {
                destroy();
            }
        }
    }

    /**
     * Accepts one connection (Go: FD.Accept). {@code ECONNABORTED} is retried at once; when
     * out of descriptors or memory ({@code EMFILE}, {@code ENFILE}, {@code ENOBUFS},
     * {@code ENOMEM}) it backs off 5 ms, doubling to 1 s, and retries while the socket is open,
     * as Go's http.Server does around Accept, so an accept loop neither dies nor spins.
     */
    public FD accept() throws IOException {
        if (!rwlock(true)) {
            throw closed();
        }
        try {
            failFast(READ, pd.prepare(READ), "Accept timed out");
            long timeout = 0, backoff = 0;
            InetSocketAddress[] peer = new InetSocketAddress[1];
            for (;;) {
                long nfd;
                if (completion) {
                    long rt = readTimeout;
                    if (timeout == 0 && rt != 0) {
                        timeout = after(rt);
                    }
                    NetpollOp op = rop();
                    beginCall(READ, timeout);
                    try {
                        nfd = Sys.WINDOWS ? acceptEx(op, timeout) : opAccept(op, timeout, peer);
                    } finally {
                        endCall(READ, timeout);
                    }
                } else {
                    synchronized (mem) { // its sockaddr scratch; nothing here parks
                        nfd = Sys.accept(rerrno, sysfd, mem.sa, mem.len);
                        if (nfd >= 0) {
                            peer[0] = SockAddr.decode(mem.sa);
                        }
                    }
                }
                if (nfd >= 0) {
                    FD c = adopt(nfd, family, 0, new AtomicBoolean());
                    c.acceptedPeer = peer[0];
                    return c;
                }
                int e = (int) -nfd;
                if (e == Errors.EINTR || e == Errors.ECONNABORTED
                        || (Sys.WINDOWS && (e == Errors.ECONNRESET || e == SysWindows.ERROR_NETNAME_DELETED))) {
                    continue;
                }
                long rt = readTimeout;
                if (timeout == 0 && rt != 0) {
                    timeout = after(rt);
                }
                int w;
                if (e == EMFILE || e == Errors.ENFILE || e == Errors.ENOBUFS
                        || e == Errors.ENOMEM) {
                    backoff = backoff == 0 ? BACKOFF_MIN : Math.min(2 * backoff, BACKOFF_MAX);
                    logBackoff(e, backoff);
                    w = pause(READ, earliest(timeout, after(backoff)));
                } else if (e != Errors.EAGAIN || Sys.WINDOWS) {
                    throw Errors.exception(e, "accept", null);
                } else {
                    w = await(READ, timeout);
                }
                if (w == WAIT_CALL_TIMEOUT && (timeout == 0 || Sched.nanotime() < timeout)) {
                    continue;
                }
                if (w != WAIT_OK) {
                    throw failure(w, "Accept timed out");
                }
            }
        } finally {
            if (rwunlock(true)) {
                destroy();
            }
        }
    }

    /**
     * Loads the default time zone, once, when the first listener is made. The default log
     * formatter needs it and loads it from a file on first use; if that first use is an accept
     * back-off's warning at EMFILE, the load fails, and the JDK then refuses the default time
     * zone to the whole JVM for good.
     */
    private static final class LogZone {
        static {
            try {
                java.time.ZoneId.systemDefault().getRules();
            } catch (RuntimeException | Error e) {
                // a logger that needs it will say why itself
            }
        }

        static void load() {
            // the work is the class's initialisation
        }
    }

    /**
     * Logs an accept back-off, as Go's http.Server does. A logger that fails (at EMFILE a
     * handler may need a file of its own) loses the line, never the accept loop; the time
     * zone the default formatter needs was loaded when the first listener was made
     * ({@link #listen}), while descriptors were free.
     */
    private static void logBackoff(int e, long backoff) {
        try {
            LOG.log(System.Logger.Level.WARNING, "accept: {0}; retrying in {1} ms",
                    Errors.describe(e), backoff / 1_000_000);
        } catch (Throwable lost) {
            // the warning is lost; the loop goes on
        }
    }

    /**
     * The accept back-off's wait: until {@code dl} (a nanotime) passes or the FD closes,
     * ignoring readiness, as Go's http.Server sleeps. A connection still in the backlog keeps
     * a listener readable, so a thread's poll(2) would return at once and spin, and each new
     * connection would cut a goroutine's wait short. Returns as {@link #await} does, never
     * {@link #WAIT_OK}.
     */
    private int pause(int mode, long dl) throws IOException {
        streak = 0;
        boolean parks = parks();
        for (;;) {
            int w = parks ? pdWait(mode, dl, false) : threadWait(mode, dl, false);
            if (w != WAIT_OK) {
                return w;
            }
            // A readiness event that reached the parked waiter anyway: wait on.
        }
    }

    /**
     * One accept operation (io_uring): the new descriptor, or -errno; the peer's address into
     * {@code peer[0]}. The address lands in a heap segment of longs (aligned like a sockaddr),
     * not the scratch memory, whose monitor cannot be held across the operation's park.
     */
    private long opAccept(NetpollOp op, long timeout, InetSocketAddress[] peer) throws IOException {
        MemorySegment sa = MemorySegment.ofArray(new long[(int) ((SockAddr.MAX_SIZE + 7) / 8)]);
        int st = op.accept(Sys.SOCK_FLAGS, sa);
        if (st != PollDesc.OK) {
            throw failure(opWait(st, READ, timeout), "Accept timed out");
        }
        long r = op.result();
        if (r >= 0) {
            peer[0] = SockAddr.decode(sa);
        }
        return r;
    }

    /**
     * Go's fd_windows.go {@code acceptOne}: {@code AcceptEx} into a socket made for it, which
     * then takes the listener's context ({@code SO_UPDATE_ACCEPT_CONTEXT}). The new socket, or
     * {@code -error} (of the socket call too: WSAEMFILE leads to the back-off).
     */
    private long acceptEx(NetpollOp op, long timeout) throws IOException {
        long s = Sys.socket(rerrno, family);
        if (s < 0) {
            return s;
        }
        boolean keep = false;
        try {
            int st = op.acceptInto(s);
            if (st != PollDesc.OK) {
                throw failure(opWait(st, READ, timeout), "Accept timed out");
            }
            long r = op.result();
            if (r < 0) {
                return r;
            }
            int c;
            synchronized (mem) {
                c = Sys.acceptContext(rerrno, mem.word, s, sysfd);
            }
            if (c < 0) {
                return c;
            }
            keep = true;
            return s;
        } finally {
            if (!keep) {
                Sys.close(rerrno, s);
            }
        }
    }

    /**
     * Reads up to {@code len} bytes into {@code b[off..]}, parking until at least one arrives
     * (Go: FD.Read); -1 at end of stream. The caller has checked the bounds. As Go's, a
     * zero-length read returns 0 at once after taking the read lock: on a closed FD it still
     * fails, but an expired deadline is not checked.
     */
    public int read(byte[] b, int off, int len) throws IOException {
        if (!rwlock(true)) {
            throw closed();
        }
        try {
            if (len == 0) {
                return 0; // Go: "return immediately without trying (but after acquiring the readLock)"
            }
            // The last read came back short: the socket was empty then, and whatever came
            // since has made the poll descriptor ready (PollDesc.shortReadDrains). So keep
            // that readiness (check, not prepare) and go to the wait first: without it the
            // wait returns at once, and with it we spare the read that would fail with EAGAIN.
            // Not under a soTimeout: as the JDK's, a read returns data already there however
            // short its timeout, so it must try before its (maybe already past) deadline counts.
            boolean waitFirst = drained && readTimeout == 0;
            drained = false;
            if (waitFirst) {
                check(READ);
            } else {
                prepare(READ);
            }
            if (inputShut.get()) {
                return -1;
            }
            spend();
            long callDl = 0;
            for (;;) {
                long n;
                if (waitFirst) {
                    waitFirst = false;
                    n = -Errors.EAGAIN;
                } else if (completion) {
                    long rt = readTimeout;
                    if (callDl == 0 && rt != 0) {
                        callDl = after(rt);
                    }
                    NetpollOp op = rop();
                    beginCall(READ, callDl);
                    int st;
                    try {
                        st = op.recv(b, off, len, 0);
                    } finally {
                        endCall(READ, callDl);
                    }
                    if (st != PollDesc.OK) {
                        throw failure(opWait(st, READ, callDl), "Read timed out");
                    }
                    n = op.result();
                } else {
                    n = Sys.read(rerrno, sysfd, readSegment(b, off), len);
                    if (n > 0 && n < len && len <= MAX_RW && pd.shortReadDrains()) {
                        drained = true;
                    }
                }
                if (n > 0) {
                    return (int) n;
                }
                if (n == 0) {
                    return -1;
                }
                int e = (int) -n;
                if (e == Errors.EAGAIN) {
                    long rt = readTimeout;
                    if (callDl == 0 && rt != 0) {
                        callDl = after(rt);
                    }
                    int w = await(READ, callDl);
                    if (w != WAIT_OK) {
                        throw failure(w, "Read timed out");
                    }
                } else if (inputShut.get()) {
                    return -1; // shut while this read was under way (Windows: WSAESHUTDOWN)
                } else if (e != Errors.EINTR) {
                    throw Errors.exception(e, "read", null);
                }
            }
        } finally {
            if (rwunlock(true)) {
                destroy();
            }
        }
    }

    /**
     * Writes {@code b[off, off+len)}: all of it when {@code all} (Go: FD.Write, atomic with
     * respect to other writers), else at least one byte. Parks while the socket buffer is full.
     */
    public int write(byte[] b, int off, int len, boolean all) throws IOException {
        if (!rwlock(false)) {
            throw closed();
        }
        try {
            prepare(WRITE);
            spend();
            int done = 0;
            while (done < len) {
                long n;
                if (completion) {
                    NetpollOp op = wop();
                    int st = op.send(b, off + done, len - done, 0);
                    if (st != PollDesc.OK) {
                        throw failure(opWait(st, WRITE, 0), "Write timed out", done);
                    }
                    n = op.result();
                } else {
                    n = Sys.send(werrno, sysfd, writeSegment(b, off + done), len - done);
                }
                if (n > 0) {
                    done += (int) n;
                    if (!all) {
                        break;
                    }
                    continue;
                }
                int e = (int) -n;
                if (e == Errors.EAGAIN) {
                    int w = await(WRITE, 0);
                    if (w != WAIT_OK) {
                        throw failure(w, "Write timed out", done);
                    }
                } else if (n == 0) {
                    throw new SocketException("write returned 0 bytes");
                } else if (e != Errors.EINTR) {
                    throw Errors.exception(e, "write", null);
                }
            }
            return done;
        } finally {
            if (rwunlock(false)) {
                destroy();
            }
        }
    }

    /** {@code b} from {@code off} on as a heap segment for a read; read lock held. */
    private MemorySegment readSegment(byte[] b, int off) {
        if (b != rarray || off != roff) {
            rseg = MemorySegment.ofArray(b).asSlice(off);
            rarray = b.length <= SEGMENT_CACHE_MAX ? b : null;
            roff = off;
        }
        return rseg;
    }

    /** {@code b} from {@code off} on as a heap segment for a send; write lock held. */
    private MemorySegment writeSegment(byte[] b, int off) {
        if (b != warray || off != woff) {
            wseg = MemorySegment.ofArray(b).asSlice(off);
            warray = b.length <= SEGMENT_CACHE_MAX ? b : null;
            woff = off;
        }
        return wseg;
    }

    /** A rarely used syscall: its result (a descriptor, for dup), or -errno. */
    @FunctionalInterface
    private interface Cold {
        long call(Mem m);
    }

    /**
     * Runs {@code op} holding a reference (so the descriptor stays open) and the scratch
     * memory's monitor (no park inside); a negative result becomes the exception for
     * {@code name}.
     */
    private long cold(String name, Cold op) throws IOException {
        if (!incref()) {
            throw closed();
        }
        try {
            long r;
            synchronized (mem) {
                r = op.call(mem);
            }
            if (r < 0) {
                throw Errors.exception((int) -r, name, null);
            }
            return r;
        } finally {
            if (decref()) {
                destroy();
            }
        }
    }

    /** An independent descriptor for the same socket, registered on its own (dup(2)). */
    public FD dup() throws IOException {
        return adopt(cold("dup", m -> Sys.dup(m.cerrno, sysfd)), family, readTimeout, inputShut);
    }

    /** A new, registered FD for descriptor {@code nfd}; closes it if registration fails. */
    private static FD adopt(long nfd, int family, long readTimeout, AtomicBoolean inputShut)
            throws IOException {
        FD c = new FD(nfd, family, new Mem(), inputShut);
        c.readTimeout = readTimeout;
        try {
            c.init();
        } catch (IOException | RuntimeException | Error e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * shutdown(2) of the read ({@code input}) or write side. ENOTCONN, a connection already
     * gone (reset, or closed both ways), is success, as in the JDK: that side is shut already.
     */
    public void shutdown(boolean input) throws IOException {
        cold("shutdown", m -> {
            int r = Sys.shutdown(m.cerrno, sysfd, input ? Sys.SHUT_RD : Sys.SHUT_WR);
            return r == -Errors.ENOTCONN ? 0 : r;
        });
        if (input) {
            inputShut.set(true);
        }
    }

    /** Sets an integer socket option. */
    public void setOption(Option o, int value) throws IOException {
        cold("setsockopt " + o, m -> {
            m.intVal.set(ValueLayout.JAVA_INT, 0, value);
            return Sys.setsockopt(m.cerrno, sysfd, o.level, o.name, m.intVal, 4);
        });
    }

    /** Reads an integer socket option (every option here is 0 or positive). */
    public int getOption(Option o) throws IOException {
        return (int) cold("getsockopt " + o, m -> {
            int r = Sys.getsockopt(m.cerrno, sysfd, o.level, o.name, m.intVal, m.len);
            return r < 0 ? r : m.intVal.get(ValueLayout.JAVA_INT, 0);
        });
    }

    /**
     * Keep-alive timing in seconds: the first probe after {@code idle} without traffic, then
     * one every {@code interval}, and {@code count} unanswered ones (0: the system's number)
     * drop the connection. It does not turn SO_KEEPALIVE on, except on Windows, where one call
     * (SIO_KEEPALIVE_VALS) sets both times and turns it on, and the count is the system's.
     */
    public void setKeepAlive(int idle, int interval, int count) throws IOException {
        cold("setsockopt keep-alive", m -> Sys.setKeepAlive(m.cerrno, m.sa, sysfd, idle, interval, count));
    }

    /** The longest keep-alive idle time and interval this system takes, in seconds (Linux: 32,767). */
    public static final int MAX_KEEPALIVE = Sys.MAX_KEEPALIVE;
    /** The largest keep-alive probe count this system takes (Linux: 127). */
    public static final int MAX_KEEPALIVE_COUNT = Sys.MAX_KEEPALIVE_COUNT;
    /** Whether setting the keep-alive times turns keep-alive on (Windows' SIO_KEEPALIVE_VALS). */
    public static final boolean KEEPALIVE_TIMES_ENABLE = Sys.WINDOWS;

    /** The largest SO_LINGER time {@link #setLinger} sets, in seconds (the JDK's cap too). */
    public static final int MAX_LINGER = 65_535;

    /** SO_LINGER in seconds, at most {@link #MAX_LINGER}; negative turns it off. */
    public void setLinger(int seconds) throws IOException {
        int s = Math.min(seconds, MAX_LINGER);
        cold("setsockopt SO_LINGER", m -> Sys.setLinger(m.cerrno, m.lingerVal, sysfd, s));
    }

    /** SO_LINGER in seconds, -1 when off. */
    public int linger() throws IOException {
        // cold() keeps negative results for errno, so "off" travels as 0 and seconds as n + 1
        // (in long: a kernel may report up to Integer.MAX_VALUE, set by someone else).
        return (int) (cold("getsockopt SO_LINGER",
                m -> (long) Sys.getLinger(m.cerrno, m.lingerVal, m.len, sysfd) + 1) - 1);
    }

    /**
     * The bytes a read would return without waiting: those in the socket's receive queue
     * (FIONREAD); 0 once the input is shut down. Never waits, not even for a read in progress.
     */
    public int available() throws IOException {
        if (inputShut.get()) {
            return 0;
        }
        return (int) cold("ioctl FIONREAD", m -> Sys.available(m.cerrno, sysfd, m.intVal));
    }

    /**
     * The peer's address that accept reported with this connection (Go takes it from accept's
     * sockaddr too), or null: for a descriptor not made by {@link #accept}, on Windows
     * (AcceptEx), or when the kernel gave none; ask {@link #address} then.
     */
    public InetSocketAddress acceptedPeer() {
        return acceptedPeer;
    }

    /** The local ({@code peer} false) or remote address of the socket. */
    public InetSocketAddress address(boolean peer) throws IOException {
        InetSocketAddress[] out = new InetSocketAddress[1];
        cold(peer ? "getpeername" : "getsockname", m -> {
            int r = Sys.name(m.cerrno, sysfd, peer, m.sa, m.len);
            if (r >= 0) {
                out[0] = SockAddr.decode(m.sa);
            }
            return r;
        });
        return out[0];
    }

    /**
     * Sets the deadline of {@code modes} ({@link #READ}, {@link #WRITE} or both): a
     * {@link Sched#nanotime} value, 0 for none, -1 for already expired. It applies to calls
     * already waiting, as Go's SetDeadline.
     */
    public void setDeadline(long when, int modes) throws IOException {
        if (!incref()) {
            throw closed();
        }
        try {
            synchronized (this) {
                if ((modes & READ) != 0) {
                    rdeadline = when;
                    applyDeadline(READ);
                }
                if ((modes & WRITE) != 0) {
                    wdeadline = when;
                    applyDeadline(WRITE);
                }
                wakeThreads(modes);
            }
        } finally {
            if (decref()) {
                destroy();
            }
        }
    }

    /** Java's soTimeout: each read or accept waits at most {@code nanos} (0: forever). */
    public void setReadTimeout(long nanos) {
        readTimeout = nanos;
    }

    /** The soTimeout in nanoseconds, 0 for none. */
    public long readTimeout() {
        return readTimeout;
    }

    /** The one cleaner thread of io.panago.net, started on first need. */
    private static final class Finalizers {
        static final Cleaner CLEANER = Cleaner.create();
    }

    /**
     * Closes this descriptor once {@code owner} has become unreachable without closing it (Go
     * sets a finalizer on its netFD for the same purpose). The action holds this FD, never the
     * owner; {@link Cleaner.Cleanable#clean()} is the owner's close, so the registration goes
     * with it. A dup ({@link #dup}) is an FD of its own with an owner of its own.
     */
    public Cleaner.Cleanable closeWhenUnreachable(Object owner) {
        return Finalizers.CLEANER.register(owner, this::close);
    }

    /** True once {@link #close} has begun. */
    public boolean isClosed() {
        return closeStarted();
    }

    /**
     * Closes the descriptor (Go: FD.Close): waiters in other goroutines and threads fail at
     * once with "Socket closed"; returns when the descriptor is closed. Idempotent.
     */
    public void close() {
        if (increfAndClose()) {
            if (pd != null) {
                pd.evict();
            }
            synchronized (this) {
                wakeThreads(READ | WRITE);
            }
            if (decref()) {
                destroy();
            }
        }
        // Every caller, not only the first, returns once destroy() has closed the descriptor
        // (a second, concurrent close returned while it was still open): take the unit that
        // destroy() releases, and hand it on to the next.
        csema.acquire();
        csema.release();
    }

    /** The last reference is gone: unregister, close, release {@link #close}. */
    private void destroy() {
        if (rop != null) {
            rop.close(); // idle: every call waits for its operation's completion
        }
        if (wop != null) {
            wop.close();
        }
        if (pd != null) {
            pd.close();
        }
        synchronized (this) {
            synchronized (mem) {
                Sys.close(mem.cerrno, sysfd);
                if (rwake >= 0) {
                    Sys.close(mem.cerrno, rwake);
                }
                if (wwake >= 0) {
                    Sys.close(mem.cerrno, wwake);
                }
            }
            rwake = wwake = -2;
        }
        csema.release();
    }

    /** Go's pollDesc.prepare: fails fast when closing or past the deadline. */
    private void prepare(int mode) throws IOException {
        failFast(mode, pd.prepare(mode));
    }

    /** {@link #prepare} keeping a pending readiness notification (a read known to wait first). */
    private void check(int mode) throws IOException {
        failFast(mode, pd.check(mode));
    }

    private void failFast(int mode, int r) throws IOException {
        failFast(mode, r, mode == READ ? "Read timed out" : "Write timed out");
    }

    private void failFast(int mode, int r, String timeoutText) throws IOException {
        if (r == PollDesc.ERR_CLOSING) {
            throw closed();
        }
        long dl = mode == READ ? rdeadline : wdeadline;
        if (r == PollDesc.ERR_TIMEOUT || (dl != 0 && (dl == -1 || dl <= Sched.nanotime()))) {
            throw new SocketTimeoutException(timeoutText);
        }
    }

    private IOException failure(int wait, String timeoutText) {
        return failure(wait, timeoutText, 0);
    }

    /** The same, for a call that had moved {@code done} bytes before it failed. */
    private IOException failure(int wait, String timeoutText, int done) {
        if (wait == WAIT_CLOSING) {
            return closed();
        }
        SocketTimeoutException e = new SocketTimeoutException(timeoutText);
        e.bytesTransferred = done;
        return e;
    }

    /**
     * Counts a read or write against the budget and, when it is used up, yields the P once.
     * A goroutine whose socket always has data (a bulk transfer) would otherwise keep its P
     * for as long as the data comes, and every goroutine queued behind it would wait: with
     * the budget a light connection on the same P waits for at most {@link #BUDGET} calls.
     */
    private void spend() {
        if (BUDGET != 0 && ++streak >= BUDGET) {
            streak = 0;
            if (Go.inGoroutine()) {
                Sched.gosched();
            }
        }
    }

    /**
     * The I/O budget a {@code panago.net.budget} value asks for: a count of calls, 0 for none;
     * unset gives {@link #DEFAULT_BUDGET}, and so does anything else, with a warning.
     */
    static int budget(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_BUDGET;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        LOG.log(System.Logger.Level.WARNING,
                "panago.net.budget={0} is not a count of calls (0 or more); using {1}",
                value, DEFAULT_BUDGET);
        return DEFAULT_BUDGET;
    }

    /**
     * Waits for readiness in {@code mode}, bounded also by {@code callDl} (0: unbounded). A
     * goroutine parks on the poll descriptor. So does a virtual thread: it unmounts, as in a
     * JDK socket read, where poll(2) would pin its carrier, and a few such threads would leave
     * no carrier for any other virtual thread (nor for one that holds a reference a close
     * waits for). A platform thread blocks in poll(2), which needs no poller thread at all.
     * On Windows, where IOCP has no readiness and the only caller is the accept back-off,
     * every caller parks on the poll descriptor until the deadline ({@link PollDesc#waitDeadline}).
     */
    private int await(int mode, long callDl) throws IOException {
        streak = 0;
        return parks() ? pdWait(mode, callDl, true) : threadWait(mode, callDl, true);
    }

    /**
     * Whether the caller waits by parking on the poll descriptor (a goroutine, a virtual thread,
     * anyone on Windows) rather than in poll(2) (a platform thread); see {@link #await}.
     */
    private static boolean parks() {
        return Sys.WINDOWS || Go.inGoroutine() || Thread.currentThread().isVirtual();
    }

    /** The parked wait of {@link #await}; for readiness, or for the deadline and close only. */
    private int pdWait(int mode, long callDl, boolean readiness) {
        if (callDl != 0) {
            setCallDeadline(mode, callDl);
        }
        int r;
        try {
            r = Sys.WINDOWS || !readiness ? pd.waitDeadline(mode)
                    : mode == READ ? pd.waitRead() : pd.waitWrite();
        } finally {
            if (callDl != 0) {
                setCallDeadline(mode, 0);
            }
        }
        if (r == PollDesc.OK) {
            return WAIT_OK;
        }
        if (r == PollDesc.ERR_CLOSING) {
            return WAIT_CLOSING;
        }
        return callDl != 0 && !expired(mode == READ ? rdeadline : wdeadline)
                ? WAIT_CALL_TIMEOUT : WAIT_TIMEOUT;
    }

    /**
     * A thread's wait: poll(2) on the socket (unless {@code readiness} is false) and this
     * direction's wake-up eventfd, through which a close or a new deadline cuts it short. With
     * no descriptor free for that eventfd it polls in slices of {@link #NO_WAKE_FD_SLICE_MS}
     * and looks for those between them, as a JDK socket's read needs no descriptor either.
     * Threads stay on their thread, so a confined arena is safe here (unlike in a goroutine).
     */
    private int threadWait(int mode, long callDl, boolean readiness) throws IOException {
        int efd = wakeFd(mode);
        if (efd == WAKE_FD_CLOSING) {
            return WAIT_CLOSING;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(Sys.poll2Size(), 8);
            MemorySegment word = arena.allocate(8, 8);
            MemorySegment errno = arena.allocate(Sys.ERRNO_SIZE, 8);
            short events = mode == READ ? Sys.POLLIN : Sys.POLLOUT;
            for (;;) {
                if (closeStarted()) {
                    return WAIT_CLOSING;
                }
                long user = mode == READ ? rdeadline : wdeadline;
                if (expired(user)) {
                    return WAIT_TIMEOUT;
                }
                long dl = earliest(user, callDl);
                int millis = -1;
                if (dl != 0) {
                    long rem = dl - Sched.nanotime();
                    if (rem <= 0) {
                        return WAIT_CALL_TIMEOUT;
                    }
                    millis = (int) Math.min(Integer.MAX_VALUE, (rem + 999_999) / 1_000_000);
                }
                if (efd < 0) {
                    millis = millis < 0 ? NO_WAKE_FD_SLICE_MS : Math.min(millis, NO_WAKE_FD_SLICE_MS);
                }
                // poll(2) skips an entry whose descriptor is negative.
                int r = Sys.poll2(errno, fds, readiness ? sysfd : -1, events, Math.max(efd, -1), millis);
                if (r < 0) {
                    if (-r == Errors.EINTR) {
                        continue;
                    }
                    throw Errors.exception(-r, "poll", null);
                }
                if ((r & 2) != 0) {
                    if (closeStarted()) {
                        return WAIT_CLOSING;
                    }
                    Sys.drain(errno, word, efd);
                }
                if ((r & 1) != 0) {
                    return WAIT_OK;
                }
            }
        }
    }

    /**
     * This direction's wake-up eventfd, made on first need; {@link #WAKE_FD_CLOSING} if the FD
     * is closing, {@link #NO_WAKE_FD} if no descriptor is free for it (made on a later wait).
     */
    private synchronized int wakeFd(int mode) throws IOException {
        if (closeStarted()) {
            return WAKE_FD_CLOSING;
        }
        int efd = mode == READ ? rwake : wwake;
        if (efd >= 0) {
            return efd;
        }
        synchronized (mem) {
            efd = Sys.eventfd(mem.cerrno);
        }
        if (efd < 0) {
            int e = -efd;
            if (e == EMFILE || e == Errors.ENFILE || e == Errors.ENOMEM) {
                return NO_WAKE_FD;
            }
            throw Errors.exception(e, "eventfd", null);
        }
        if (mode == READ) {
            rwake = efd;
        } else {
            wwake = efd;
        }
        return efd;
    }

    /** Signals the wake-up eventfds of {@code modes}; caller holds {@code this}. */
    private void wakeThreads(int modes) {
        boolean r = (modes & READ) != 0 && rwake >= 0, w = (modes & WRITE) != 0 && wwake >= 0;
        if (!r && !w) {
            return;
        }
        synchronized (mem) {
            if (r) {
                Sys.signal(mem.cerrno, mem.word, rwake);
            }
            if (w) {
                Sys.signal(mem.cerrno, mem.word, wwake);
            }
        }
    }

    private void setCallDeadline(int mode, long dl) {
        synchronized (this) {
            if (mode == READ) {
                rcall = dl;
            } else {
                wcall = dl;
            }
            applyDeadline(mode);
        }
    }

    /** Gives the poll descriptor the earlier of the user and the call deadline; holds this. */
    private void applyDeadline(int mode) {
        if (pd != null) {
            pd.setDeadline(mode == READ ? earliest(rdeadline, rcall) : earliest(wdeadline, wcall),
                    mode);
        }
    }

    // ------------------------------------------------------------------ completion backends

    /** The most one operation moves; Go's io.Copy buffer is 32 KiB. */
    private static final int OP_BYTES = 32 * 1024;

    private NetpollOp rop() {
        NetpollOp op = rop;
        return op != null ? op : (rop = NetpollOp.open(pd, READ, OP_BYTES));
    }

    private NetpollOp wop() {
        NetpollOp op = wop;
        return op != null ? op : (wop = NetpollOp.open(pd, WRITE, OP_BYTES));
    }

    /** An operation's wait status as {@link #pdWait} reports a readiness wait's. */
    private int opWait(int status, int mode, long callDl) {
        if (status == PollDesc.ERR_CLOSING) {
            return WAIT_CLOSING;
        }
        return callDl != 0 && !expired(mode == READ ? rdeadline : wdeadline)
                ? WAIT_CALL_TIMEOUT : WAIT_TIMEOUT;
    }

    /** Gives an operation of {@code mode} the call deadline {@code callDl} (0: none) too. */
    private void beginCall(int mode, long callDl) {
        if (callDl != 0) {
            setCallDeadline(mode, callDl);
        }
    }

    private void endCall(int mode, long callDl) {
        if (callDl != 0) {
            setCallDeadline(mode, 0);
        }
    }

    /**
     * {@link #connect} as a connect operation; {@code deadline} bounds the handshake. On
     * Windows that is {@code ConnectEx}, as in Go's fd_windows.go: the socket is bound to the
     * wildcard address first (ConnectEx wants a bound socket) and takes its connected state
     * afterwards ({@code SO_UPDATE_CONNECT_CONTEXT}), without which shutdown and getpeername
     * fail on it.
     */
    private void opConnect(InetSocketAddress addr, long deadline) throws IOException {
        // Encoded off the shared scratch: the operation parks, which must not hold its monitor.
        MemorySegment sa = MemorySegment.ofArray(new long[(int) (SockAddr.MAX_SIZE / 8)]);
        if (Sys.WINDOWS) {
            InetSocketAddress any = new InetSocketAddress(family == SockAddr.AF_INET6 ? ANY6 : ANY4, 0);
            int r;
            synchronized (mem) {
                mem.sa.fill((byte) 0);
                r = Sys.bind(werrno, sysfd, mem.sa, SockAddr.encode(mem.sa, any, family));
            }
            if (r < 0) {
                throw Errors.exception(-r, "connect", SockAddr.format(addr));
            }
        }
        int len = SockAddr.encode(sa, addr, family);
        NetpollOp op = wop();
        int st;
        beginCall(WRITE, deadline);
        try {
            st = op.connect(sa, len);
        } finally {
            endCall(WRITE, deadline);
        }
        if (st == PollDesc.ERR_CLOSING) {
            throw closed();
        }
        if (st != PollDesc.OK) {
            throw new SocketTimeoutException("Connect timed out: " + SockAddr.format(addr));
        }
        long r = op.result();
        if (r < 0 && -r != Errors.EISCONN) {
            throw Errors.exception((int) -r, "connect", SockAddr.format(addr));
        }
        if (Sys.WINDOWS) {
            int c = Sys.connectContext(werrno, sysfd);
            if (c < 0) {
                throw Errors.exception(-c, "connect", SockAddr.format(addr));
            }
        }
    }

    /** The wildcard addresses a socket binds to before {@code ConnectEx}. */
    private static final InetAddress ANY4 = InetAddress.ofLiteral("0.0.0.0"), ANY6 = InetAddress.ofLiteral("::");

    private static boolean expired(long dl) {
        return dl == -1 || (dl != 0 && dl <= Sched.nanotime());
    }

    private static long earliest(long a, long b) {
        if (a == 0) {
            return b;
        }
        if (b == 0) {
            return a;
        }
        if (a == -1 || b == -1) {
            return -1;
        }
        return Math.min(a, b);
    }

    /** {@code nanos} from now on the runtime clock, saturating. */
    public static long after(long nanos) {
        long now = Sched.nanotime();
        long t = now + nanos;
        return t < now ? Long.MAX_VALUE : t;
    }

    @Override
    public String toString() {
        return "FD[" + sysfd + (isClosed() ? ", closed]" : "]");
    }
}
