package io.panago.net;

import io.panago.net.poll.FD;
import io.panago.net.poll.SockAddr;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A goroutine-aware TCP server socket (Go's {@code net.TCPListener}).
 *
 * <p>{@link #accept()} parks the calling goroutine (or virtual thread; a platform thread
 * blocks in poll(2)) until a connection arrives. {@link #close()} from anywhere makes a
 * waiting {@code accept} fail at once with a {@link SocketException}. When the process runs
 * out of file descriptors ({@code EMFILE}/{@code ENFILE}) {@code accept} logs a warning, backs
 * off (5 ms doubling to 1 s) and retries, so an accept loop survives without spinning. A
 * listener that becomes unreachable unclosed has its descriptor closed by a cleaner, as
 * {@link TcpStream}'s.
 *
 * <pre>{@code
 * Go.run(() -> {
 *     try (TcpListener ln = TcpListener.bind("127.0.0.1:8080")) {
 *         for (;;) {
 *             TcpStream s = ln.accept();
 *             Go.go(() -> echo(s));
 *         }
 *     }
 * });
 * }</pre>
 */
public final class TcpListener implements AutoCloseable {
    private final FD fd;
    private final InetSocketAddress local;
    /** Closes {@link #fd} if this listener is dropped unclosed; its clean() is {@link #close}. */
    private final Cleaner.Cleanable closer;

    private TcpListener(FD fd) throws IOException {
        this.fd = fd;
        this.local = fd.address(false);
        closer = fd.closeWhenUnreachable(this);
    }

    /**
     * Listens on {@code address}: {@code "127.0.0.1:8080"}, {@code "[::1]:0"}, or
     * {@code ":8080"} for every local address (IPv6 and IPv4 when the kernel has IPv6; so do
     * {@code "0.0.0.0:8080"} and {@code "[::]:8080"}, as in Go, and {@link #localAddress()}
     * is then {@code [::]:8080}). Port
     * 0 picks a free port; {@link #localAddress()} tells which. {@code SO_REUSEADDR} is on.
     * The backlog is the kernel's maximum ({@code net.core.somaxconn}), as in Go.
     *
     * @param address the {@code "host:port"} to listen on
     * @return the listener
     * @throws java.net.BindException if the address is in use or not local
     * @throws IllegalArgumentException if the address is malformed
     */
    public static TcpListener bind(String address) throws IOException {
        return bind(address, defaultBacklog());
    }

    /**
     * Like {@link #bind(String)} with a backlog of at least 1 pending connection.
     *
     * @param address the {@code "host:port"} to listen on
     * @param backlog how many connections the kernel queues until they are accepted
     * @return the listener
     * @throws java.net.BindException if the address is in use or not local
     * @throws java.net.UnknownHostException if the host name does not resolve
     */
    public static TcpListener bind(String address, int backlog) throws IOException {
        checkBacklog(backlog);
        Addresses.HostPort hp = Addresses.split(address);
        return listen(Addresses.resolve(hp.host(), hp.port(), wildcard()), backlog);
    }

    /**
     * Listens on {@code address}, an {@link InetSocketAddress} (resolved or not); a wildcard
     * address, such as {@code new InetSocketAddress(port)}'s {@code 0.0.0.0}, listens on every
     * local address, IPv6 and IPv4, as {@link #bind(String)} does.
     *
     * @param address the address to listen on
     * @return the listener
     * @throws java.net.BindException if the address is in use or not local
     * @throws java.net.UnknownHostException if an unresolved address's host does not resolve
     */
    public static TcpListener bind(SocketAddress address) throws IOException {
        return bind(address, defaultBacklog());
    }

    /**
     * Listens on {@code address} with {@code backlog} (at least 1).
     *
     * @param address the address to listen on
     * @param backlog how many connections the kernel queues until they are accepted
     * @return the listener
     * @throws java.net.BindException if the address is in use or not local
     * @throws java.net.UnknownHostException if an unresolved address's host does not resolve
     */
    public static TcpListener bind(SocketAddress address, int backlog) throws IOException {
        checkBacklog(backlog);
        return listen(Addresses.resolve(address, wildcard()), backlog);
    }

    private static void checkBacklog(int backlog) {
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be at least 1: " + backlog);
        }
    }

    /**
     * Like Go's Listen, a name standing for several addresses listens on the first IPv4 one,
     * and a wildcard address, {@code 0.0.0.0} as well as {@code ::}, listens dual-stack
     * (favoriteAddrFamily), as a JDK ServerSocket bound to {@code 0.0.0.0} also does.
     */
    private static TcpListener listen(List<InetSocketAddress> addrs, int backlog)
            throws IOException {
        InetSocketAddress pick = addrs.getFirst();
        for (InetSocketAddress a : addrs) {
            if (SockAddr.family(a.getAddress()) == SockAddr.AF_INET) {
                pick = a;
                break;
            }
        }
        if (pick.getAddress().isAnyLocalAddress()) {
            pick = new InetSocketAddress(wildcard(), pick.getPort());
        }
        FD fd = FD.listen(pick, backlog);
        try {
            return new TcpListener(fd);
        } catch (IOException | RuntimeException | Error e) {
            fd.close();
            throw e;
        }
    }

    private static InetAddress wildcard() throws IOException {
        return Holder.WILDCARD;
    }

    private static int defaultBacklog() {
        return Holder.BACKLOG;
    }

    /** Probed once: the dual-stack wildcard if IPv6 works, and the kernel's backlog limit. */
    private static final class Holder {
        static final InetAddress WILDCARD;
        static final int BACKLOG;

        static {
            try {
                WILDCARD = InetAddress.getByAddress(new byte[FD.supports(SockAddr.AF_INET6) ? 16 : 4]);
            } catch (java.net.UnknownHostException e) {
                throw new ExceptionInInitializerError(e);
            }
            BACKLOG = FD.maxListenerBacklog();
        }
    }

    /**
     * Waits for the next connection and returns it as a stream (TCP_NODELAY on). Its peer address
     * comes with the connection from accept itself, as in Go (so it is known even when the peer
     * reset the connection before it was accepted), its local address is read at once, and both
     * stay known after it closes.
     *
     * @return the accepted connection
     * @throws SocketException if the listener is or gets closed
     * @throws SocketTimeoutException if the deadline or soTimeout passes first
     */
    public TcpStream accept() throws IOException {
        try {
            FD s = fd.accept();
            InetSocketAddress l, p;
            try {
                l = addressOrNull(s, false);
                p = s.acceptedPeer();
                if (p == null) {
                    p = addressOrNull(s, true);
                }
            } catch (RuntimeException | Error e) {
                s.close();
                throw e;
            }
            return TcpStream.of(s, l, p);
        } finally {
            Reference.reachabilityFence(this); // no cleaning while parked in accept
        }
    }

    /**
     * The local or peer address of an accepted socket; null (asked again when needed) if the
     * kernel will not tell, as for a connection the peer already reset (ENOTCONN).
     */
    private static InetSocketAddress addressOrNull(FD s, boolean peer) {
        try {
            return s.address(peer);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The address the listener is bound to, with the actual port when 0 was asked for.
     *
     * @return the local address and port
     */
    public InetSocketAddress localAddress() {
        return local;
    }

    /**
     * Go's TCPListener.SetDeadline: once {@code t} passes, waiting and future accepts throw
     * {@link SocketTimeoutException} until a new deadline is set; {@code null} removes it.
     *
     * @param t the deadline, or {@code null} for none
     * @throws SocketException if the listener is closed
     */
    public void setDeadline(Instant t) throws IOException {
        fd.setDeadline(TcpStream.nanotime(t), FD.READ);
    }

    /**
     * Java's SO_TIMEOUT: each accept waits at most {@code timeout}; ZERO waits forever.
     *
     * @param timeout the longest wait of each accept
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public void setSoTimeout(Duration timeout) {
        if (Objects.requireNonNull(timeout, "timeout").isNegative()) {
            throw new IllegalArgumentException("negative timeout " + timeout);
        }
        fd.setReadTimeout(TcpStream.saturatedNanos(timeout));
    }

    /**
     * The soTimeout; {@link Duration#ZERO} for none.
     *
     * @return the longest wait of each accept
     */
    public Duration soTimeout() {
        return Duration.ofNanos(fd.readTimeout());
    }

    /**
     * Stops listening; a waiting {@link #accept} fails at once. Idempotent. Connections queued
     * and not yet accepted are reset. One caveat from Linux itself (Go's listeners share it): a
     * connection whose handshake completes at the very moment the listener closes can be
     * dropped without a reset, and its client then holds an established connection that never
     * gets data, until it sends something (which the kernel answers with a reset). Clients
     * that must not wait for ever use a read deadline or keep-alive.
     */
    @Override
    public void close() {
        closer.clean(); // fd.close() unless the cleaner ran it before
        fd.close(); // idempotent; returns once the descriptor is closed, whoever closes it
    }

    /**
     * True once {@link #close} was called.
     *
     * @return true if the listener is closed
     */
    public boolean isClosed() {
        return fd.isClosed();
    }

    @Override
    public String toString() {
        return "TcpListener[" + SockAddr.format(local) + (isClosed() ? ", closed]" : "]");
    }
}
