package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Go's deadlines (absolute, per direction, applying to calls already waiting) and Java's
 * soTimeout (per call): expiry throws SocketTimeoutException and leaves the stream usable.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DeadlineTest {
    private static void withPair(NetTesting.Pair body) throws Exception {
        NetTesting.withPair(body);
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void readDeadlineExpiresAndANewOneMakesTheStreamUsableAgain() throws Exception {
        withPair((a, b) -> {
            long t0 = System.nanoTime();
            a.setReadDeadline(Instant.now().plusMillis(150));
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> a.read(new byte[4]));
            long took = millisSince(t0);
            assertEquals("Read timed out", e.getMessage());
            assertTrue(took >= 140 && took < 3000, "timed out after " + took + " ms");
            // Still expired: fails at once, even with data waiting (as Go).
            b.writeAll(new byte[] {42});
            assertThrows(SocketTimeoutException.class, () -> a.read(new byte[4]));
            a.setReadDeadline(Instant.now().plusSeconds(30));
            assertEquals(42, a.inputStream().read());
            a.setReadDeadline(null);
            b.writeAll(new byte[] {43});
            assertEquals(43, a.inputStream().read());
        });
    }

    @Test
    void deadlineExtendedWhileParkedLetsTheReadFinish() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        withPair((a, b) -> {
            // Extended long before it would expire; the data comes after the old deadline.
            a.setReadDeadline(Instant.now().plusMillis(600));
            Latch done = new Latch(1);
            NetTesting.go(errors, done, () -> assertEquals(9, a.inputStream().read()));
            Go.sleep(Duration.ofMillis(50));
            a.setReadDeadline(Instant.now().plusSeconds(30));
            Go.sleep(Duration.ofMillis(800));
            b.writeAll(new byte[] {9});
            done.await();
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void deadlineMovedIntoThePastWakesTheParkedReader() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        withPair((a, b) -> {
            Latch done = new Latch(1);
            NetTesting.go(errors, done, () -> assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1])));
            Go.sleep(Duration.ofMillis(50));
            a.setDeadline(Instant.now().minusSeconds(1));
            done.await();
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void readAndWriteDeadlinesAreIndependent() throws Exception {
        withPair((a, b) -> {
            a.setReadDeadline(Instant.now().minusMillis(1));
            a.writeAll(new byte[] {1, 2});
            assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
            b.readFully(new byte[2]);
            a.setReadDeadline(null);
            a.setWriteDeadline(Instant.now().minusMillis(1));
            b.writeAll(new byte[] {5});
            assertEquals(5, a.inputStream().read());
            assertThrows(SocketTimeoutException.class, () -> a.writeAll(new byte[1]));
        });
    }

    @Test
    void writeDeadlineExpiresWhileThePeerDoesNotRead() throws Exception {
        withPair((a, b) -> {
            a.setSendBufferSize(8192);
            a.setWriteDeadline(Instant.now().plusMillis(200));
            long t0 = System.nanoTime();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> a.writeAll(new byte[16 << 20]));
            assertEquals("Write timed out", e.getMessage());
            assertTrue(millisSince(t0) >= 190, "timed out after " + millisSince(t0) + " ms");
            a.setWriteDeadline(null);
            a.shutdownOutput();
            long drained = b.inputStream().transferTo(java.io.OutputStream.nullOutputStream());
            assertTrue(drained > 0 && drained < (16 << 20), "drained " + drained);
        });
    }

    @Test
    void soTimeoutBoundsEachReadAndRestarts() throws Exception {
        withPair((a, b) -> {
            a.setSoTimeout(Duration.ofMillis(100));
            assertEquals(Duration.ofMillis(100), a.soTimeout());
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
                assertTrue(millisSince(t0) >= 90, "timed out after " + millisSince(t0) + " ms");
            }
            b.writeAll(new byte[] {3});
            assertEquals(3, a.inputStream().read());
            a.setSoTimeout(Duration.ZERO);
            a.setReadDeadline(Instant.now().plusMillis(100));
            assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
        });
    }

    @Test
    void acceptHonoursDeadlineAndSoTimeout() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                ln.setSoTimeout(Duration.ofMillis(100));
                long t0 = System.nanoTime();
                SocketTimeoutException e = assertThrows(SocketTimeoutException.class, ln::accept);
                assertEquals("Accept timed out", e.getMessage());
                assertTrue(millisSince(t0) >= 90);
                ln.setSoTimeout(Duration.ZERO);
                ln.setDeadline(Instant.now().plusMillis(100));
                assertEquals("Accept timed out", assertThrows(SocketTimeoutException.class, ln::accept).getMessage());
                // Already past: refused before any wait, with the same text.
                assertEquals("Accept timed out", assertThrows(SocketTimeoutException.class, ln::accept).getMessage());
                ln.setDeadline(null);
                try (TcpStream c = TcpStream.connect(ln.localAddress()); TcpStream s = ln.accept()) {
                    assertEquals(c.localAddress(), s.peerAddress());
                }
            }
            return null;
        });
    }

    /** Many goroutines with staggered deadlines: each times out, none early, none stuck. */
    @Test
    void manyDeadlinesFireEachNoEarlierThanSet() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        AtomicInteger timedOut = new AtomicInteger();
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                int n = 200;
                Latch done = new Latch(n);
                for (int i = 0; i < n; i++) {
                    int ms = 20 + (i % 20) * 10;
                    NetTesting.go(errors, done, () -> {
                        try (TcpStream s = TcpStream.connect(ln.localAddress())) {
                            long t0 = System.nanoTime();
                            s.setReadDeadline(Instant.now().plusMillis(ms));
                            assertThrows(SocketTimeoutException.class, () -> s.read(new byte[1]));
                            // 1 ms of slack for the wall clock's and the monotonic clock's rounding
                            assertTrue(millisSince(t0) >= ms - 1, "woke after " + millisSince(t0) + " of " + ms + " ms");
                            timedOut.incrementAndGet();
                        }
                    });
                }
                java.util.List<TcpStream> accepted = new java.util.ArrayList<>();
                for (int i = 0; i < n; i++) {
                    accepted.add(ln.accept());
                }
                done.await();
                accepted.forEach(TcpStream::close);
            }
            return null;
        });
        NetTesting.rethrow(errors);
        assertEquals(200, timedOut.get());
    }
}
