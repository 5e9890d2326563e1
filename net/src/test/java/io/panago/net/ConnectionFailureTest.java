package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the peer and the kernel can do to a connection: reset, half-close, refuse, ignore;
 * and what the caller can get wrong (bounds, a taken port). Each maps to the JDK's
 * exception with the errno named.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@SuppressWarnings("try") // closing inside try-with-resources is what these tests do
class ConnectionFailureTest {

    @Test
    void peerResetWakesParkedReaderWithConnectionReset() throws Exception {
        AtomicReference<Throwable> readFailure = new AtomicReference<>();
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress())) {
                TcpStream b = ln.accept();
                a.writeAll(new byte[1000]);
                b.readFully(new byte[10]);
                Latch done = new Latch(1);
                Go.go(() -> {
                    try {
                        byte[] buf = new byte[100];
                        // The 990 bytes left in b's buffer are discarded by the reset; a sees none.
                        int n = a.read(buf);
                        readFailure.set(new AssertionError("read returned " + n));
                    } catch (Throwable t) {
                        readFailure.set(t);
                    } finally {
                        done.countDown();
                    }
                });
                Go.sleep(Duration.ofMillis(30));
                b.setLinger(0);
                b.close();
                done.await();
                SocketException w = assertThrows(SocketException.class, () -> {
                    for (int i = 0; i < 100; i++) {
                        a.writeAll(new byte[1024]);
                    }
                });
                // Windows has no EPIPE: a send to a reset peer is WSAECONNRESET there.
                assertTrue((!FakeKernelSession.windowsSockets() && w.getMessage().startsWith("Broken pipe (EPIPE)"))
                        || w.getMessage().startsWith("Connection reset (" + NetTesting.errno("ECONNRESET") + ")"),
                        w.getMessage());
            }
            return null;
        });
        Throwable t = readFailure.get();
        assertInstanceOf(SocketException.class, t);
        assertEquals("Connection reset (" + NetTesting.errno("ECONNRESET") + "): read", t.getMessage());
    }

    /**
     * Shutting a side of a connection that is gone succeeds, as the JDK's does (shutdown(2)
     * says ENOTCONN): after a reset, and after both sides closed their output; a read then sees
     * end of stream, on the stream and on a clone.
     */
    @Test
    void shutdownOfAConnectionAlreadyGoneSucceeds() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept();
                 TcpStream a2 = a.tryClone()) {
                b.setLinger(0);
                b.close();
                SocketException reset = assertThrows(SocketException.class, () -> a.read(new byte[1]));
                assertTrue(reset.getMessage().startsWith("Connection reset"), reset.getMessage());
                a.shutdownOutput();
                a.shutdownInput();
                assertEquals(-1, a.read(new byte[1]));
                assertEquals(-1, a2.read(new byte[1]));
                // Only shutdown takes ENOTCONN for success: asking the kernel for the peer
                // still fails, not answers nothing.
                SocketException gone = assertThrows(SocketException.class, () -> a.fd().address(true));
                assertTrue(gone.getMessage().contains(NetTesting.errno("ENOTCONN")), gone.getMessage());
            }
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                b.shutdownOutput();
                assertEquals(-1, a.read(new byte[1]));
                a.shutdownOutput();
                assertEquals(-1, b.read(new byte[1]));
                a.shutdownInput();
                a.shutdownOutput();
                b.shutdownInput();
                assertEquals(-1, a.read(new byte[1]));
            }
            return null;
        });
    }

    /**
     * A client resets its connection before the server accepts it; the listener keeps working.
     * Linux's accept (the stand-ins' too, which accept through Linux) hands the dead connection
     * over, and its first read reports the reset. On macOS every socket option fails with EINVAL
     * on a connection shut both ways, SO_NOSIGPIPE in accept's set-up included, so the macOS
     * socket layer drops it as ECONNABORTED (as BSD's own accept may), which accept skips: the
     * next connection comes out.
     */
    @Test
    void aConnectionResetBeforeAcceptNeitherFailsNorStallsTheListener() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                TcpStream reset = TcpStream.connect(ln.localAddress());
                InetSocketAddress resetFrom = reset.localAddress();
                reset.setLinger(0);
                reset.close();
                try (TcpStream next = TcpStream.connect(ln.localAddress())) {
                    next.writeAll(new byte[] {42});
                    if (!NetTesting.macosSockets()) {
                        try (TcpStream dead = ln.accept()) {
                            if (!FakeKernelSession.windowsSockets()) {
                                // From accept's own sockaddr, as Go's RemoteAddr: getpeername
                                // would fail (ENOTCONN) on a connection already reset.
                                assertEquals(resetFrom, dead.peerAddress());
                            }
                            SocketException e = assertThrows(SocketException.class, () -> dead.read(new byte[1]));
                            assertEquals("Connection reset (" + NetTesting.errno("ECONNRESET") + "): read", e.getMessage());
                        }
                    }
                    try (TcpStream s = ln.accept()) {
                        byte[] b = new byte[1];
                        assertEquals(1, s.read(b));
                        assertEquals(42, b[0]);
                    }
                }
            }
            return null;
        });
    }

    @Test
    void halfCloseLetsThePeerReadToTheEndAndStillAnswer() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream client = TcpStream.connect(ln.localAddress())) {
                Latch done = new Latch(1);
                TcpStream server = ln.accept();
                NetTesting.go(errors, done, () -> {
                    try (server) {
                        byte[] all = server.inputStream().readAllBytes();
                        server.writeAll(("got " + all.length).getBytes(StandardCharsets.UTF_8));
                    }
                });
                client.writeAll(new byte[12345]);
                client.shutdownOutput();
                assertThrows(SocketException.class, () -> client.writeAll(new byte[1]));
                assertEquals("got 12345", new String(client.inputStream().readAllBytes(), StandardCharsets.UTF_8));
                assertEquals(-1, client.read(new byte[1]));
                done.await();
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void shutdownInputMakesReadsSeeEndOfStream() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                a.shutdownInput();
                assertEquals(-1, a.read(new byte[8]));
                a.writeAll(new byte[] {7});
                assertEquals(7, b.inputStream().read());
            }
            return null;
        });
    }

    @Test
    void connectToAClosedPortIsRefused() throws Exception {
        Go.run(() -> {
            InetSocketAddress addr;
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                addr = ln.localAddress();
            }
            ConnectException e = assertThrows(ConnectException.class, () -> TcpStream.connect(addr));
            assertEquals("Connection refused (" + NetTesting.errno("ECONNREFUSED") + "): connect 127.0.0.1:"
                    + addr.getPort(), e.getMessage());
            assertThrows(ConnectException.class, () -> TcpStream.connect("127.0.0.1:" + addr.getPort(), Duration.ofSeconds(5)));
            return null;
        });
    }

    /**
     * A listener that never accepts and has a backlog of 1 holds two connections; the SYN of
     * the next is dropped, so its connect can only end by the timeout.
     */
    @Test
    void connectTimesOutWhenTheBacklogIsFull() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0", 1)) {
                List<TcpStream> queued = new ArrayList<>();
                SocketTimeoutException timeout = null;
                long took = 0;
                try {
                    for (int i = 0; i < 16 && timeout == null; i++) {
                        long t0 = System.nanoTime();
                        try {
                            queued.add(TcpStream.connect(ln.localAddress(), Duration.ofMillis(300)));
                        } catch (SocketTimeoutException e) {
                            timeout = e;
                            took = System.nanoTime() - t0;
                        }
                    }
                } finally {
                    queued.forEach(TcpStream::close);
                }
                assertNotNull(timeout, "every connect succeeded");
                assertTrue(queued.size() >= 1, "the backlog held " + queued.size());
                assertTrue(took >= 290_000_000L && took < 5_000_000_000L, "timed out after " + took / 1_000_000 + " ms");
                assertTrue(timeout.getMessage().startsWith("Connect timed out"), timeout.getMessage());
            }
            return null;
        });
    }

    @Test
    void bindingATakenPortIsBindException() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                String addr = "127.0.0.1:" + ln.localAddress().getPort();
                BindException e = assertThrows(BindException.class, () -> TcpListener.bind(addr));
                assertEquals("Address already in use (" + NetTesting.errno("EADDRINUSE") + "): bind " + addr,
                        e.getMessage());
            }
            return null;
        });
    }

    @Test
    void badOffsetsFailBeforeTouchingTheSocket() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                byte[] buf = new byte[8];
                b.writeAll(new byte[] {1, 2, 3});
                assertThrows(IndexOutOfBoundsException.class, () -> a.read(buf, -1, 2));
                assertThrows(IndexOutOfBoundsException.class, () -> a.read(buf, 4, 5));
                assertThrows(IndexOutOfBoundsException.class, () -> a.readFully(buf, 0, 9));
                assertThrows(IndexOutOfBoundsException.class, () -> a.readNBytes(buf, 9, 0));
                assertThrows(IndexOutOfBoundsException.class, () -> a.write(buf, 8, 1));
                assertThrows(IndexOutOfBoundsException.class, () -> a.writeAll(buf, 2, -1));
                assertThrows(IndexOutOfBoundsException.class, () -> a.inputStream().read(buf, 1, 8));
                assertThrows(IndexOutOfBoundsException.class, () -> a.outputStream().write(buf, 0, 100));
                assertThrows(NullPointerException.class, () -> a.read(null, 0, 1));
                // Nothing was consumed or sent by the rejected calls.
                a.readFully(buf, 0, 3);
                assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOf(buf, 3));
                a.close();
                // On a closed stream the bounds still come first: a bad call never gets as far.
                assertThrows(IndexOutOfBoundsException.class, () -> a.read(buf, 0, 9));
                assertThrows(IndexOutOfBoundsException.class, () -> a.writeAll(buf, -3, 1));
                assertEquals(0, b.read(buf, 0, 0));
                assertEquals(-1, b.read(buf));
            }
            return null;
        });
    }

    @Test
    void zeroLengthCallsReturnAtOnce() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                assertEquals(0, a.read(new byte[0]));
                assertEquals(0, a.write(new byte[4], 4, 0));
                a.writeAll(new byte[0]);
                b.close();
            }
            return null;
        });
    }
}
