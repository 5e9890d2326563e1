package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After a read that returned fewer bytes than asked, the next read waits before it tries the
 * syscall (on epoll; PollDesc.shortReadDrains): it must still see data that came in between,
 * data queued behind an urgent mark, deadlines and close.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShortReadTest {
    private static void withPair(NetTesting.Pair body) throws Exception {
        NetTesting.withPair((a, b) -> {
            a.setReadDeadline(Instant.now().plusSeconds(20)); // a hang fails, not stalls
            body.run(a, b);
        });
    }

    private static String read(TcpStream s, int len) throws Exception {
        byte[] buf = new byte[len];
        int n = s.read(buf);
        return n < 0 ? "EOF" : new String(buf, 0, n, StandardCharsets.US_ASCII);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void dataThatArrivedAfterAShortReadIsRead() throws Exception {
        withPair((a, b) -> {
            b.writeAll(ascii("abc"));
            assertEquals("abc", read(a, 64));
            b.writeAll(ascii("def"));
            // The poller may or may not have seen "def" yet: either way the read returns it.
            assertEquals("def", read(a, 64));
            b.writeAll(ascii("gh"));
            Go.sleep(Duration.ofMillis(20)); // the idle M polls: "gh" is seen before the read
            assertEquals("gh", read(a, 64));
            b.close();
            assertEquals("EOF", read(a, 64));
            assertEquals("EOF", read(a, 64));
        });
    }

    /**
     * The peer's FIN came before the reads and the poller saw it: the short read before the
     * end of stream must not wait for an event that already came.
     */
    @Test
    void endOfStreamThatCameBeforeTheShortReadIsSeen() throws Exception {
        withPair((a, b) -> {
            b.writeAll(ascii("abc"));
            b.close();
            Go.sleep(Duration.ofMillis(50)); // the idle M polls and sees EPOLLIN|EPOLLRDHUP
            assertEquals("abc", read(a, 64));
            assertEquals("EOF", read(a, 64));
        });
    }

    /**
     * Urgent data: a read stops short at the urgent mark with data still queued behind it,
     * and no new event will come for that data. The sleep lets the poller see every event
     * before the reads, the case where waiting first would hang.
     */
    @Test
    void bytesBehindAnUrgentMarkAreNotStranded() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                Queue<Throwable> errors = NetTesting.errors();
                Latch sent = new Latch(1);
                Thread peer = Thread.ofPlatform().start(() -> {
                    try (Socket s = new Socket(ln.localAddress().getAddress(), ln.localAddress().getPort())) {
                        OutputStream out = s.getOutputStream();
                        out.write(ascii("abc"));
                        s.sendUrgentData('X');
                        out.write(ascii("def"));
                        out.flush();
                        sent.countDown();
                        // Keep the connection open until the reader is done with it.
                        assertEquals(-1, s.getInputStream().read());
                    } catch (Throwable t) {
                        errors.add(t);
                        sent.countDown();
                    }
                });
                try (TcpStream a = ln.accept()) {
                    a.setReadDeadline(Instant.now().plusSeconds(20));
                    sent.await();
                    Go.sleep(Duration.ofMillis(50));
                    StringBuilder got = new StringBuilder();
                    while (got.length() < 6) {
                        got.append(read(a, 64));
                    }
                    assertEquals("abcdef", got.toString());
                } finally {
                    Go.blocking(() -> {
                        peer.join();
                        return null;
                    });
                }
                NetTesting.rethrow(errors);
            }
            return null;
        });
    }

    @Test
    void deadlineExpiresWhileWaitingAfterAShortRead() throws Exception {
        withPair((a, b) -> {
            b.writeAll(ascii("abc"));
            assertEquals("abc", read(a, 64));
            a.setReadDeadline(Instant.now().plusMillis(100));
            long t0 = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> read(a, 64));
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(took >= 90 && took < 5000, "timed out after " + took + " ms");
            a.setReadDeadline(Instant.now().minusSeconds(1));
            assertThrows(SocketTimeoutException.class, () -> read(a, 64));
            a.setReadDeadline(Instant.now().plusSeconds(20));
            b.writeAll(ascii("d"));
            assertEquals("d", read(a, 64));
        });
    }

    @Test
    void closeWakesAReaderWaitingAfterAShortRead() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        withPair((a, b) -> {
            b.writeAll(ascii("abc"));
            assertEquals("abc", read(a, 64));
            Latch done = new Latch(1);
            NetTesting.go(errors, done, () -> assertThrows(SocketException.class, () -> read(a, 64)));
            Go.sleep(Duration.ofMillis(50)); // let it park
            a.close();
            NetTesting.awaitOrFail(done, Duration.ofSeconds(20), errors);
        });
        NetTesting.rethrow(errors);
    }

    /** A read on a plain thread after a short read waits in poll(2), which is level-triggered. */
    @Test
    void plainThreadReadsAfterAShortRead() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
             TcpStream a = TcpStream.connect(ln.localAddress());
             TcpStream b = ln.accept()) {
            a.setReadDeadline(Instant.now().plusSeconds(20));
            b.writeAll(ascii("abc"));
            assertEquals("abc", read(a, 64));
            b.writeAll(ascii("de"));
            assertEquals("de", read(a, 64));
            Thread late = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(50); // the reader blocks first
                    b.writeAll(ascii("fg"));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals("fg", read(a, 64));
            late.join();
        }
    }
}
