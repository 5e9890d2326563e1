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
            try (TcpListener v6 = TcpListener.bind("[::1]:0", 1024); TcpListener v4 = TcpListener.bind("127.0.0.1:0", 1024)) {
                Queue<Throwable> errors = NetTesting.errors();
                int dials = 300;
                AtomicInteger accepted = new AtomicInteger(), ended = new AtomicInteger(), echoed = new AtomicInteger();
                for (TcpListener ln : List.of(v6, v4)) {
                    Go.go(() -> {
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
                    });
                }
                List<InetSocketAddress> addrs = List.of(v6.localAddress(), v4.localAddress());
                Latch done = new Latch(dials);
                for (int i = 0; i < dials; i++) {
                    NetTesting.go(errors, done, () -> {
                        try (TcpStream s = DialParallel.dial(null, addrs, 0, 0)) {
                            s.outputStream().write(9);
                            assertEquals(9, s.inputStream().read());
                        }
                    });
                }
                NetTesting.awaitOrFail(done, Duration.ofSeconds(40), errors);
                NetTesting.rethrow(errors);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (ended.get() < accepted.get() && System.nanoTime() < until) {
                    Go.sleep(Duration.ofMillis(10));
                }
                assertEquals(accepted.get(), ended.get(), "connections accepted and never closed by the dialler");
                assertEquals(dials, echoed.get()); // counted once its echo is written: read when all ended
                assertTrue(accepted.get() >= dials, accepted + " accepted");
                NetTesting.rethrow(errors);
            }
            return null;
        });
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
