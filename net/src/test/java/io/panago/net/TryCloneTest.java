package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.SocketException;
import java.time.Duration;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * tryClone: a dup(2) of the socket with a poll registration of its own. One goroutine reads
 * the original while another writes the clone; closing either leaves the other working
 * (epoll(7): the dup keeps the registration of a closed fd alive unless it is removed first).
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TryCloneTest {
    private static final long HUNDRED_MIB = 100L << 20;

    /** Writes {@code total} bytes of stream {@code seed} in random chunks, then half-closes. */
    private static void send(TcpStream w, long seed, long total) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] buf = new byte[128 * 1024];
        for (long pos = 0; pos < total; ) {
            int n = (int) Math.min(r.nextInt(1, buf.length + 1), total - pos);
            Payload.fill(seed, pos, buf, 0, n);
            w.writeAll(buf, 0, n);
            pos += n;
        }
        w.shutdownOutput();
    }

    /** Reads stream {@code seed} to its end, checking every byte; returns the count. */
    private static long receive(TcpStream s, long seed) throws Exception {
        byte[] buf = new byte[128 * 1024], scratch = new byte[buf.length];
        long pos = 0;
        int n;
        while ((n = s.read(buf)) > 0) {
            long bad = Payload.mismatch(seed, pos, buf, 0, n, scratch);
            if (bad >= 0) {
                throw new AssertionError("stream " + seed + ": byte " + bad + " differs");
            }
            pos += n;
        }
        return pos;
    }

    @Test
    void readerAndWriterGoroutinesMoveAHundredMebibytesEachWay() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        long[] got = new long[2];
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept();
                 TcpStream aw = a.tryClone();
                 TcpStream bw = b.tryClone()) {
                Latch done = new Latch(4);
                NetTesting.go(errors, done, () -> send(aw, 1, HUNDRED_MIB));
                NetTesting.go(errors, done, () -> send(bw, 2, HUNDRED_MIB));
                NetTesting.go(errors, done, () -> got[0] = receive(b, 1));
                NetTesting.go(errors, done, () -> got[1] = receive(a, 2));
                done.await();
            }
            return null;
        });
        NetTesting.rethrow(errors);
        assertEquals(HUNDRED_MIB, got[0]);
        assertEquals(HUNDRED_MIB, got[1]);
    }

    private static void closingOneHalfLeavesTheOther(boolean closeOriginal) throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream peer = TcpStream.connect(ln.localAddress())) {
                TcpStream original = ln.accept();
                TcpStream clone = original.tryClone();
                TcpStream gone = closeOriginal ? original : clone, kept = closeOriginal ? clone : original;
                assertEquals(original.peerAddress(), clone.peerAddress());
                // Park a reader on the half that stays, then close the other one under it.
                Latch read = new Latch(1);
                NetTesting.go(errors, read, () -> assertEquals(77, kept.inputStream().read()));
                Go.sleep(Duration.ofMillis(30));
                gone.close();
                assertInstanceOf(SocketException.class, failureOf(() -> gone.read(new byte[1])));
                Go.sleep(Duration.ofMillis(30));
                peer.writeAll(new byte[] {77});
                read.await();
                // Both directions keep working, with parking, on the survivor.
                for (int i = 0; i < 50; i++) {
                    Latch round = new Latch(1);
                    int v = i;
                    NetTesting.go(errors, round, () -> assertEquals(v, kept.inputStream().read()));
                    Go.yield();
                    peer.writeAll(new byte[] {(byte) v});
                    round.await();
                    kept.writeAll(new byte[] {(byte) (v + 1)});
                    assertEquals(v + 1, peer.inputStream().read());
                }
                kept.close();
                assertEquals(-1, peer.read(new byte[1]));
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    private interface Call {
        void run() throws Exception;
    }

    private static Throwable failureOf(Call c) {
        try {
            c.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    @Test
    void closingTheCloneLeavesTheOriginalWorking() throws Exception {
        closingOneHalfLeavesTheOther(false);
    }

    @Test
    void closingTheOriginalLeavesTheCloneWorking() throws Exception {
        closingOneHalfLeavesTheOther(true);
    }

    @Test
    void closeWakesOnlyTheWaitersOfTheClosedHalf() throws Exception {
        AtomicReference<Throwable> cloneReader = new AtomicReference<>();
        Queue<Throwable> errors = NetTesting.errors();
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream peer = TcpStream.connect(ln.localAddress());
                 TcpStream original = ln.accept()) {
                TcpStream clone = original.tryClone();
                Latch both = new Latch(2);
                Go.go(() -> {
                    try {
                        clone.read(new byte[1]);
                    } catch (Throwable t) {
                        cloneReader.set(t);
                    } finally {
                        both.countDown();
                    }
                });
                NetTesting.go(errors, both, () -> assertEquals(5, original.inputStream().read()));
                Go.sleep(Duration.ofMillis(30));
                clone.close();
                Go.sleep(Duration.ofMillis(30));
                assertNull(errors.peek());
                peer.writeAll(new byte[] {5});
                both.await();
            }
            return null;
        });
        NetTesting.rethrow(errors);
        assertInstanceOf(SocketException.class, cloneReader.get());
        assertEquals("Socket closed", cloneReader.get().getMessage());
    }
}
