package io.panago.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Go;
import io.panago.context.CancelContext;
import io.panago.context.Context;
import io.panago.net.poll.FD;
import io.panago.net.poll.SockAddr;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Go's dialParallel between IPv6 and IPv4 ({@link DialParallel}), driven through its seam with
 * the resolved list a dual-stack name would give: a primary family whose path drops packets (a
 * listener with a full backlog) loses to the other family after the fallback delay, never
 * before it; a primary family that fails outright starts the fallback at once; both failing
 * throw the primary's failure; the loser of a race is cancelled, and a connection it makes
 * anyway is closed; the caller's context and deadline end both sides.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HappyEyeballsTest {
    private static final long HOUR = Duration.ofHours(1).toNanos();

    /** A loopback port nothing listens on. */
    private static InetSocketAddress closedPort(String host) throws IOException {
        try (TcpListener ln = TcpListener.bind(host + ":0")) {
            return ln.localAddress();
        }
    }

    @Test
    void aBlackholedPrimaryLosesToTheFallbackAfterTheDelay() throws Exception {
        for (String[] hosts : new String[][] {{"[::1]", "127.0.0.1"}, {"127.0.0.1", "[::1]"}}) {
            try (FullBacklog dead = Go.run(() -> FullBacklog.make(hosts[0]));
                 TcpListener live = TcpListener.bind(hosts[1] + ":0")) {
                List<InetSocketAddress> addrs = List.of(dead.listener().localAddress(), live.localAddress());
                // A goroutine, a platform thread and a virtual thread, each waiting in the select.
                List<Callable<TcpStream>> callers = List.of(
                        () -> Go.run(() -> DialParallel.dial(null, addrs, 0, DialParallel.FALLBACK_DELAY_NANOS)),
                        onThread(Thread.ofPlatform(), addrs),
                        onThread(Thread.ofVirtual(), addrs));
                for (Callable<TcpStream> caller : callers) {
                    long t0 = System.nanoTime();
                    try (TcpStream s = caller.call(); TcpStream peer = live.accept()) {
                        long took = System.nanoTime() - t0;
                        assertTrue(took >= DialParallel.FALLBACK_DELAY_NANOS,
                                "the fallback started after " + took / 1_000_000 + " ms");
                        assertEquals(live.localAddress(), s.peerAddress());
                        s.writeAll(new byte[] {42});
                        byte[] got = new byte[1];
                        peer.readFully(got);
                        assertEquals(42, got[0]);
                    }
                }
            }
        }
    }

    private static Callable<TcpStream> onThread(Thread.Builder b, List<InetSocketAddress> addrs) {
        return () -> {
            CompletableFuture<TcpStream> got = new CompletableFuture<>();
            b.start(() -> {
                try {
                    got.complete(DialParallel.dial(null, addrs, 0, DialParallel.FALLBACK_DELAY_NANOS));
                } catch (Throwable t) {
                    got.completeExceptionally(t);
                }
            });
            return got.get(30, TimeUnit.SECONDS);
        };
    }

    @Test
    void aRefusedPrimaryStartsTheFallbackAtOnce() throws Exception {
        Go.run(() -> {
            try (TcpListener live = TcpListener.bind("127.0.0.1:0")) {
                // With an hour's delay only the primaries' failure can start the fallback.
                List<InetSocketAddress> addrs = List.of(closedPort("[::1]"), closedPort("[::1]"), live.localAddress());
                try (TcpStream s = DialParallel.dial(null, addrs, 0, HOUR); TcpStream peer = live.accept()) {
                    assertEquals(s.localAddress(), peer.peerAddress());
                }
            }
            return null;
        });
    }

    @Test
    void bothFailingThrowsThePrimariesFailureWithTheFallbacksSuppressed() throws Exception {
        Go.run(() -> {
            InetSocketAddress v6 = closedPort("[::1]");
            InetSocketAddress v4 = closedPort("127.0.0.1");
            ConnectException e = assertThrows(ConnectException.class,
                    () -> DialParallel.dial(null, List.of(v6, v4), 0, HOUR));
            assertTrue(e.getMessage().contains(SockAddr.format(v6)), e.getMessage());
            assertEquals(1, e.getSuppressed().length);
            assertInstanceOf(ConnectException.class, e.getSuppressed()[0]);
            assertTrue(e.getSuppressed()[0].getMessage().contains(SockAddr.format(v4)), e.getSuppressed()[0].getMessage());
            return null;
        });
    }

    /** One family only: no race, the addresses in turn as before. */
    @Test
    void oneFamilyIsDialledInTurn() throws Exception {
        Go.run(() -> {
            try (TcpListener live = TcpListener.bind("127.0.0.1:0")) {
                InetSocketAddress refused = closedPort("127.0.0.1");
                try (TcpStream s = DialParallel.dial(null, List.of(refused, live.localAddress()), 0, 0);
                     TcpStream peer = live.accept()) {
                    assertEquals(s.localAddress(), peer.peerAddress());
                }
            }
            return null;
        });
    }

    /**
     * Both families answer and the fallback starts at once, so the two sides race in earnest:
     * every dial hands over exactly one working stream, and every connection the loser made
     * is closed (its server side sees the end of the stream), in many goroutines at once.
     */
    @Test
    void theLosersConnectionIsClosed() throws Exception {
        NetTesting.atEachProcs(HappyEyeballsTest::loserRound, 1, 2, 1, 2);
    }

    private static void loserRound() throws Exception {
        Go.run(() -> {
            try (EchoServers echo = new EchoServers()) {
                int dials = 300;
                List<InetSocketAddress> addrs = echo.addrs(true);
                Latch done = new Latch(dials);
                for (int i = 0; i < dials; i++) {
                    NetTesting.go(echo.errors, done, () -> {
                        try (TcpStream s = DialParallel.dial(null, addrs, 0, 0)) {
                            s.outputStream().write(9);
                            assertEquals(9, s.inputStream().read());
                        }
                    });
                }
                NetTesting.awaitOrFail(done, Duration.ofSeconds(40), echo.errors);
                echo.assertAllEnded();
                assertEquals(dials, echo.echoed.get()); // counted once its echo is written: read when all ended
                assertTrue(echo.accepted.get() >= dials, echo.accepted + " accepted");
            }
            return null;
        });
    }

    /**
     * Racing dials from goroutines, platform threads and virtual threads, with fallback delays of
     * 0 to 2 ms, each cut short by a cancellation or its deadline at a random moment of the race
     * (before it, during the delay, after a connection was made): each ends with a working stream
     * or with the failure its cut causes, and none leaves a connection open (nor, as the class
     * checks, a goroutine behind).
     */
    @Test
    void racesCutShortAtRandomMomentsEndCleanly() throws Exception {
        NetTesting.atEachProcs(HappyEyeballsTest::cutShortRound, 1, 2);
    }

    private static void cutShortRound() throws Exception {
        Go.run(() -> {
            try (EchoServers echo = new EchoServers()) {
                int dials = 240;
                Latch done = new Latch(dials);
                for (int i = 0; i < dials; i++) {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    List<InetSocketAddress> addrs = echo.addrs(r.nextBoolean());
                    long fallbackDelay = r.nextLong(2_000_001), cutAfter = r.nextLong(2_000_001);
                    boolean cancel = r.nextBoolean();
                    Runnable caller = () -> {
                        try {
                            cutShortDial(addrs, fallbackDelay, cancel, cutAfter);
                        } catch (Throwable t) {
                            echo.errors.add(t);
                        } finally {
                            done.countDown();
                        }
                    };
                    switch (i % 3) {
                        case 0 -> Go.go(caller);
                        case 1 -> Thread.ofPlatform().start(caller);
                        default -> Thread.ofVirtual().start(caller);
                    }
                }
                NetTesting.awaitOrFail(done, Duration.ofSeconds(40), echo.errors);
                echo.assertAllEnded();
            }
            return null;
        });
    }

    /** One dial that a cancellation (else the deadline) cuts short {@code cutAfter} ns in. */
    private static void cutShortDial(List<InetSocketAddress> addrs, long fallbackDelay, boolean cancel, long cutAfter)
            throws IOException {
        CancelContext ctx = Context.withCancel(Context.background());
        IllegalStateException why = new IllegalStateException("cut short");
        try {
            if (cancel) {
                Go.go(() -> {
                    Go.sleep(Duration.ofNanos(cutAfter));
                    ctx.cancel(why);
                });
            }
            try (TcpStream s = DialParallel.dial(ctx, addrs, cancel ? 0 : FD.after(cutAfter), fallbackDelay)) {
                s.outputStream().write(9);
                assertEquals(9, s.inputStream().read());
            } catch (SocketTimeoutException e) {
                if (cancel) {
                    throw e;
                }
            } catch (InterruptedIOException e) {
                if (!cancel) {
                    throw e;
                }
                assertTrue(e.getMessage().startsWith("Connect canceled: "), e.getMessage());
                assertSame(why, e.getCause());
            }
        } finally {
            ctx.cancel();
        }
    }

    /**
     * An echo server on ::1 and one on 127.0.0.1, counting the connections accepted, those the
     * dialler has closed and the bytes echoed; its goroutines report failures in {@link #errors}.
     */
    private static final class EchoServers implements AutoCloseable {
        final Queue<Throwable> errors = NetTesting.errors();
        final AtomicInteger accepted = new AtomicInteger(), ended = new AtomicInteger(), echoed = new AtomicInteger();
        private final TcpListener v6 = TcpListener.bind("[::1]:0", 1024);
        private final TcpListener v4;

        EchoServers() throws IOException {
            try {
                v4 = TcpListener.bind("127.0.0.1:0", 1024);
            } catch (IOException | RuntimeException e) {
                v6.close();
                throw e;
            }
            for (TcpListener ln : List.of(v6, v4)) {
                Go.go(() -> serve(ln));
            }
        }

        private void serve(TcpListener ln) {
            try {
                for (;;) {
                    TcpStream s = ln.accept();
                    accepted.incrementAndGet();
                    Go.go(() -> {
                        try (s) {
                            // The winner writes one byte and gets it back; the loser's
                            // connection must simply end.
                            int c;
                            while ((c = s.inputStream().read()) >= 0) {
                                s.outputStream().write(c);
                                echoed.incrementAndGet();
                            }
                        } catch (IOException e) {
                            errors.add(e);
                        }
                        ended.incrementAndGet();
                    });
                }
            } catch (IOException closed) {
                // done
            }
        }

        /** The two addresses, IPv6 first or IPv4 first. */
        List<InetSocketAddress> addrs(boolean v6First) {
            return v6First ? List.of(v6.localAddress(), v4.localAddress()) : List.of(v4.localAddress(), v6.localAddress());
        }

        /** Fails with what went wrong if a failure was reported or a connection stays open 20 s. */
        void assertAllEnded() {
            NetTesting.rethrow(errors);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (ended.get() < accepted.get() && System.nanoTime() < until) {
                Go.sleep(Duration.ofMillis(10));
            }
            assertEquals(accepted.get(), ended.get(), "connections accepted and never closed by the dialler");
            NetTesting.rethrow(errors);
        }

        @Override
        public void close() {
            v6.close();
            v4.close();
        }
    }

    @Test
    void cancellingTheContextEndsBothSides() throws Exception {
        Go.run(() -> {
            try (FullBacklog dead6 = FullBacklog.make("[::1]"); FullBacklog dead4 = FullBacklog.make("127.0.0.1")) {
                List<InetSocketAddress> addrs = List.of(dead6.listener().localAddress(), dead4.listener().localAddress());
                CancelContext ctx = Context.withCancel(Context.background());
                IllegalStateException why = new IllegalStateException("user gave up");
                Go.go(() -> {
                    Go.sleep(Duration.ofMillis(100));
                    ctx.cancel(why);
                });
                // The fallback has started by the time of the cancellation.
                InterruptedIOException e = assertThrows(InterruptedIOException.class,
                        () -> DialParallel.dial(ctx, addrs, 0, 0));
                assertFalse(e instanceof SocketTimeoutException, e.toString());
                assertEquals("Connect canceled: " + dead6.address(), e.getMessage());
                assertSame(why, e.getCause());
                // The fallback's failure, suppressed in it beside what the cut connect threw.
                assertTrue(java.util.Arrays.stream(e.getSuppressed()).anyMatch(f -> f instanceof InterruptedIOException
                        && f.getMessage().equals("Connect canceled: " + dead4.address()) && f.getCause() == why),
                        java.util.Arrays.toString(e.getSuppressed()));
            }
            return null;
        });
    }

    @Test
    void theDeadlineBoundsBothSides() throws Exception {
        Go.run(() -> {
            try (FullBacklog dead6 = FullBacklog.make("[::1]"); FullBacklog dead4 = FullBacklog.make("127.0.0.1")) {
                List<InetSocketAddress> addrs = List.of(dead4.listener().localAddress(), dead6.listener().localAddress());
                long t0 = System.nanoTime();
                SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                        () -> DialParallel.dial(null, addrs, FD.after(Duration.ofMillis(500).toNanos()),
                                DialParallel.FALLBACK_DELAY_NANOS));
                long took = System.nanoTime() - t0;
                assertTrue(took >= 500_000_000L, "ended after " + took / 1_000_000 + " ms");
                assertTrue(e.getMessage().contains(dead4.address()), e.getMessage());
            }
            return null;
        });
    }
}
