package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Edge cases for the net layer: deadlines moved while parked, soTimeout combined with
 * deadlines, half-closes and resets under parked calls, stream views at EOF and after close,
 * plain and virtual threads (interrupts), concurrent accepts and closes, GOMAXPROCS changes.
 * Every wait is bounded so a hang shows as a failure. Written as a hunt for bugs; the cases
 * that failed found parks inside Go.blocking, shutdownInput's end of stream on Linux,
 * SO_LINGER's overflow, the missing count on a timed-out writeAll/readFully, and a tiny
 * soTimeout expiring after a short read with data waiting.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NetEdgeCasesTest {
    private static final Duration SETTLE = Duration.ofMillis(100);
    private static final Duration LIMIT = Duration.ofSeconds(5);

    /** Runs {@code r} on {@code n} platform threads, {@code n} virtual threads and {@code n} goroutines. */
    private static void startOnEveryKind(int n, Runnable r) throws Exception {
        for (int i = 0; i < n; i++) {
            Thread.ofPlatform().daemon().start(r);
            Thread.ofVirtual().start(r);
        }
        Go.run(() -> {
            for (int i = 0; i < n; i++) {
                Go.go(r);
            }
            return null;
        });
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    // ------------------------------------------------------------------ deadlines

    @Test
    void deadlineShortenedWhileParkedFiresAtTheNewTime() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            a.setReadDeadline(Instant.now().plusSeconds(30));
            Latch done = new Latch(1);
            AtomicLong timedOutAt = new AtomicLong();
            NetTesting.go(errors, done, () -> {
                assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
                timedOutAt.set(System.nanoTime());
            });
            Go.sleep(SETTLE);
            long set = System.nanoTime();
            a.setReadDeadline(Instant.now().plusMillis(150));
            NetTesting.awaitOrFail(done, LIMIT, errors);
            long tookMs = (timedOutAt.get() - set) / 1_000_000;
            assertTrue(tookMs >= 140 && tookMs < 3000, "timed out " + tookMs + " ms after the new deadline was set");
            // usable again
            a.setReadDeadline(null);
            b.writeAll(new byte[] {7});
            assertEquals(7, a.inputStream().read());
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void deadlineClearedWhileParkedKeepsWaitingForData() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            a.setReadDeadline(Instant.now().plusMillis(300));
            Latch done = new Latch(1);
            NetTesting.go(errors, done, () -> assertEquals(5, a.inputStream().read()));
            Go.sleep(SETTLE);
            a.setReadDeadline(null);
            Go.sleep(Duration.ofMillis(500));
            assertEquals(1, done.count(), "read returned after the deadline was cleared");
            b.writeAll(new byte[] {5});
            NetTesting.awaitOrFail(done, LIMIT, errors);
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void pastDeadlineFailsWriteAndAcceptAtOnceAndNullRestores() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                ln.setDeadline(Instant.now().minusSeconds(5));
                long t0 = System.nanoTime();
                assertThrows(SocketTimeoutException.class, ln::accept);
                assertTrue(millisSince(t0) < 1000);
                TcpStream a = TcpStream.connect(ln.localAddress());
                // Still expired even with a connection queued (as Go).
                assertThrows(SocketTimeoutException.class, ln::accept);
                ln.setDeadline(null);
                try (a; TcpStream b = ln.accept()) {
                    a.setWriteDeadline(Instant.now().minusMillis(1));
                    assertThrows(SocketTimeoutException.class, () -> a.write(new byte[1]));
                    assertThrows(SocketTimeoutException.class, () -> a.writeAll(new byte[1]));
                    a.setWriteDeadline(Instant.now().plusSeconds(10));
                    a.writeAll(new byte[] {3});
                    assertEquals(3, b.inputStream().read());
                }
            }
            return null;
        });
    }

    @Test
    void farFutureAndFarPastDeadlinesSaturate() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            a.setReadDeadline(Instant.MAX);
            Latch done = new Latch(1);
            NetTesting.go(errors, done, () -> assertEquals(1, a.inputStream().read()));
            Go.sleep(Duration.ofMillis(300));
            assertEquals(1, done.count(), "read with deadline Instant.MAX returned early");
            b.writeAll(new byte[] {1});
            NetTesting.awaitOrFail(done, LIMIT, errors);
            a.setReadDeadline(Instant.MIN);
            assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
            a.setReadDeadline(null);
            a.setSoTimeout(Duration.ofSeconds(Long.MAX_VALUE));
            Latch done2 = new Latch(1);
            NetTesting.go(errors, done2, () -> assertEquals(2, a.inputStream().read()));
            Go.sleep(Duration.ofMillis(300));
            assertEquals(1, done2.count(), "read with a huge soTimeout returned early");
            b.writeAll(new byte[] {2});
            NetTesting.awaitOrFail(done2, LIMIT, errors);
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void soTimeoutAndDeadlineTheEarlierWins() throws Exception {
        NetTesting.withPair((a, b) -> {
            // deadline earlier than the soTimeout
            a.setSoTimeout(Duration.ofSeconds(10));
            a.setReadDeadline(Instant.now().plusMillis(150));
            long t0 = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
            long took = millisSince(t0);
            assertTrue(took >= 140 && took < 3000, "deadline fired after " + took);
            // still expired
            assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
            // soTimeout earlier than the deadline, repeatedly; the deadline stays in force
            a.setSoTimeout(Duration.ofMillis(100));
            a.setReadDeadline(Instant.now().plusMillis(700));
            t0 = System.nanoTime();
            int timeouts = 0;
            for (;;) {
                try {
                    a.read(new byte[1]);
                    fail("read returned");
                } catch (SocketTimeoutException e) {
                    timeouts++;
                }
                if (millisSince(t0) > 3000) {
                    fail("deadline never reached");
                }
                if (millisSince(t0) >= 700) { // the user deadline passed: fails at once
                    long t1 = System.nanoTime();
                    assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
                    assertTrue(millisSince(t1) < 500, "expired deadline waited " + millisSince(t1));
                    break;
                }
            }
            assertTrue(timeouts >= 3, "only " + timeouts + " soTimeouts before the deadline");
            a.setReadDeadline(null);
            a.setSoTimeout(Duration.ZERO);
            b.writeAll(new byte[] {11});
            assertEquals(11, a.inputStream().read());
        });
    }

    @Test
    void deadlineIntoThePastWakesAReadWaitingUnderASoTimeout() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            a.setSoTimeout(Duration.ofSeconds(20));
            Latch done = new Latch(1);
            NetTesting.go(errors, done, () -> assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1])));
            Go.sleep(SETTLE);
            long t0 = System.nanoTime();
            a.setReadDeadline(Instant.now().minusMillis(1));
            NetTesting.awaitOrFail(done, LIMIT, errors);
            assertTrue(millisSince(t0) < 1000, "woken after " + millisSince(t0));
            a.setReadDeadline(null);
            b.writeAll(new byte[] {4});
            assertEquals(4, a.inputStream().read());
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void writeDeadlineShortenedWhileParkedOnAFullBuffer() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            a.setSendBufferSize(8192);
            Latch done = new Latch(1);
            NetTesting.go(errors, done, () -> assertThrows(SocketTimeoutException.class, () -> a.writeAll(new byte[32 << 20])));
            Go.sleep(SETTLE);
            a.setWriteDeadline(Instant.now().plusMillis(100));
            NetTesting.awaitOrFail(done, LIMIT, errors);
            // reads unaffected
            b.writeAll(new byte[] {8});
            assertEquals(8, a.inputStream().read());
        });
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------ half-close and reset

    @Test
    void shutdownInputWakesAParkedReaderWithEndOfStream() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            Latch done = new Latch(1);
            AtomicInteger got = new AtomicInteger(99);
            NetTesting.go(errors, done, () -> got.set(a.read(new byte[8])));
            Go.sleep(SETTLE);
            a.shutdownInput();
            NetTesting.awaitOrFail(done, LIMIT, errors);
            assertEquals(-1, got.get());
            // the write side still works
            a.writeAll(new byte[] {1, 2});
            byte[] two = new byte[2];
            b.readFully(two);
            assertArrayEquals(new byte[] {1, 2}, two);
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void shutdownInputWakesAReaderParkedAfterAShortRead() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            b.writeAll(new byte[] {1});
            Go.sleep(Duration.ofMillis(50));
            assertEquals(1, a.read(new byte[100])); // short: the socket drained
            Latch done = new Latch(1);
            AtomicInteger got = new AtomicInteger(99);
            NetTesting.go(errors, done, () -> got.set(a.read(new byte[8])));
            Go.sleep(SETTLE);
            a.shutdownInput();
            NetTesting.awaitOrFail(done, LIMIT, errors);
            assertEquals(-1, got.get());
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void shutdownOutputWakesAWriterParkedOnAFullBuffer() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        NetTesting.withPair((a, b) -> {
            a.setSendBufferSize(8192);
            Latch done = new Latch(1);
            NetTesting.go(errors, done, () -> {
                try {
                    a.writeAll(new byte[32 << 20]);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            Go.sleep(SETTLE);
            a.shutdownOutput();
            NetTesting.awaitOrFail(done, LIMIT, errors);
            // the read side still works
            b.writeAll(new byte[] {6});
            assertEquals(6, a.inputStream().read());
        });
        NetTesting.rethrow(errors);
        assertInstanceOf(SocketException.class, thrown.get());
    }

    @Test
    void peerResetDuringALargeWriteAllThrowsInsteadOfHanging() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        NetTesting.withPair((a, b) -> {
            Latch done = new Latch(1);
            NetTesting.go(errors, done, () -> {
                try {
                    a.writeAll(new byte[64 << 20]);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            // read a little, then reset
            b.readFully(new byte[1 << 16]);
            b.setLinger(0);
            b.close();
            NetTesting.awaitOrFail(done, LIMIT, errors);
        });
        NetTesting.rethrow(errors);
        assertInstanceOf(SocketException.class, thrown.get());
    }

    @Test
    void writesAfterThePeerClosedFailWithSocketExceptionNotASignal() throws Exception {
        NetTesting.withPair((a, b) -> {
            b.close();
            Go.sleep(Duration.ofMillis(50));
            IOException e = assertThrows(IOException.class, () -> {
                for (int i = 0; i < 1000; i++) {
                    a.writeAll(new byte[1024]);
                    Go.sleep(Duration.ofMillis(1));
                }
            });
            assertInstanceOf(SocketException.class, e);
            // reads: end of stream or reset, never a hang
            a.setReadDeadline(Instant.now().plusSeconds(2));
            try {
                int n = a.read(new byte[1]);
                assertEquals(-1, n);
            } catch (SocketException reset) {
                assertTrue(reset.getMessage().contains("reset"), reset.getMessage());
            }
        });
    }

    // ------------------------------------------------------------------ views, EOF, close

    @Test
    void streamViewsAtEndOfStream() throws Exception {
        NetTesting.withPair((a, b) -> {
            b.writeAll(new byte[] {1, 2, 3});
            b.shutdownOutput();
            InputStream in = a.inputStream();
            assertEquals(0, in.available() >= 0 ? 0 : -1);
            assertEquals(1, in.skip(1));
            byte[] buf = new byte[10];
            assertEquals(2, a.readNBytes(buf, 0, 10));
            assertEquals(0, a.readNBytes(buf, 0, 10));
            assertEquals(-1, a.read(buf));
            assertEquals(0, a.read(buf, 0, 0));
            assertThrows(EOFException.class, () -> a.readFully(new byte[1]));
            a.readFully(new byte[0]);
            assertEquals(0, in.readNBytes(5).length);
            assertEquals(0, in.readAllBytes().length);
            assertEquals(0, in.skip(5));
            assertEquals(0L, in.transferTo(java.io.OutputStream.nullOutputStream()));
            assertEquals(-1, in.read());
        });
    }

    @Test
    void zeroLengthCallsAndViewsOnAClosedStreamThrow() throws Exception {
        NetTesting.withPair((a, b) -> {
            a.close();
            assertThrows(SocketException.class, () -> a.read(new byte[0], 0, 0));
            assertThrows(SocketException.class, () -> a.write(new byte[0], 0, 0));
            assertThrows(SocketException.class, () -> a.writeAll(new byte[0]));
            assertThrows(SocketException.class, () -> a.readNBytes(new byte[1], 0, 1));
            assertThrows(SocketException.class, () -> a.inputStream().readAllBytes());
            assertThrows(SocketException.class, () -> a.inputStream().skip(3));
            assertThrows(SocketException.class, () -> a.inputStream().transferTo(java.io.OutputStream.nullOutputStream()));
            assertThrows(SocketException.class, a::shutdownInput);
            assertThrows(SocketException.class, () -> a.setReadDeadline(null));
            assertThrows(SocketException.class, () -> a.setWriteDeadline(Instant.now()));
            assertThrows(SocketException.class, () -> a.setLinger(0));
            assertThrows(SocketException.class, a::linger);
            assertThrows(SocketException.class, a::keepAlive);
            assertThrows(SocketException.class, a::noDelay);
            assertThrows(SocketException.class, () -> a.setSendBufferSize(1024));
            // bad offsets: IndexOutOfBounds even on a closed stream (checked before anything)
            assertThrows(IndexOutOfBoundsException.class, () -> a.read(new byte[1], 1, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> a.write(new byte[1], -1, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> a.readNBytes(new byte[1], 0, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> a.writeAll(new byte[1], 2, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> a.inputStream().read(new byte[1], 0, 5));
            assertThrows(IndexOutOfBoundsException.class, () -> a.outputStream().write(new byte[1], 1, 1));
            a.inputStream().close();
            a.outputStream().close();
            a.close();
            assertNotNull(a.toString());
        });
    }

    @Test
    void bufferOffsetsAtTheEdgesMoveTheRightBytes() throws Exception {
        NetTesting.withPair((a, b) -> {
            byte[] src = new byte[100];
            for (int i = 0; i < src.length; i++) {
                src[i] = (byte) i;
            }
            a.writeAll(src, 99, 1);
            a.writeAll(src, 100, 0);
            assertEquals(1, a.write(src, 0, 1));
            byte[] dst = new byte[10];
            b.readFully(dst, 8, 2);
            assertEquals(99, dst[8]);
            assertEquals(0, dst[9]);
            assertEquals(0, b.read(dst, 10, 0));
        });
    }

    @Test
    void doubleCloseFromManyGoroutinesAtOnce() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                for (int round = 0; round < 50; round++) {
                    TcpStream a = TcpStream.connect(ln.localAddress());
                    TcpStream b = ln.accept();
                    TcpStream c = a.tryClone();
                    Latch done = new Latch(6);
                    NetTesting.go(errors, done, () -> assertThrows(SocketException.class, () -> a.read(new byte[4])));
                    NetTesting.go(errors, done, () -> assertThrows(SocketException.class, () -> a.writeAll(new byte[8 << 20])));
                    for (int i = 0; i < 4; i++) {
                        NetTesting.go(errors, done, a::close);
                    }
                    NetTesting.awaitOrFail(done, LIMIT, errors);
                    assertTrue(a.isClosed());
                    // the clone is still fine: it half-closes and the peer reads to the end
                    b.setReadDeadline(Instant.now().plusSeconds(5));
                    c.shutdownOutput();
                    b.inputStream().transferTo(java.io.OutputStream.nullOutputStream());
                    b.writeAll(new byte[] {5});
                    assertEquals(5, c.inputStream().read());
                    c.close();
                    b.close();
                }
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------ tryClone

    @Test
    void closingTheCloneWhileTheOriginalIsParkedLeavesTheReadParked() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            TcpStream c = a.tryClone();
            Latch done = new Latch(2);
            NetTesting.go(errors, done, () -> assertEquals(9, a.inputStream().read()));
            NetTesting.go(errors, done, () -> assertThrows(SocketException.class, () -> c.read(new byte[1])));
            Go.sleep(SETTLE);
            c.close();
            Go.sleep(SETTLE);
            assertEquals(1, done.count(), "closing the clone woke the original's read");
            b.writeAll(new byte[] {9});
            NetTesting.awaitOrFail(done, LIMIT, errors);
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void cloneHasItsOwnDeadlines() throws Exception {
        NetTesting.withPair((a, b) -> {
            a.setReadDeadline(Instant.now().minusSeconds(1));
            try (TcpStream c = a.tryClone()) {
                b.writeAll(new byte[] {3});
                c.setReadDeadline(Instant.now().plusSeconds(5));
                assertEquals(3, c.inputStream().read());
                assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
                c.setReadDeadline(Instant.now().minusSeconds(1));
                a.setReadDeadline(null);
                b.writeAll(new byte[] {4});
                assertEquals(4, a.inputStream().read());
            }
        });
    }

    // ------------------------------------------------------------------ listeners

    @Test
    void manyAcceptorsOnOneListenerEachConnectionOnceThenCloseWakesTheRest() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        Set<Integer> ports = ConcurrentHashMap.newKeySet();
        AtomicInteger accepted = new AtomicInteger(), closedErrs = new AtomicInteger();
        Go.run(() -> {
            TcpListener ln = TcpListener.bind("127.0.0.1:0");
            int acceptors = 20, conns = 50;
            Latch done = new Latch(acceptors);
            List<TcpStream> server = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < acceptors; i++) {
                NetTesting.go(errors, done, () -> {
                    for (;;) {
                        TcpStream s;
                        try {
                            s = ln.accept();
                        } catch (SocketException e) {
                            assertEquals("Socket closed", e.getMessage());
                            closedErrs.incrementAndGet();
                            return;
                        }
                        accepted.incrementAndGet();
                        assertTrue(ports.add(s.peerAddress().getPort()), "accepted twice");
                        server.add(s);
                    }
                });
            }
            List<TcpStream> clients = new ArrayList<>();
            for (int i = 0; i < conns; i++) {
                clients.add(TcpStream.connect(ln.localAddress()));
            }
            long until = System.nanoTime() + 5_000_000_000L;
            while (accepted.get() < conns && System.nanoTime() < until) {
                Go.sleep(Duration.ofMillis(5));
            }
            assertEquals(conns, accepted.get());
            ln.close();
            NetTesting.awaitOrFail(done, LIMIT, errors);
            assertEquals(acceptors, closedErrs.get());
            clients.forEach(TcpStream::close);
            server.forEach(TcpStream::close);
            return null;
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void acceptedStreamDoesNotInheritTheListenersSoTimeout() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                ln.setSoTimeout(Duration.ofMillis(100));
                try (TcpStream a = TcpStream.connect(ln.localAddress()); TcpStream b = ln.accept()) {
                    assertEquals(Duration.ZERO, b.soTimeout());
                }
                assertThrows(SocketTimeoutException.class, ln::accept);
                // still usable
                try (TcpStream a = TcpStream.connect(ln.localAddress()); TcpStream b = ln.accept()) {
                    a.writeAll(new byte[] {1});
                    assertEquals(1, b.inputStream().read());
                }
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ plain and virtual threads

    @Test
    void interruptedPlainThreadStaysBlockedInReadThenReadsAndKeepsItsFlag() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
             TcpStream a = TcpStream.connect(ln.localAddress());
             TcpStream b = ln.accept()) {
            for (boolean virtual : new boolean[] {false, true}) {
                AtomicReference<Object> result = new AtomicReference<>();
                AtomicReference<Boolean> flag = new AtomicReference<>();
                CountDownLatch done = new CountDownLatch(1);
                Runnable r = () -> {
                    try {
                        result.set(a.inputStream().read());
                    } catch (Throwable t) {
                        result.set(t);
                    } finally {
                        flag.set(Thread.currentThread().isInterrupted());
                        done.countDown();
                    }
                };
                Thread t = virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
                Thread.sleep(150);
                t.interrupt();
                assertFalse(done.await(300, TimeUnit.MILLISECONDS), "interrupt ended a blocking read: " + result.get());
                b.writeAll(new byte[] {42});
                assertTrue(done.await(5, TimeUnit.SECONDS), "read never returned");
                assertEquals(42, result.get(), "virtual=" + virtual);
                assertEquals(Boolean.TRUE, flag.get(), "interrupt flag lost, virtual=" + virtual);
                t.join(5000);
            }
            // the stream is intact
            b.writeAll(new byte[] {43});
            assertEquals(43, a.inputStream().read());
        }
    }

    @Test
    void alreadyInterruptedPlainThreadStillBlocksAndTimesOut() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
             TcpStream a = TcpStream.connect(ln.localAddress());
             TcpStream b = ln.accept()) {
            for (boolean virtual : new boolean[] {false, true}) {
                AtomicReference<Object> result = new AtomicReference<>();
                AtomicInteger took = new AtomicInteger();
                Runnable r = () -> {
                    Thread.currentThread().interrupt();
                    a.setSoTimeout(Duration.ofMillis(200));
                    long t0 = System.nanoTime();
                    try {
                        result.set(a.read(new byte[1]));
                    } catch (Throwable t) {
                        result.set(t);
                    }
                    took.set((int) millisSince(t0));
                    a.setSoTimeout(Duration.ZERO);
                };
                Thread t = virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
                t.join(5000);
                assertFalse(t.isAlive());
                assertInstanceOf(SocketTimeoutException.class, result.get(), "virtual=" + virtual);
                assertTrue(took.get() >= 150 && took.get() < 3000, "took " + took.get() + " virtual=" + virtual);
            }
            b.writeAll(new byte[] {1});
            assertEquals(1, a.inputStream().read());
        }
    }

    @Test
    void plainThreadConnectWithTimeoutToAClosedPortIsRefusedQuickly() throws Exception {
        int port;
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
            port = ln.localAddress().getPort();
        }
        long t0 = System.nanoTime();
        assertThrows(ConnectException.class,
                () -> TcpStream.connect(new InetSocketAddress("127.0.0.1", port), Duration.ofSeconds(3)));
        assertThrows(ConnectException.class, () -> TcpStream.connect("127.0.0.1:" + port, Duration.ofMillis(500)));
        assertTrue(millisSince(t0) < 1000);
        AtomicReference<Throwable> vt = new AtomicReference<>();
        Thread v = Thread.ofVirtual().start(() -> {
            try {
                TcpStream.connect("[::1]:" + port, Duration.ofSeconds(2)).close();
            } catch (Throwable t) {
                vt.set(t);
            }
        });
        v.join(5000);
        assertInstanceOf(ConnectException.class, vt.get());
    }

    @Test
    void plainThreadBlockedInWriteIsWokenByPeerReset() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
             TcpStream a = TcpStream.connect(ln.localAddress());
             TcpStream b = ln.accept()) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = Thread.ofPlatform().daemon().start(() -> {
                try {
                    a.writeAll(new byte[64 << 20]);
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            Thread.sleep(150);
            b.setLinger(0);
            b.close();
            t.join(5000);
            assertFalse(t.isAlive(), "writer still blocked after the peer reset");
            assertInstanceOf(SocketException.class, thrown.get());
        }
    }

    @Test
    void plainThreadShutdownInputWakesBlockedRead() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
             TcpStream a = TcpStream.connect(ln.localAddress());
             TcpStream b = ln.accept()) {
            AtomicReference<Object> result = new AtomicReference<>();
            Thread t = Thread.ofPlatform().daemon().start(() -> {
                try {
                    result.set(a.read(new byte[4]));
                } catch (Throwable e) {
                    result.set(e);
                }
            });
            Thread.sleep(150);
            a.shutdownInput();
            t.join(5000);
            assertFalse(t.isAlive(), "reader still blocked after shutdownInput");
            assertEquals(-1, result.get());
        }
    }

    @Test
    void manyPlainThreadsAndGoroutinesQueuedOnOneStreamAllWakeOnClose() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
             TcpStream b = TcpStream.connect(ln.localAddress())) {
            TcpStream a = ln.accept();
            int n = 8;
            CountDownLatch done = new CountDownLatch(3 * n);
            Runnable reader = () -> {
                try {
                    a.read(new byte[1]);
                    errors.add(new AssertionError("read returned"));
                } catch (SocketException e) {
                    if (!"Socket closed".equals(e.getMessage())) {
                        errors.add(e);
                    }
                } catch (Throwable t) {
                    errors.add(t);
                } finally {
                    done.countDown();
                }
            };
            startOnEveryKind(n, reader);
            Thread.sleep(300);
            assertEquals(3 * n, done.getCount());
            a.close();
            assertTrue(done.await(5, TimeUnit.SECONDS), done.getCount() + " readers still blocked");
        }
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------ scheduler

    @Test
    void parkedReadSurvivesGomaxprocsChanges() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int before = Go.gomaxprocs();
        try {
            NetTesting.withPair((a, b) -> {
                int readers = 8;
                TcpStream[] clones = new TcpStream[readers];
                Latch done = new Latch(readers);
                for (int i = 0; i < readers; i++) {
                    TcpStream c = clones[i] = a.tryClone();
                    NetTesting.go(errors, done, () -> {
                        byte[] one = new byte[1];
                        c.readFully(one);
                    });
                }
                Go.sleep(SETTLE);
                Go.gomaxprocs(1);
                Go.sleep(SETTLE);
                Go.gomaxprocs(4);
                Go.sleep(SETTLE);
                Go.gomaxprocs(2);
                b.writeAll(new byte[readers]);
                NetTesting.awaitOrFail(done, LIMIT, errors);
                for (TcpStream c : clones) {
                    c.close();
                }
            });
        } finally {
            Go.gomaxprocs(before);
        }
        NetTesting.rethrow(errors);
    }

    @Test
    void deadlinesFireWhileGomaxprocsIsOne() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int before = Go.gomaxprocs();
        try {
            Go.gomaxprocs(1);
            NetTesting.withPair((a, b) -> {
                int n = 20;
                TcpStream[] clones = new TcpStream[n];
                Latch done = new Latch(n);
                for (int i = 0; i < n; i++) {
                    TcpStream c = clones[i] = a.tryClone();
                    c.setReadDeadline(Instant.now().plusMillis(100 + 10 * i));
                    NetTesting.go(errors, done, () -> assertThrows(SocketTimeoutException.class, () -> c.read(new byte[1])));
                }
                NetTesting.awaitOrFail(done, LIMIT, errors);
                for (TcpStream c : clones) {
                    c.close();
                }
            });
        } finally {
            Go.gomaxprocs(before);
        }
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------ IPv6

    @Test
    void ipv6LoopbackDeadlinesAndHalfClose() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("[::1]:0");
                 TcpStream a = TcpStream.connect(ln.localAddress(), Duration.ofSeconds(2));
                 TcpStream b = ln.accept()) {
                assertEquals(a.localAddress(), b.peerAddress());
                a.setReadDeadline(Instant.now().plusMillis(100));
                assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
                a.setReadDeadline(null);
                b.writeAll(new byte[] {1, 2, 3});
                b.shutdownOutput();
                assertArrayEquals(new byte[] {1, 2, 3}, a.inputStream().readAllBytes());
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ batch 2

    /**
     * Go's Write returns the count written with the deadline error, so the caller can resume;
     * the Java idiom is InterruptedIOException.bytesTransferred. The peer counts what came.
     */
    @Test
    void writeAllTimeoutTellsHowMuchWasWritten() throws Exception {
        NetTesting.withPair((a, b) -> {
            a.setSendBufferSize(8192);
            a.setWriteDeadline(Instant.now().plusMillis(200));
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> a.writeAll(new byte[16 << 20]));
            a.setWriteDeadline(null);
            a.shutdownOutput();
            long arrived = b.inputStream().transferTo(java.io.OutputStream.nullOutputStream());
            assertTrue(arrived > 0);
            assertEquals(arrived, e.bytesTransferred, "bytes the peer received vs bytesTransferred");
        });
    }

    /** readFully that times out part-way: the bytes already consumed must be accounted for. */
    @Test
    void readFullyTimeoutTellsHowMuchWasRead() throws Exception {
        NetTesting.withPair((a, b) -> {
            b.writeAll(new byte[] {1, 2, 3});
            a.setReadDeadline(Instant.now().plusMillis(200));
            byte[] buf = new byte[10];
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> a.readFully(buf));
            assertEquals(3, e.bytesTransferred, "bytes consumed into the buffer vs bytesTransferred");
        });
    }

    /**
     * Java's soTimeout bounds the wait; data already there is returned even with a tiny one
     * (the JDK tries the read before it waits). Here after a short read, which on epoll makes
     * the next read wait first.
     */
    @Test
    void tinySoTimeoutStillReturnsDataAlreadyWaiting() throws Exception {
        NetTesting.withPair((a, b) -> {
            a.setSoTimeout(Duration.ofNanos(1));
            for (int i = 0; i < 20; i++) {
                b.writeAll(new byte[] {(byte) i});
                Go.sleep(Duration.ofMillis(20));
                byte[] buf = new byte[100];
                int n;
                try {
                    n = a.read(buf); // short: 1 of 100
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("round " + i + ": timed out with a byte waiting", e);
                }
                assertEquals(1, n);
                assertEquals(i, buf[0]);
            }
        });
    }

    /** The same from a platform thread. */
    @Test
    void tinySoTimeoutStillReturnsDataAlreadyWaitingOnAPlainThread() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
             TcpStream a = TcpStream.connect(ln.localAddress());
             TcpStream b = ln.accept()) {
            a.setSoTimeout(Duration.ofNanos(1));
            for (int i = 0; i < 20; i++) {
                b.writeAll(new byte[] {(byte) i});
                Thread.sleep(20);
                byte[] buf = new byte[100];
                int n;
                try {
                    n = a.read(buf);
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("round " + i + ": timed out with a byte waiting", e);
                }
                assertEquals(1, n);
            }
        }
    }

    /**
     * Goroutines that spin without yielding on every P: sysmon hands the Ps off, so a reader
     * goroutine and a virtual thread parked on the poller still get their data promptly.
     */
    @Test
    void spinningGoroutinesDoNotStarveParkedReaders() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            TcpStream c = a.tryClone();
            int procs = Go.gomaxprocs();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Latch spinners = new Latch(procs);
            for (int i = 0; i < procs; i++) {
                NetTesting.go(errors, spinners, () -> {
                    long until = System.nanoTime() + 3_000_000_000L;
                    while (!stop.get() && System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                });
            }
            AtomicReference<Long> gotG = new AtomicReference<>(), gotV = new AtomicReference<>();
            Latch reader = new Latch(1);
            NetTesting.go(errors, reader, () -> {
                a.readFully(new byte[1]);
                gotG.set(System.nanoTime());
            });
            Thread v = Thread.ofVirtual().start(() -> {
                try {
                    c.readFully(new byte[1]);
                    gotV.set(System.nanoTime());
                } catch (Throwable t) {
                    errors.add(t);
                }
            });
            // this goroutine itself needs a P: blocking() hands it off while we sleep
            Go.blocking(() -> {
                Thread.sleep(300);
                return null;
            });
            long sent = System.nanoTime();
            b.writeAll(new byte[] {1, 2});
            Go.blocking(() -> {
                v.join(5000);
                return null;
            });
            NetTesting.awaitOrFail(reader, LIMIT, errors);
            stop.set(true);
            NetTesting.awaitOrFail(spinners, LIMIT, errors);
            c.close();
            assertNotNull(gotG.get());
            assertNotNull(gotV.get());
            long g = (gotG.get() - sent) / 1_000_000, vt = (gotV.get() - sent) / 1_000_000;
            assertTrue(g < 1000 && vt < 1000, "woken after goroutine " + g + " ms, virtual thread " + vt + " ms");
        });
        NetTesting.rethrow(errors);
    }

    /** writeAlls of goroutines, virtual and platform threads on one stream never interleave. */
    @Test
    void concurrentWriteAllsFromEveryKindOfCallerDoNotInterleave() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int block = 256 << 10, perKind = 3, rounds = 4;
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
             TcpStream a = TcpStream.connect(ln.localAddress());
             TcpStream b = ln.accept()) {
            a.setSendBufferSize(16 << 10);
            int writers = 3 * perKind;
            CountDownLatch done = new CountDownLatch(writers);
            List<Runnable> bodies = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                byte id = (byte) (w + 1);
                bodies.add(() -> {
                    try {
                        byte[] buf = new byte[block];
                        java.util.Arrays.fill(buf, id);
                        for (int r = 0; r < rounds; r++) {
                            a.writeAll(buf);
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    } finally {
                        done.countDown();
                    }
                });
            }
            for (int k = 0; k < perKind; k++) {
                Thread.ofPlatform().daemon().start(bodies.get(k));
                Thread.ofVirtual().start(bodies.get(perKind + k));
            }
            Go.run(() -> {
                for (int k = 0; k < perKind; k++) {
                    Go.go(bodies.get(2 * perKind + k));
                }
                return null;
            });
            byte[] got = new byte[block];
            b.setReadDeadline(Instant.now().plusSeconds(20));
            for (int i = 0; i < writers * rounds; i++) {
                b.readFully(got);
                byte first = got[0];
                for (int j = 0; j < block; j++) {
                    if (got[j] != first) {
                        fail("block " + i + " interleaved at byte " + j + ": " + first + " then " + got[j]);
                    }
                }
            }
            assertTrue(done.await(5, TimeUnit.SECONDS));
        }
        NetTesting.rethrow(errors);
    }

    /** shutdownInput's javadoc: further reads see end of stream, also with data queued. */
    @Test
    void shutdownInputWithDataQueuedReadsEndOfStream() throws Exception {
        NetTesting.withPair((a, b) -> {
            b.writeAll(new byte[] {1, 2, 3});
            Go.sleep(Duration.ofMillis(50));
            a.shutdownInput();
            assertEquals(-1, a.read(new byte[8]), "read after shutdownInput");
        });
    }

    @Test
    void plainThreadAcceptHonoursSoTimeoutThenAccepts() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
            ln.setSoTimeout(Duration.ofMillis(150));
            long t0 = System.nanoTime();
            assertThrows(SocketTimeoutException.class, ln::accept);
            long took = millisSince(t0);
            assertTrue(took >= 140 && took < 2000, "took " + took);
            ln.setDeadline(Instant.now().minusSeconds(1));
            assertThrows(SocketTimeoutException.class, ln::accept);
            ln.setDeadline(null);
            try (TcpStream a = TcpStream.connect(ln.localAddress()); TcpStream b = ln.accept()) {
                a.writeAll(new byte[] {1});
                assertEquals(1, b.inputStream().read());
            }
        }
    }

    @Test
    void plainAndVirtualThreadConnectTimesOutOnAFullBacklog() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0", 1)) {
            List<TcpStream> queued = new ArrayList<>();
            try {
                for (boolean virtual : new boolean[] {false, true}) {
                    AtomicReference<Throwable> timeout = new AtomicReference<>();
                    Runnable r = () -> {
                        for (int i = 0; i < 16 && timeout.get() == null; i++) {
                            try {
                                queued.add(TcpStream.connect(ln.localAddress(), Duration.ofMillis(200)));
                            } catch (Throwable e) {
                                timeout.set(e);
                            }
                        }
                    };
                    Thread t = virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
                    t.join(10_000);
                    assertFalse(t.isAlive(), "connect hung, virtual=" + virtual);
                    assertInstanceOf(SocketTimeoutException.class, timeout.get(), "virtual=" + virtual);
                }
            } finally {
                queued.forEach(TcpStream::close);
            }
        }
    }

    /** After shutdownInput and end of stream, data the peer sends later must not appear. */
    @Test
    void shutdownInputThenPeerWritesReadsStayAtEndOfStream() throws Exception {
        NetTesting.withPair((a, b) -> {
            a.shutdownInput();
            assertEquals(-1, a.read(new byte[8]));
            try {
                b.writeAll(new byte[] {1, 2, 3});
            } catch (SocketException peerReset) {
                return; // the kernel refused the data: fine
            }
            Go.sleep(Duration.ofMillis(50));
            a.setReadDeadline(Instant.now().plusSeconds(2));
            assertEquals(-1, a.read(new byte[8]), "read after end of stream from shutdownInput");
        });
    }

    /**
     * A read that parks inside Go.blocking (a file copy from the socket wrapped as Go.blocking,
     * as the README advises for file I/O): it must get its data, and close must wake it.
     */
    @Test
    void readParkedInsideGoBlockingGetsDataAndIsWokenByClose() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            Latch done = new Latch(1);
            AtomicInteger got = new AtomicInteger(-99);
            NetTesting.go(errors, done, () -> got.set(Go.blocking(() -> a.inputStream().read())));
            Go.sleep(SETTLE);
            b.writeAll(new byte[] {12});
            NetTesting.awaitOrFail(done, LIMIT, errors);
            NetTesting.rethrow(errors);
            assertEquals(12, got.get());
            Latch done2 = new Latch(1);
            NetTesting.go(errors, done2, () -> assertThrows(SocketException.class,
                    () -> Go.blocking(() -> a.inputStream().read())));
            Go.sleep(SETTLE);
            a.close();
            NetTesting.awaitOrFail(done2, LIMIT, errors);
        });
        NetTesting.rethrow(errors);
    }

    /**
     * A reader inside Go.blocking queued behind another reader (on the read lock): it must wait
     * its turn and then read, not spin or fail.
     */
    @Test
    void readInsideGoBlockingQueuedBehindAnotherReader() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            Latch done = new Latch(2);
            Set<Integer> seen = ConcurrentHashMap.newKeySet();
            NetTesting.go(errors, done, () -> seen.add(a.inputStream().read()));
            Go.sleep(SETTLE);
            NetTesting.go(errors, done, () -> seen.add(Go.blocking(() -> a.inputStream().read())));
            Go.sleep(SETTLE);
            long cpu0, cpu1;
            try (NetTesting.ProcessCpu cpu = new NetTesting.ProcessCpu()) {
                cpu0 = cpu.nanos();
                Go.sleep(Duration.ofMillis(500));
                cpu1 = cpu.nanos();
            }
            b.writeAll(new byte[] {1});
            Go.sleep(SETTLE);
            b.writeAll(new byte[] {2});
            NetTesting.awaitOrFail(done, LIMIT, errors);
            NetTesting.rethrow(errors);
            assertEquals(Set.of(1, 2), seen);
            assertTrue(cpu1 - cpu0 < 250_000_000L, "the queued reader burnt " + (cpu1 - cpu0) / 1_000_000 + " ms of CPU in 500 ms");
        });
        NetTesting.rethrow(errors);
    }

    /** A goroutine locked to its thread parks in read: data, deadline and close all wake it. */
    @Test
    void lockedGoroutineParkedInReadWakes() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        NetTesting.withPair((a, b) -> {
            Latch done = new Latch(1);
            NetTesting.go(errors, done, () -> {
                Go.lockOSThread();
                try {
                    assertEquals(1, a.inputStream().read());
                    a.setReadDeadline(Instant.now().plusMillis(100));
                    assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
                    a.setReadDeadline(null);
                    assertThrows(SocketException.class, () -> a.read(new byte[1]));
                } finally {
                    Go.unlockOSThread();
                }
            });
            Go.sleep(SETTLE);
            b.writeAll(new byte[] {1});
            Go.sleep(Duration.ofMillis(400));
            a.close();
            NetTesting.awaitOrFail(done, LIMIT, errors);
        });
        NetTesting.rethrow(errors);
    }

    /** Goroutines, virtual and platform threads queued to read one stream each get one byte. */
    @Test
    void mixedReadersQueuedOnOneStreamEachGetTheirByte() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
             TcpStream a = TcpStream.connect(ln.localAddress());
             TcpStream b = ln.accept()) {
            int n = 4;
            Set<Integer> seen = ConcurrentHashMap.newKeySet();
            CountDownLatch done = new CountDownLatch(3 * n);
            Runnable reader = () -> {
                try {
                    int v = a.inputStream().read();
                    if (!seen.add(v)) {
                        errors.add(new AssertionError("byte " + v + " read twice"));
                    }
                } catch (Throwable t) {
                    errors.add(t);
                } finally {
                    done.countDown();
                }
            };
            startOnEveryKind(n, reader);
            Thread.sleep(200);
            for (int i = 0; i < 3 * n; i++) {
                b.writeAll(new byte[] {(byte) i});
                Thread.sleep(5);
            }
            assertTrue(done.await(5, TimeUnit.SECONDS), done.getCount() + " readers still blocked");
            assertEquals(3 * n, seen.size());
        }
        NetTesting.rethrow(errors);
    }

    @Test
    void lingerRoundTripsAndLargeValuesDoNotBreakIt() throws Exception {
        NetTesting.withPair((a, b) -> {
            assertEquals(-1, a.linger());
            a.setLinger(0);
            assertEquals(0, a.linger());
            a.setLinger(7);
            assertEquals(7, a.linger());
            a.setLinger(-5);
            assertEquals(-1, a.linger());
            a.setLinger(65535);
            assertEquals(65535, a.linger());
            a.setLinger(Integer.MAX_VALUE);
            assertEquals(65535, a.linger(), "capped as the JDK caps it");
            a.setLinger(-1);
        });
    }
}
