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
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link TcpStream#connect(Context, String)}, Go's {@code DialContext}: a context already done
 * fails the dial before any socket is made; its deadline and its cancellation end a connect
 * under way (held up by a listener whose backlog is full, so only the context can end it); a
 * connected stream no longer depends on the context; and a cancellation racing the handshake
 * either fails the dial or leaves a stream that works, never one whose write deadline it spoilt.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@SuppressWarnings("try") // closing inside try-with-resources is what these tests do
class ConnectContextTest {
    @Test
    void aCancelledContextFailsBeforeAnySocketIsMade() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                CancelContext ctx = Context.withCancel(Context.background());
                IllegalStateException why = new IllegalStateException("shutting down");
                ctx.cancel(why);
                InterruptedIOException e = assertThrows(InterruptedIOException.class,
                        () -> TcpStream.connect(ctx, "127.0.0.1:" + ln.localAddress().getPort()));
                assertFalse(e instanceof SocketTimeoutException, e.toString());
                assertEquals("Connect canceled: 127.0.0.1:" + ln.localAddress().getPort(), e.getMessage());
                assertSame(why, e.getCause());
                assertThrows(InterruptedIOException.class, () -> TcpStream.connect(ctx, ln.localAddress()));
                // Nothing reached the listener.
                ln.setSoTimeout(Duration.ofMillis(200));
                assertThrows(SocketTimeoutException.class, ln::accept);
            }
            return null;
        });
    }

    @Test
    void anExpiredContextIsATimeout() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 CancelContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(-1))) {
                SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                        () -> TcpStream.connect(ctx, ln.localAddress()));
                assertSame(Context.DEADLINE_EXCEEDED, e.getCause());
            }
            return null;
        });
    }

    @Test
    void theDeadlineEndsAConnectUnderWay() throws Exception {
        Go.run(() -> {
            try (FullBacklog full = FullBacklog.make();
                 CancelContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(300))) {
                long t0 = System.nanoTime();
                SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                        () -> TcpStream.connect(ctx, full.address()));
                long took = System.nanoTime() - t0;
                assertTrue(took >= 250_000_000L && took < 20_000_000_000L, "ended after " + took / 1_000_000 + " ms");
                assertTrue(e.getMessage().startsWith("Connect timed out"), e.getMessage());
            }
            return null;
        });
    }

    /**
     * The deadline's cause reaches the caller however the socket's wait and the context's timer,
     * both due at that moment, happen to be ordered: many connects at once make both orders likely.
     */
    @Test
    void theDeadlinesCauseIsTheCauseOfATimedOutConnect() throws Exception {
        Go.run(() -> {
            try (FullBacklog full = FullBacklog.make()) {
                IllegalStateException why = new IllegalStateException("too slow");
                Queue<Throwable> errors = NetTesting.errors();
                int dials = 60;
                Latch done = new Latch(dials);
                for (int i = 0; i < dials; i++) {
                    NetTesting.go(errors, done, () -> {
                        try (CancelContext ctx = Context.withTimeoutCause(Context.background(), Duration.ofMillis(50), why)) {
                            SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                                    () -> TcpStream.connect(ctx, full.address()));
                            assertSame(why, e.getCause(), e.toString());
                        }
                    });
                }
                NetTesting.awaitOrFail(done, Duration.ofSeconds(20), errors);
                NetTesting.rethrow(errors);
            }
            return null;
        });
    }

    @Test
    void cancellationEndsAConnectUnderWayInAGoroutine() throws Exception {
        Go.run(() -> {
            try (FullBacklog full = FullBacklog.make()) {
                CancelContext ctx = Context.withCancel(Context.background());
                IllegalStateException why = new IllegalStateException("user gave up");
                Go.go(() -> {
                    Go.sleep(Duration.ofMillis(100));
                    ctx.cancel(why);
                });
                InterruptedIOException e = assertThrows(InterruptedIOException.class,
                        () -> TcpStream.connect(ctx, full.address()));
                assertFalse(e instanceof SocketTimeoutException, e.toString());
                assertEquals("Connect canceled: " + full.address(), e.getMessage());
                assertSame(why, e.getCause());
            }
            return null;
        });
    }

    /** A plain thread and a virtual thread blocked in the connect are woken by the cancellation. */
    @Test
    void cancellationEndsAConnectUnderWayInThreads() throws Exception {
        try (FullBacklog full = Go.run(() -> FullBacklog.make())) {
            for (Thread.Builder b : List.of(Thread.ofPlatform(), Thread.ofVirtual())) {
                CancelContext ctx = Context.withCancel(Context.background());
                CompletableFuture<Throwable> failure = new CompletableFuture<>();
                b.start(() -> {
                    try (TcpStream s = TcpStream.connect(ctx, full.address())) {
                        failure.complete(new AssertionError("connected: " + s));
                    } catch (Throwable t) {
                        failure.complete(t);
                    }
                });
                Thread.sleep(100);
                ctx.cancel();
                Throwable t = failure.get(20, TimeUnit.SECONDS);
                assertInstanceOf(InterruptedIOException.class, t);
                assertFalse(t instanceof SocketTimeoutException, t.toString());
                assertSame(Context.CANCELED, t.getCause());
            }
        }
    }

    @Test
    void aConnectedStreamOutlivesItsContext() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                CancelContext cancelled = Context.withCancel(Context.background());
                CancelContext timed = Context.withTimeout(Context.background(), Duration.ofMillis(50));
                try (TcpStream a = TcpStream.connect(cancelled, ln.localAddress());
                     TcpStream a2 = TcpStream.connect(timed, "127.0.0.1:" + ln.localAddress().getPort());
                     TcpStream b = ln.accept();
                     TcpStream b2 = ln.accept()) {
                    cancelled.cancel();
                    Go.sleep(Duration.ofMillis(100)); // the timed one expires too
                    assertTrue(timed.err() != null);
                    roundTrip(a, b);
                    roundTrip(a2, b2);
                }
            }
            return null;
        });
    }

    /**
     * Cancellations at random moments around the handshake, in many goroutines at once: each
     * dial either fails as cancelled or gives a stream that works both ways.
     */
    @Test
    void cancellationRacingTheHandshakeNeverSpoilsAStream() throws Exception {
        NetTesting.atEachProcs(ConnectContextTest::raceRound, 1, 2);
    }

    private static void raceRound() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0", 1024)) {
                Queue<Throwable> errors = NetTesting.errors();
                int dials = 400;
                Latch done = new Latch(dials);
                AtomicInteger connected = new AtomicInteger(), cancelled = new AtomicInteger();
                Go.go(() -> {
                    // Echo one byte back on every accepted connection until the listener closes.
                    try {
                        for (;;) {
                            TcpStream s = ln.accept();
                            Go.go(() -> {
                                try (s) {
                                    int c = s.inputStream().read();
                                    if (c >= 0) {
                                        s.outputStream().write(c);
                                    }
                                } catch (IOException ignored) {
                                    // the dialler gave up on this one
                                }
                            });
                        }
                    } catch (IOException closed) {
                        // done
                    }
                });
                for (int i = 0; i < dials; i++) {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    int spin = rnd.nextBoolean() ? rnd.nextInt(4) : rnd.nextInt(200);
                    NetTesting.go(errors, done, () -> {
                        CancelContext ctx = Context.withCancel(Context.background());
                        Go.go(() -> {
                            for (int k = 0; k < spin; k++) {
                                Go.yield();
                            }
                            ctx.cancel();
                        });
                        TcpStream s;
                        try {
                            s = TcpStream.connect(ctx, ln.localAddress());
                        } catch (InterruptedIOException e) {
                            if (e instanceof SocketTimeoutException || e.getCause() != Context.CANCELED) {
                                throw e;
                            }
                            cancelled.incrementAndGet();
                            return;
                        }
                        try (s) {
                            s.setReadDeadline(java.time.Instant.now().plusSeconds(20)); // not the write one

                            s.outputStream().write(7);
                            assertEquals(7, s.inputStream().read());
                            connected.incrementAndGet();
                        }
                    });
                }
                NetTesting.awaitOrFail(done, Duration.ofSeconds(40), errors);
                NetTesting.rethrow(errors);
                assertEquals(dials, connected.get() + cancelled.get());
            }
            return null;
        });
    }

    @Test
    void aNullContextIsRefused() {
        assertThrows(NullPointerException.class, () -> TcpStream.connect((Context) null, "127.0.0.1:1"));
    }

    private static void roundTrip(TcpStream x, TcpStream y) throws IOException {
        x.writeAll(new byte[] {1, 2, 3});
        byte[] got = new byte[3];
        y.readFully(got);
        y.writeAll(got);
        x.readFully(got);
        assertEquals(3, got[2]);
    }
}
