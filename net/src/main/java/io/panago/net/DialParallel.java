package io.panago.net;

import io.panago.Chan;
import io.panago.Go;
import io.panago.Select;
import io.panago.context.CancelContext;
import io.panago.context.Context;
import io.panago.runtime.Sched;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Go's {@code dialParallel}, Happy Eyeballs (RFC 6555) between the address families of a
 * name that resolved to both: the addresses of the first one's family (the primaries) are
 * dialled in turn at once; those of the other family (the fallbacks) in turn too, starting
 * after {@link #FALLBACK_DELAY_NANOS} or as soon as the primaries have all failed. The first
 * connection made wins; the other dial is cancelled, and a connection it still makes is
 * closed. If both fail, the primaries' failure is thrown with the fallbacks' suppressed.
 *
 * <p>So a host whose IPv6 route drops packets costs a dial 300 ms, not the kernel's connect
 * timeout of about two minutes. Each side runs as a goroutine with a context of its own
 * under the caller's; the caller, goroutine or thread, waits in a select.
 */
final class DialParallel {
    /** Go's default {@code Dialer.FallbackDelay}. */
    static final long FALLBACK_DELAY_NANOS = 300_000_000L;

    private DialParallel() {}

    /** What one side of the race ended with: a stream or a failure. */
    private record Outcome(boolean primary, TcpStream stream, Throwable failure) {}

    /**
     * Dials {@code addrs} (resolved, in the resolver's order) with {@code ctx} (null for none)
     * and {@code deadline} (nanotime, 0 for none) as described above; one family only is
     * {@link TcpStream#dialSerial}.
     */
    static TcpStream dial(Context ctx, List<InetSocketAddress> addrs, long deadline, long fallbackDelay)
            throws IOException {
        boolean firstV6 = isV6(addrs.get(0));
        List<InetSocketAddress> primaries = new ArrayList<>(addrs.size());
        List<InetSocketAddress> fallbacks = new ArrayList<>();
        for (InetSocketAddress a : addrs) {
            (isV6(a) == firstV6 ? primaries : fallbacks).add(a);
        }
        if (fallbacks.isEmpty()) {
            return TcpStream.dialSerial(ctx, addrs, deadline);
        }
        return race(ctx == null ? Context.background() : ctx, primaries, fallbacks, deadline, fallbackDelay);
    }

    private static boolean isV6(InetSocketAddress a) {
        return a.getAddress() instanceof Inet6Address;
    }

    private static TcpStream race(Context parent, List<InetSocketAddress> primaries,
            List<InetSocketAddress> fallbacks, long deadline, long fallbackDelay) throws IOException {
        Chan<Outcome> results = Chan.make();
        Chan<Void> returned = Chan.make();
        CancelContext primaryCtx = Context.withCancel(parent);
        CancelContext fallbackCtx = Context.withCancel(parent);
        try {
            start(primaryCtx, primaries, deadline, true, results, returned);
            long fallbackAt = Sched.nanotime() + fallbackDelay;
            boolean fallbackStarted = false;
            Select sel = new Select();
            Select.RecvCase<Outcome> result = sel.recv(results);
            Outcome primary = null;
            Outcome fallback = null;
            for (;;) {
                if (fallbackStarted) {
                    sel.select();
                } else {
                    long wait = fallbackAt - Sched.nanotime();
                    if (wait <= 0 || sel.select(Duration.ofNanos(wait)) == Select.TIMEOUT) {
                        start(fallbackCtx, fallbacks, deadline, false, results, returned);
                        fallbackStarted = true;
                        continue;
                    }
                }
                Outcome r = result.value();
                if (r.stream != null) {
                    return r.stream;
                }
                if (r.primary) {
                    primary = r;
                } else {
                    fallback = r;
                }
                if (primary != null && fallback != null) {
                    throw failure(primary.failure, fallback.failure);
                }
                if (r.primary && !fallbackStarted) {
                    // The primaries all failed: no reason to wait out the delay (Go resets the
                    // fallback timer to 0).
                    start(fallbackCtx, fallbacks, deadline, false, results, returned);
                    fallbackStarted = true;
                }
            }
        } finally {
            // A side still dialling is cut short; one that connects anyway finds `returned`
            // closed and closes its stream.
            returned.close();
            primaryCtx.cancel();
            fallbackCtx.cancel();
        }
    }

    /** Starts one side of the race as a goroutine (Go's startRacer). */
    private static void start(Context ctx, List<InetSocketAddress> addrs, long deadline, boolean primary,
            Chan<Outcome> results, Chan<Void> returned) {
        Go.go(() -> {
            Outcome r;
            try {
                r = new Outcome(primary, TcpStream.dialSerial(ctx, addrs, deadline), null);
            } catch (Throwable t) {
                r = new Outcome(primary, null, t);
            }
            TcpStream late = r.stream;
            Select.select(
                    Select.onSend(results, r, () -> {}),
                    Select.onRecv(returned, v -> {
                        if (late != null) {
                            late.close();
                        }
                    }));
        });
    }

    /** The primaries' failure, the fallbacks' suppressed in it, thrown as it was raised. */
    private static IOException failure(Throwable primary, Throwable fallback) {
        primary.addSuppressed(fallback);
        if (primary instanceof IOException e) {
            return e;
        }
        if (primary instanceof RuntimeException e) {
            throw e;
        }
        if (primary instanceof Error e) {
            throw e;
        }
        return new IOException(primary);
    }
}
