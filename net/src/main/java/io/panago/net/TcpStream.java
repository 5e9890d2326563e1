package io.panago.net;

import io.panago.Chan;
import io.panago.context.AfterFunc;
import io.panago.context.Context;
import io.panago.context.ContextError;
import io.panago.net.poll.FD;
import io.panago.net.poll.SockAddr;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A goroutine-aware TCP connection (Go's {@code net.TCPConn}).
 *
 * <p>Every call that would block parks the calling goroutine, never its carrier thread, until
 * the socket is ready: reads and writes go straight between the kernel and the caller's
 * {@code byte[]} with a non-blocking syscall, and {@code EAGAIN} parks on the runtime's
 * netpoll. Outside a goroutine the same calls work too: a virtual thread parks (it unmounts
 * from its carrier, as in a JDK socket call) and a platform thread blocks in poll(2).
 *
 * <p>One goroutine may read while another writes; concurrent readers (or writers) take turns.
 * {@link #close()} from any goroutine or thread makes every call waiting on this stream fail
 * at once with a {@link SocketException} ("Socket closed"); later calls fail the same way.
 * Failures are the JDK's exceptions with the errno in the message: {@link SocketException}
 * "Connection reset (ECONNRESET)" or "Broken pipe (EPIPE)", {@link java.net.ConnectException}
 * "Connection refused (ECONNREFUSED)", and {@link SocketTimeoutException} when a deadline or
 * the soTimeout passes; the stream stays usable after a timeout once the deadline is moved.
 *
 * <p>Like Go, a new stream has {@code TCP_NODELAY} on, and keep-alive on with a probe after
 * 15 s idle, then every 15 s, 9 unanswered ones dropping the connection: a read waiting on a
 * peer that vanished without a reset fails after about 2.5 minutes ({@link #setKeepAlive},
 * {@link #setKeepAlivePeriod}). A context bounds a connect with
 * {@link #connect(Context, String)}, Go's {@code DialContext}.
 *
 * <p>Unlike Go, a goroutine whose reads and writes keep completing without a wait yields its P
 * after 16 of them, so the other goroutines on that P (a light connection beside a bulk one)
 * are not held up for as long as the data comes; {@code -Dpanago.net.budget=N} changes the
 * count, and 0 turns it off.
 *
 * <p>A stream that becomes unreachable without being closed has its descriptor closed by a
 * {@link java.lang.ref.Cleaner} (Go closes an unreachable netFD from its finalizer); each
 * {@link #tryClone} has its own. The calls that may wait keep the stream reachable until they
 * return, so a goroutine parked in one is never cut off by the cleaner. Closing explicitly is
 * still the rule: the cleaner runs only after a garbage collection.
 *
 * <pre>{@code
 * Go.run(() -> {
 *     try (TcpStream s = TcpStream.connect("127.0.0.1:8080")) {
 *         s.writeAll("ping".getBytes());
 *         byte[] buf = new byte[4];
 *         s.readFully(buf);
 *     }
 *     return null;
 * });
 * }</pre>
 */
public final class TcpStream implements AutoCloseable {
    private final FD fd;
    private final InputStream in = new In();
    private final OutputStream out = new Out();
    private volatile InetSocketAddress local, peer;
    /** Closes {@link #fd} if this stream is dropped unclosed; its clean() is {@link #close}. */
    private final Cleaner.Cleanable closer;

    /** Go's defaultTCPKeepAliveIdle and defaultTCPKeepAliveInterval, in seconds. */
    static final int KEEPALIVE_SECONDS = 15;
    /** Go 1.23's defaultTCPKeepAliveCount. */
    static final int KEEPALIVE_PROBES = 9;

    /**
     * A stream over {@code fd}; a {@code fresh} connection (connected or accepted, not a
     * clone, which shares its options) gets Go's defaults first.
     */
    private TcpStream(FD fd, boolean fresh) {
        this.fd = fd;
        if (fresh) {
            defaults(fd);
        }
        closer = fd.closeWhenUnreachable(this);
    }

    /**
     * Go's newTCPConn and its keep-alive defaults: TCP_NODELAY on, and keep-alive on with a
     * probe after 15 s idle, then every 15 s, 9 unanswered dropping the connection, so that a
     * peer that vanished without a reset (its host or the path to it gone) ends a read that
     * waits on it after about 2.5 minutes instead of never. Errors are ignored, as Go does:
     * macOS refuses every option on a connection the peer reset after accept or connect
     * completed; the stream is still handed over, and its first read or write reports the reset.
     */
    private static void defaults(FD fd) {
        try {
            fd.setOption(FD.Option.TCP_NODELAY, 1);
            fd.setOption(FD.Option.SO_KEEPALIVE, 1);
            fd.setKeepAlive(KEEPALIVE_SECONDS, KEEPALIVE_SECONDS, KEEPALIVE_PROBES);
        } catch (IOException e) {
            // as above
        }
    }

    /**
     * Connects to {@code address} ({@code "host:port"}, {@code "[v6]:port"}); a host name is
     * resolved off the P and its addresses are tried in turn, as in Go: if it has both IPv4
     * and IPv6 ones, those of the other family than the first are tried too, in a race that
     * starts 300 ms later or once the first family's have all failed, and the first connection
     * made wins (Happy Eyeballs; a broken IPv6 path costs 300 ms, not a connect timeout). An
     * empty host, or the
     * unspecified {@code 0.0.0.0} or {@code ::}, stands for the local host (its loopback), as
     * in Go, on every OS.
     *
     * @param address the {@code "host:port"} to connect to
     * @return the connected stream
     * @throws java.net.UnknownHostException if the host name does not resolve
     * @throws IOException the first failure if no address takes the connection, such as
     *     {@link java.net.ConnectException} "Connection refused (ECONNREFUSED)"
     */
    public static TcpStream connect(String address) throws IOException {
        return dial(null, Addresses.resolve(address, InetAddress.getLoopbackAddress()), 0);
    }

    /**
     * Connects to {@code address} as {@link #connect(String)} does, giving up when {@code ctx}
     * is done, Go's {@code Dialer.DialContext}: its deadline bounds the whole dial (each
     * resolved address gets a share, as with a timeout), and its cancellation ends a connect
     * under way at once. Once connected, the stream no longer depends on {@code ctx}. Name
     * resolution is not cut short; {@code ctx} is checked before and after it.
     *
     * @param ctx the context that bounds the connect
     * @param address the {@code "host:port"} to connect to
     * @return the connected stream
     * @throws SocketTimeoutException if {@code ctx}'s deadline passed first; its cause is
     *     {@link Context#cause(Context)}
     * @throws InterruptedIOException "Connect canceled" if {@code ctx} was cancelled first;
     *     its cause is {@link Context#cause(Context)}
     * @throws java.net.UnknownHostException if the host name does not resolve
     * @throws IOException the first failure if no address takes the connection, such as
     *     {@link java.net.ConnectException} "Connection refused (ECONNREFUSED)"
     */
    public static TcpStream connect(Context ctx, String address) throws IOException {
        Objects.requireNonNull(ctx, "ctx");
        if (ctx.err() != null) {
            throw ended(ctx, address);
        }
        return dial(ctx, Addresses.resolve(address, InetAddress.getLoopbackAddress()), nanotime(ctx));
    }

    /**
     * {@link #connect(Context, String)} to an {@link InetSocketAddress}, resolved or not.
     *
     * @param ctx the context that bounds the connect
     * @param address the address to connect to
     * @return the connected stream
     * @throws SocketTimeoutException if {@code ctx}'s deadline passed first; its cause is
     *     {@link Context#cause(Context)}
     * @throws InterruptedIOException "Connect canceled" if {@code ctx} was cancelled first;
     *     its cause is {@link Context#cause(Context)}
     * @throws java.net.UnknownHostException if an unresolved address's host does not resolve
     * @throws IOException the first failure if no address takes the connection, such as
     *     {@link java.net.ConnectException} "Connection refused (ECONNREFUSED)"
     */
    public static TcpStream connect(Context ctx, SocketAddress address) throws IOException {
        Objects.requireNonNull(ctx, "ctx");
        if (ctx.err() != null) {
            throw ended(ctx, String.valueOf(address));
        }
        return dial(ctx, Addresses.resolve(address, InetAddress.getLoopbackAddress()), nanotime(ctx));
    }

    /**
     * Like {@link #connect(String)}, giving up after {@code timeout} in all
     * ({@link SocketTimeoutException}); {@link Duration#ZERO} waits as long as the kernel does.
     * As in Go's {@code DialTimeout}, the name lookup counts against the timeout; the JDK's
     * resolver cannot be cut short, so a lookup slower than the whole timeout ends in the
     * {@link SocketTimeoutException} when it returns.
     *
     * @param address the {@code "host:port"} to connect to
     * @param timeout the time allowed in all; {@link Duration#ZERO} for no limit
     * @return the connected stream
     * @throws SocketTimeoutException if the timeout passed first
     * @throws java.net.UnknownHostException if the host name does not resolve
     * @throws IOException the first failure if no address takes the connection, such as
     *     {@link java.net.ConnectException} "Connection refused (ECONNREFUSED)"
     */
    public static TcpStream connect(String address, Duration timeout) throws IOException {
        checkTimeout(timeout);
        long deadline = deadline(timeout); // before the lookup, which it bounds too
        return dial(null, Addresses.resolve(address, InetAddress.getLoopbackAddress()), deadline);
    }

    /**
     * Connects to {@code address}, an {@link InetSocketAddress}, resolved or not.
     *
     * @param address the address to connect to
     * @return the connected stream
     * @throws java.net.UnknownHostException if an unresolved address's host does not resolve
     * @throws IOException the first failure if no address takes the connection, such as
     *     {@link java.net.ConnectException} "Connection refused (ECONNREFUSED)"
     */
    public static TcpStream connect(SocketAddress address) throws IOException {
        return dial(null, Addresses.resolve(address, InetAddress.getLoopbackAddress()), 0);
    }

    /**
     * Connects to {@code address}, giving up after {@code timeout} (ZERO: no limit), the lookup
     * of an unresolved address included, as in {@link #connect(String, Duration)}.
     *
     * @param address the address to connect to
     * @param timeout the time allowed in all; {@link Duration#ZERO} for no limit
     * @return the connected stream
     * @throws SocketTimeoutException if the timeout passed first
     * @throws java.net.UnknownHostException if an unresolved address's host does not resolve
     * @throws IOException the first failure if no address takes the connection, such as
     *     {@link java.net.ConnectException} "Connection refused (ECONNREFUSED)"
     */
    public static TcpStream connect(SocketAddress address, Duration timeout) throws IOException {
        checkTimeout(timeout);
        long deadline = deadline(timeout); // before the lookup, which it bounds too
        return dial(null, Addresses.resolve(address, InetAddress.getLoopbackAddress()), deadline);
    }

    private static long deadline(Duration timeout) {
        return timeout.isZero() ? 0 : FD.after(saturatedNanos(timeout));
    }

    private static void checkTimeout(Duration timeout) {
        if (Objects.requireNonNull(timeout, "timeout").isNegative()) {
            throw new IllegalArgumentException("negative timeout " + timeout);
        }
    }

    /**
     * Dials the resolved {@code addrs} as Go's {@code Dialer} does: those of the first one's
     * family in turn, and, if there are addresses of the other family, those in turn too, raced
     * against the first after a short delay (Happy Eyeballs, see {@link DialParallel}).
     */
    private static TcpStream dial(Context ctx, List<InetSocketAddress> addrs, long deadline)
            throws IOException {
        return DialParallel.dial(ctx, addrs, deadline, DialParallel.FALLBACK_DELAY_NANOS);
    }

    /**
     * Tries each address in turn, as Go's dialSerial: with a deadline (nanotime, 0 for none)
     * each attempt gets an equal share of what is left, but at least 2 s when that much is
     * left (partialDeadline); a {@code deadline} that comes with {@code ctx} must be ctx's own.
     * The first failure is thrown, with the later ones suppressed;
     * once {@code ctx} (null for none) is done, its error is, with the earlier ones suppressed.
     */
    static TcpStream dialSerial(Context ctx, List<InetSocketAddress> addrs, long deadline)
            throws IOException {
        IOException first = null;
        for (int i = 0; i < addrs.size(); i++) {
            if (ctx != null && ctx.err() != null) {
                throw suppressing(ended(ctx, SockAddr.format(addrs.get(i))), first);
            }
            long dl = deadline;
            if (deadline != 0) {
                long left = deadline - io.panago.runtime.Sched.nanotime();
                if (left <= 0) {
                    break;
                }
                long share = left / (addrs.size() - i);
                long sane = 2_000_000_000L;
                long part = share >= sane ? share : Math.min(left, sane);
                // An attempt given all that is left, with ctx's own deadline, is ended by ctx's
                // timer alone: a socket deadline due at the same moment could fire first and
                // throw without ctx's cause.
                dl = part < left ? FD.after(part) : ctx != null && ctx.deadline().isPresent() ? 0 : deadline;
            }
            try {
                return dialOne(ctx, addrs.get(i), dl);
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first == null) {
            StringBuilder all = new StringBuilder();
            for (InetSocketAddress a : addrs) {
                all.append(all.isEmpty() ? "" : ", ").append(SockAddr.format(a));
            }
            first = new SocketTimeoutException("Connect timed out: " + all);
        }
        throw first;
    }

    /**
     * One connection attempt. Linux may connect a socket to itself when the target is a free
     * local port in the ephemeral range; like Go (selfConnect), that is dropped and retried.
     */
    private static TcpStream dialOne(Context ctx, InetSocketAddress addr, long deadline) throws IOException {
        addr = localIfUnspecified(addr);
        for (int attempt = 0; ; attempt++) {
            FD fd = ctx == null || ctx.done() == Chan.<Void>nil()
                    ? FD.dial(addr, deadline) : dialUntilDone(ctx, addr, deadline);
            InetSocketAddress l, p;
            try {
                l = fd.address(false);
                p = peerOrDialled(fd, addr);
            } catch (IOException | RuntimeException | Error e) {
                fd.close();
                throw e;
            }
            if (attempt < 2 && l.equals(p)) {
                fd.close();
                continue;
            }
            return of(fd, l, p);
        }
    }

    /**
     * One connect that {@code ctx} ends when it is done, as Go's netFD.connect: a goroutine
     * started by the context sets the socket's write deadline in the past, which ends the
     * wait; if that happened at all, even after the handshake, the dial fails with the
     * context's error (a connection whose deadline was spoiled is not handed out).
     */
    private static FD dialUntilDone(Context ctx, InetSocketAddress addr, long deadline) throws IOException {
        Interrupter cut = new Interrupter();
        AfterFunc watch = Context.afterFunc(ctx, cut);
        FD fd;
        try {
            fd = FD.dial(addr, deadline, cut);
        } catch (IOException e) {
            if (cut.fired()) {
                throw suppressing(ended(ctx, SockAddr.format(addr)), e);
            }
            throw e;
        } finally {
            watch.stop();
        }
        if (!cut.finish()) {
            fd.close();
            throw ended(ctx, SockAddr.format(addr));
        }
        return fd;
    }

    /** The failure of a dial that {@code ctx} ended, which it has: Go's mapErr. */
    private static InterruptedIOException ended(Context ctx, String target) {
        ContextError err = ctx.err();
        InterruptedIOException e = err != null && err.isTimeout()
                ? new SocketTimeoutException("Connect timed out: " + target)
                : new InterruptedIOException("Connect canceled: " + target);
        e.initCause(Context.cause(ctx));
        return e;
    }

    private static <E extends IOException> E suppressing(E e, IOException earlier) {
        if (earlier != null) {
            e.addSuppressed(earlier);
        }
        return e;
    }

    /** {@code ctx}'s deadline on the runtime clock, 0 for none. */
    private static long nanotime(Context ctx) {
        return nanotime(ctx.deadline().orElse(null));
    }

    /**
     * Go's DialContext interrupter: when the context is done ({@link #run}, from its
     * after-function) it makes the connect's wait expire, unless the connect finished first
     * ({@link #finish}). Whichever of the context and the socket's creation ({@link #accept})
     * comes second sets the deadline, so a cancellation never misses the socket.
     */
    private static final class Interrupter implements Runnable, Consumer<FD> {
        private static final int CONNECTING = 0, FIRED = 1, FINISHED = 2;
        private final AtomicInteger state = new AtomicInteger(CONNECTING);
        private volatile FD fd;

        @Override
        public void run() {
            if (state.compareAndSet(CONNECTING, FIRED)) {
                expire(fd);
            }
        }

        @Override
        public void accept(FD f) {
            fd = f;
            if (state.get() == FIRED) {
                expire(f);
            }
        }

        /** True if the connect finished before the context cut it short. */
        boolean finish() {
            return state.compareAndSet(CONNECTING, FINISHED);
        }

        boolean fired() {
            return state.get() == FIRED;
        }

        private static void expire(FD f) {
            if (f != null) {
                try {
                    f.setDeadline(-1, FD.WRITE);
                } catch (IOException closed) {
                    // the dial failed and closed it already
                }
            }
        }
    }

    /**
     * {@code addr}, or the loopback address of its family if it is the unspecified 0.0.0.0 or
     * ::, so that dialling a wildcard (a wildcard listener's own address) reaches the local
     * host on every OS, as Go's dial assumes: Linux and macOS connect to the local host, but
     * Windows refuses the unspecified address (WSAEADDRNOTAVAIL), where Go maps it to loopback.
     */
    private static InetSocketAddress localIfUnspecified(InetSocketAddress addr) {
        InetAddress a = addr.getAddress();
        if (a == null || !a.isAnyLocalAddress()) {
            return addr;
        }
        return new InetSocketAddress(a instanceof Inet6Address ? LOOPBACK6 : LOOPBACK4, addr.getPort());
    }

    private static final InetAddress LOOPBACK4 = InetAddress.ofLiteral("127.0.0.1");
    private static final InetAddress LOOPBACK6 = InetAddress.ofLiteral("::1");

    /**
     * The connected peer's address; the dialled one if the peer reset the connection right
     * after the handshake (getpeername: ENOTCONN), as Go does: the first read or write then
     * reports the reset, instead of connect failing with an error about getpeername.
     */
    private static InetSocketAddress peerOrDialled(FD fd, InetSocketAddress dialled) {
        try {
            return fd.address(true);
        } catch (IOException gone) {
            return dialled;
        }
    }

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException overflow) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /**
     * Reads up to {@code len} bytes into {@code b[off..off+len)}, waiting until at least one
     * byte is there; returns the count, 0 if {@code len} is 0 (at once, even past the read
     * deadline, as Go's Read), or -1 at end of stream.
     *
     * @param b the buffer to read into
     * @param off where in {@code b} the bytes go
     * @param len the most bytes to read
     * @return the number of bytes read, or -1 at end of stream
     * @throws IndexOutOfBoundsException if {@code off}/{@code len} do not fit {@code b}
     * @throws SocketTimeoutException if the read deadline or soTimeout passed
     * @throws SocketException if the stream is closed or the connection was reset
     */
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        try {
            return fd.read(b, off, len);
        } finally {
            Reference.reachabilityFence(this); // see the class comment: no cleaning while parked
        }
    }

    /**
     * {@code read(b, 0, b.length)}.
     *
     * @param b the buffer to read into
     * @return the number of bytes read, or -1 at end of stream
     * @throws SocketTimeoutException if the read deadline or soTimeout passed
     * @throws SocketException if the stream is closed or the connection was reset
     */
    public int read(byte[] b) throws IOException {
        return read(b, 0, b.length);
    }

    /**
     * Reads exactly {@code b.length} bytes, or throws {@link EOFException}.
     *
     * @param b the buffer to fill
     * @throws EOFException if the stream ends first
     * @throws SocketTimeoutException if the read deadline or soTimeout passed
     * @throws SocketException if the stream is closed or the connection was reset
     */
    public void readFully(byte[] b) throws IOException {
        readFully(b, 0, b.length);
    }

    /**
     * Reads exactly {@code len} bytes into {@code b[off..]}, or throws {@link EOFException}.
     *
     * @param b the buffer to read into
     * @param off where in {@code b} the bytes go
     * @param len how many bytes to read
     * @throws EOFException if the stream ends first
     * @throws SocketTimeoutException if the read deadline or soTimeout passed
     * @throws SocketException if the stream is closed or the connection was reset
     */
    public void readFully(byte[] b, int off, int len) throws IOException {
        int n = readNBytes(b, off, len);
        if (n < len) {
            throw new EOFException("end of stream after " + n + " of " + len + " bytes");
        }
    }

    /**
     * Reads until {@code len} bytes are in or the stream ends; returns how many arrived
     * (as {@link InputStream#readNBytes(byte[], int, int)}). A deadline that expires part-way
     * throws {@link SocketTimeoutException} with the bytes already read in
     * {@code bytesTransferred} (Go's {@code io.ReadFull} returns that count with the error).
     *
     * @param b the buffer to read into
     * @param off where in {@code b} the bytes go
     * @param len how many bytes to read
     * @return the number of bytes read, less than {@code len} only at end of stream
     * @throws SocketTimeoutException if the read deadline or soTimeout passed
     * @throws SocketException if the stream is closed or the connection was reset
     */
    public int readNBytes(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        int done = 0;
        while (done < len) {
            int n;
            try {
                n = read(b, off + done, len - done);
            } catch (SocketTimeoutException e) {
                e.bytesTransferred = done;
                throw e;
            }
            if (n < 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    /**
     * Writes some of {@code b[off..off+len)}: at least one byte unless {@code len} is 0,
     * waiting while the socket buffer is full; returns the count. {@link #writeAll} writes
     * everything.
     *
     * @param b the bytes to write
     * @param off where in {@code b} they start
     * @param len how many of them to write
     * @return the number of bytes written
     * @throws IndexOutOfBoundsException if {@code off}/{@code len} do not fit {@code b}
     * @throws SocketTimeoutException if the write deadline passed
     * @throws SocketException if the stream is closed or the connection was reset
     *     ("Connection reset", "Broken pipe")
     */
    public int write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        try {
            return fd.write(b, off, len, false);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * {@code write(b, 0, b.length)}.
     *
     * @param b the bytes to write
     * @return the number of bytes written
     * @throws SocketTimeoutException if the write deadline passed
     * @throws SocketException if the stream is closed or the connection was reset
     *     ("Connection reset", "Broken pipe")
     */
    public int write(byte[] b) throws IOException {
        return write(b, 0, b.length);
    }

    /**
     * Writes all of {@code b[off..off+len)}, waiting as needed (Go's Write); concurrent
     * {@code writeAll}s on one stream do not interleave. A deadline that expires part-way
     * throws {@link SocketTimeoutException} with the bytes already written in
     * {@code bytesTransferred} (Go's Write returns that count with the error).
     *
     * @param b the bytes to write
     * @param off where in {@code b} they start
     * @param len how many of them to write
     * @throws SocketTimeoutException if the write deadline passed
     * @throws SocketException if the stream is closed or the connection was reset
     *     ("Connection reset", "Broken pipe")
     */
    public void writeAll(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        try {
            fd.write(b, off, len, true);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * {@code writeAll(b, 0, b.length)}.
     *
     * @param b the bytes to write
     * @throws SocketTimeoutException if the write deadline passed
     * @throws SocketException if the stream is closed or the connection was reset
     *     ("Connection reset", "Broken pipe")
     */
    public void writeAll(byte[] b) throws IOException {
        writeAll(b, 0, b.length);
    }

    /**
     * This stream as an {@link InputStream} (for {@code BufferedReader},
     * {@code DataInputStream}, {@code transferTo}...). Closing it closes the stream. Its
     * {@code available()} counts the bytes already received (so {@code BufferedReader.ready()}
     * works) and, as a JDK socket stream's, throws {@link SocketException} ("Socket closed")
     * once the stream is closed.
     *
     * <p>The JDK's buffering wrappers ({@code BufferedReader}, {@code BufferedInputStream},
     * and on the other side {@code BufferedWriter}, {@code PrintWriter},
     * {@code BufferedOutputStream}) hold their {@code synchronized} monitor while they wait
     * in this stream, which is a monitor held across a park (see {@link io.panago.Go}). A
     * wrapper used by one goroutine at a time is fine; one that several goroutines use at
     * once, so that they contend for its monitor, must be guarded by an
     * {@link io.panago.sync.Mutex}: else its monitor can be left owned by a carrier thread,
     * and the goroutines hang on it (or two of them enter it together).
     *
     * @return the input view, the same on every call
     */
    public InputStream inputStream() {
        return in;
    }

    /**
     * This stream as an {@link OutputStream} whose writes are {@link #writeAll}s. Closing it
     * closes the stream. As with a JDK socket's streams, a zero-length read or write through
     * either view returns at once, even on a closed stream (the stream's own {@link #read} and
     * {@link #write} fail there, as Go's do). A {@code PrintWriter} or other buffering
     * wrapper shared by goroutines needs an {@link io.panago.sync.Mutex} around its use (see
     * {@link #inputStream()}).
     *
     * @return the output view, the same on every call
     */
    public OutputStream outputStream() {
        return out;
    }

    /**
     * A second, independent stream on the same connection (a {@code dup(2)} of the socket):
     * one goroutine can read this one while another writes the clone. Each has its own
     * deadlines and closes on its own; the connection ends when both are closed (or on
     * {@link #shutdownOutput}, which acts on the connection, as {@link #shutdownInput} does).
     *
     * @return the new stream
     * @throws IOException if this stream is closed or its descriptor cannot be duplicated
     */
    public TcpStream tryClone() throws IOException {
        FD dup = fd.dup();
        try {
            return new TcpStream(dup, false).at(local, peer);
        } catch (RuntimeException | Error e) {
            dup.close();
            throw e;
        }
    }

    /**
     * A stream owning {@code fd}, with the addresses already known (null: ask when needed);
     * closes {@code fd} if the stream cannot be made.
     */
    static TcpStream of(FD fd, InetSocketAddress local, InetSocketAddress peer) throws IOException {
        try {
            return new TcpStream(fd, true).at(local, peer);
        } catch (RuntimeException | Error e) {
            fd.close();
            throw e;
        }
    }

    /** The descriptor; for tests that read options the API does not return. */
    FD fd() {
        return fd;
    }

    private TcpStream at(InetSocketAddress local, InetSocketAddress peer) {
        this.local = local;
        this.peer = peer;
        return this;
    }

    /**
     * Half-closes the read side of the connection: further reads see end of stream, on this
     * stream and on every {@link #tryClone} of it, on every OS (whatever the kernel does with
     * data that arrives later). On a connection already gone (reset, or closed both ways) it
     * succeeds, as the JDK's does: that side is shut already.
     *
     * @throws SocketException if the stream is closed or shutdown(2) fails
     */
    public void shutdownInput() throws IOException {
        fd.shutdown(true);
    }

    /**
     * Half-closes the write side: the peer reads end of stream; reading here goes on. On a
     * connection already gone it succeeds, as {@link #shutdownInput} does.
     *
     * @throws SocketException if the stream is closed or shutdown(2) fails
     */
    public void shutdownOutput() throws IOException {
        fd.shutdown(false);
    }

    /**
     * Closes the stream; goroutines and threads waiting in it fail at once. Returns when the
     * descriptor is closed. Calling it again does nothing.
     */
    @Override
    public void close() {
        closer.clean(); // fd.close() unless the cleaner ran it before
        fd.close(); // idempotent; returns once the descriptor is closed, whoever closes it
    }

    /**
     * True once {@link #close} was called.
     *
     * @return true if the stream is closed
     */
    public boolean isClosed() {
        return fd.isClosed();
    }

    /**
     * The local address and port. Known from the connect or accept on, so it is still
     * returned after {@link #close} (as a JDK socket's local endpoint and Go's LocalAddr are).
     *
     * @return the local address and port
     * @throws SocketException if accept could not tell it and the kernel cannot tell it now
     *     (the stream is closed)
     */
    public InetSocketAddress localAddress() throws IOException {
        InetSocketAddress a = local;
        if (a == null) {
            local = a = fd.address(false);
        }
        return a;
    }

    /**
     * The remote address and port. Known from the connect or accept on, so it is still
     * returned after {@link #close} (as a JDK socket's remote endpoint and Go's RemoteAddr are).
     *
     * @return the remote address and port
     * @throws SocketException if accept could not tell it and the kernel cannot tell it now
     *     (the stream is closed, or ENOTCONN once the peer reset)
     */
    public InetSocketAddress peerAddress() throws IOException {
        InetSocketAddress a = peer;
        if (a == null) {
            peer = a = fd.address(true);
        }
        return a;
    }

    /**
     * TCP_NODELAY: on (the default here, as in Go) sends small writes at once.
     *
     * @param on true to send small writes at once, false to let the kernel coalesce them
     * @throws SocketException if the stream is closed or the system call fails
     */
    public void setNoDelay(boolean on) throws IOException {
        fd.setOption(FD.Option.TCP_NODELAY, on ? 1 : 0);
    }

    /**
     * Whether TCP_NODELAY is on.
     *
     * @return true if TCP_NODELAY is on
     * @throws SocketException if the stream is closed or the system call fails
     */
    public boolean noDelay() throws IOException {
        return fd.getOption(FD.Option.TCP_NODELAY) != 0;
    }

    /**
     * SO_KEEPALIVE: probe an idle connection so a vanished peer is noticed. On by default, as
     * in Go: a new stream probes after 15 s idle, then every 15 s, and drops the connection
     * after 9 unanswered probes (the count is the system's on Windows).
     *
     * @param on true to probe, false to stop probing
     * @throws SocketException if the stream is closed or the system call fails
     */
    public void setKeepAlive(boolean on) throws IOException {
        fd.setOption(FD.Option.SO_KEEPALIVE, on ? 1 : 0);
    }

    /**
     * The keep-alive idle time and probe interval, both {@code period} rounded up to whole
     * seconds, as Go's SetKeepAlivePeriod (up to 1.22); {@link Duration#ZERO} restores the
     * default 15 s. It does not turn keep-alive on, except on Windows, where setting the
     * times (SIO_KEEPALIVE_VALS) does.
     *
     * @param period the idle time and probe interval; {@link Duration#ZERO} for 15 s
     * @throws IllegalArgumentException if {@code period} is negative or longer than the system
     *     takes (Linux: 32,767 s, about 9 hours; where Go passes the kernel's EINVAL on)
     * @throws SocketException if the stream is closed or the system call fails
     */
    public void setKeepAlivePeriod(Duration period) throws IOException {
        if (Objects.requireNonNull(period, "period").isNegative()) {
            throw new IllegalArgumentException("negative keep-alive period " + period);
        }
        int secs = keepAliveSeconds(period, "period");
        fd.setKeepAlive(secs, secs, 0);
    }

    /**
     * Sets keep-alive as Go's SetKeepAliveConfig: SO_KEEPALIVE on or off, then the idle time,
     * the probe interval and the probe count, each a zero for Go's default (15 s, 15 s, 9) and
     * a negative to leave it unchanged. Every value is checked before any is set. On Windows,
     * where the two times are set together and cannot be read back, a time left unchanged
     * becomes the default, and with {@code enable} false the times are not set (setting them
     * there turns keep-alive on).
     *
     * @param config the settings; {@link KeepAliveConfig#DEFAULT} for Go's defaults
     * @throws IllegalArgumentException if a time is longer than the system takes (Linux:
     *     32,767 s) or the count is larger (Linux: 127)
     * @throws SocketException if the stream is closed or a system call fails
     */
    public void setKeepAliveConfig(KeepAliveConfig config) throws IOException {
        Objects.requireNonNull(config, "config");
        int idle = config.idle().isNegative() ? 0 : keepAliveSeconds(config.idle(), "idle time");
        int interval = config.interval().isNegative() ? 0 : keepAliveSeconds(config.interval(), "interval");
        int count = config.count() < 0 ? 0 : config.count() == 0 ? KEEPALIVE_PROBES : config.count();
        if (count > FD.MAX_KEEPALIVE_COUNT) {
            throw new IllegalArgumentException("keep-alive count " + count + " is larger than this system takes ("
                    + FD.MAX_KEEPALIVE_COUNT + ")");
        }
        setKeepAlive(config.enable());
        if (config.enable() || !FD.KEEPALIVE_TIMES_ENABLE) {
            fd.setKeepAlive(idle, interval, count);
        }
    }

    /** A non-negative keep-alive time in whole seconds, rounded up; zero is Go's default. */
    private static int keepAliveSeconds(Duration d, String what) {
        long secs = d.isZero() ? KEEPALIVE_SECONDS : d.getSeconds() + (d.getNano() > 0 ? 1 : 0);
        if (secs > FD.MAX_KEEPALIVE || secs < 0) {
            throw new IllegalArgumentException("keep-alive " + what + " " + d + " is longer than this system takes ("
                    + FD.MAX_KEEPALIVE + " s)");
        }
        return (int) secs;
    }

    /**
     * Whether SO_KEEPALIVE is on.
     *
     * @return true if SO_KEEPALIVE is on
     * @throws SocketException if the stream is closed or the system call fails
     */
    public boolean keepAlive() throws IOException {
        return fd.getOption(FD.Option.SO_KEEPALIVE) != 0;
    }

    /**
     * SO_RCVBUF in bytes (the kernel doubles it for its bookkeeping, see socket(7)).
     *
     * @param bytes the size to ask for, positive
     * @throws SocketException if the stream is closed or the system call fails
     */
    public void setReceiveBufferSize(int bytes) throws IOException {
        fd.setOption(FD.Option.SO_RCVBUF, positive(bytes));
    }

    /**
     * SO_RCVBUF as the kernel reports it.
     *
     * @return the receive buffer's size in bytes
     * @throws SocketException if the stream is closed or the system call fails
     */
    public int receiveBufferSize() throws IOException {
        return fd.getOption(FD.Option.SO_RCVBUF);
    }

    /**
     * SO_SNDBUF in bytes (the kernel doubles it, see socket(7)).
     *
     * @param bytes the size to ask for, positive
     * @throws SocketException if the stream is closed or the system call fails
     */
    public void setSendBufferSize(int bytes) throws IOException {
        fd.setOption(FD.Option.SO_SNDBUF, positive(bytes));
    }

    /**
     * SO_SNDBUF as the kernel reports it.
     *
     * @return the send buffer's size in bytes
     * @throws SocketException if the stream is closed or the system call fails
     */
    public int sendBufferSize() throws IOException {
        return fd.getOption(FD.Option.SO_SNDBUF);
    }

    private static int positive(int bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("buffer size must be positive: " + bytes);
        }
        return bytes;
    }

    /**
     * SO_LINGER, as Go's SetLinger: negative (the default) lets close return at once and the
     * kernel send what is left; 0 discards unsent data and resets the connection on close;
     * {@code n > 0} makes close wait up to {@code n} seconds for the data to go out (at most
     * 65,535, as the JDK's sockets cap it).
     *
     * @param seconds negative for off, 0 to reset on close, else the longest wait of close
     * @throws SocketException if the stream is closed or the system call fails
     */
    public void setLinger(int seconds) throws IOException {
        fd.setLinger(seconds);
    }

    /**
     * SO_LINGER in seconds, or -1 when off.
     *
     * @return the linger time in seconds, or -1
     * @throws SocketException if the stream is closed or the system call fails
     */
    public int linger() throws IOException {
        return fd.linger();
    }

    /**
     * Sets the read and write deadline (Go's SetDeadline): once {@code t} passes, waiting and
     * future reads and writes fail with {@link SocketTimeoutException} until a new deadline is
     * set. {@code null} removes it. A deadline in the past expires at once.
     *
     * @param t the deadline, or {@code null} for none
     * @throws SocketException if the stream is closed
     */
    public void setDeadline(Instant t) throws IOException {
        fd.setDeadline(nanotime(t), FD.READ | FD.WRITE);
    }

    /**
     * The deadline of reads alone (Go's SetReadDeadline); {@code null} removes it.
     *
     * @param t the deadline, or {@code null} for none
     * @throws SocketException if the stream is closed
     */
    public void setReadDeadline(Instant t) throws IOException {
        fd.setDeadline(nanotime(t), FD.READ);
    }

    /**
     * The deadline of writes alone (Go's SetWriteDeadline); {@code null} removes it.
     *
     * @param t the deadline, or {@code null} for none
     * @throws SocketException if the stream is closed
     */
    public void setWriteDeadline(Instant t) throws IOException {
        fd.setDeadline(nanotime(t), FD.WRITE);
    }

    /**
     * Java's SO_TIMEOUT: each read waits at most {@code timeout} for data, then throws
     * {@link SocketTimeoutException}; the stream stays usable. {@link Duration#ZERO} (the
     * default) waits forever. Unlike a deadline it restarts with every call. As with the JDK's
     * sockets, data already there is returned however short the timeout.
     *
     * @param timeout the longest wait of each read
     */
    public void setSoTimeout(Duration timeout) {
        checkTimeout(timeout);
        fd.setReadTimeout(saturatedNanos(timeout));
    }

    /**
     * The soTimeout; {@link Duration#ZERO} for none.
     *
     * @return the longest wait of each read
     */
    public Duration soTimeout() {
        return Duration.ofNanos(fd.readTimeout());
    }

    /** {@code t} on the runtime clock: 0 for none, -1 if already past. */
    static long nanotime(Instant t) {
        if (t == null) {
            return 0;
        }
        long d = saturatedNanos(Duration.between(Instant.now(), t));
        return d <= 0 ? -1 : FD.after(d);
    }

    @Override
    public String toString() {
        return "TcpStream[" + SockAddr.format(local) + " -> " + SockAddr.format(peer)
                + (isClosed() ? ", closed]" : "]");
    }

    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = TcpStream.this.read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        /**
         * {@link TcpStream#read(byte[], int, int)}, except that {@code len} 0 returns 0 even
         * once closed, as {@link InputStream} and a JDK socket's stream do.
         */
        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            return len == 0 ? 0 : TcpStream.this.read(b, off, len);
        }

        /**
         * The bytes a read returns without waiting (those already received; 0 after
         * {@link #shutdownInput}), or {@link SocketException} ("Socket closed") once closed, as
         * a JDK socket's.
         */
        @Override
        public int available() throws IOException {
            if (isClosed()) {
                throw new SocketException("Socket closed");
            }
            try {
                return fd.available();
            } finally {
                Reference.reachabilityFence(TcpStream.this);
            }
        }

        @Override
        public void close() {
            TcpStream.this.close();
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            writeAll(new byte[] {(byte) b}, 0, 1);
        }

        /**
         * {@link TcpStream#writeAll(byte[], int, int)}, except that {@code len} 0 does nothing
         * even once closed, as a JDK socket's stream.
         */
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len != 0) {
                writeAll(b, off, len);
            }
        }

        @Override
        public void close() {
            TcpStream.this.close();
        }
    }
}
