package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hunt for bugs in the TCP API against the JDK's {@code java.net.Socket} (stream views,
 * addresses, options) and Go's {@code net.Conn} (deadlines, address parsing).
 */
@ExtendWith(NetTesting.class)
@Timeout(60)
class NetApiHuntTest {

    /**
     * A JDK socket returns its endpoints after close (getLocalSocketAddress and
     * getRemoteSocketAddress, checked with an accepted java.net.Socket), and Go's accept reads
     * both addresses into the netFD; an accepted stream threw "Socket closed" for them after
     * close, and its toString showed "? -> ?" until they were asked for.
     */
    @Test
    void acceptedStreamKeepsItsAddressesAfterClose() throws Exception {
        NetTesting.withPair((a, b) -> {
            InetSocketAddress al = a.localAddress(), ap = a.peerAddress();
            assertTrue(b.toString().contains(":" + al.getPort()), b.toString());
            b.close();
            assertEquals(ap, b.localAddress());
            assertEquals(al, b.peerAddress());
            assertTrue(b.toString().contains(":" + al.getPort()), b.toString());
            TcpStream c;
            try (TcpListener ln = TcpListener.bind("[::1]:0")) {
                c = TcpStream.connect(ln.localAddress());
                try (TcpStream d = ln.accept(); TcpStream e = d.tryClone()) {
                    d.close();
                    assertEquals(ln.localAddress(), e.localAddress());
                    assertEquals(c.localAddress(), d.peerAddress());
                    assertEquals(ln.localAddress(), d.localAddress());
                }
            }
            c.close();
        });
    }

    /**
     * A JDK socket stream's available() throws "Socket closed" once the socket is closed
     * (checked with a java.net.Socket on JDK 25); this view returned 0 for ever.
     */
    @Test
    void availableOfTheInputViewThrowsOnceClosedAsTheJdks() throws Exception {
        NetTesting.withPair((a, b) -> {
            b.writeAll(new byte[] {1, 2});
            InputStream in = a.inputStream();
            assertEquals(1, in.read());
            assertTrue(in.available() >= 0);
            a.shutdownInput();
            assertTrue(in.available() >= 0);
            a.close();
            SocketException e = assertThrows(SocketException.class, in::available);
            assertEquals("Socket closed", e.getMessage());
            b.close();
            assertThrows(SocketException.class, () -> b.inputStream().available());
        });
    }

    /**
     * A JDK socket's InputStream returns 0 from read(b, off, 0) and its OutputStream ignores
     * write(b, off, 0) even once the socket is closed (checked with java.net.Socket on JDK 25;
     * InputStream's contract: "If len is zero, then no bytes are read and 0 is returned").
     * The views threw "Socket closed". The stream's own calls keep Go's behaviour.
     */
    @Test
    void zeroLengthViewCallsOnAClosedStreamAreNoOpsAsTheJdks() throws Exception {
        NetTesting.withPair((a, b) -> {
            InputStream in = a.inputStream();
            OutputStream out = a.outputStream();
            a.close();
            assertEquals(0, in.read(new byte[4], 4, 0));
            assertEquals(0, in.read(new byte[0]));
            out.write(new byte[0]);
            out.write(new byte[4], 2, 0);
            assertEquals(0, in.readNBytes(0).length);
            assertThrows(IndexOutOfBoundsException.class, () -> in.read(new byte[4], 3, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> out.write(new byte[4], 5, 0));
            SocketException e = assertThrows(SocketException.class, () -> in.read(new byte[4], 0, 1));
            assertEquals("Socket closed", e.getMessage());
            e = assertThrows(SocketException.class, () -> out.write(new byte[4], 0, 1));
            assertEquals("Socket closed", e.getMessage());
            assertThrows(SocketException.class, () -> a.read(new byte[0], 0, 0));
            assertThrows(SocketException.class, () -> a.writeAll(new byte[0]));
        });
    }

    /**
     * Go's FD.Read returns 0 for an empty buffer right after taking the read lock, before
     * prepareRead checks the deadline (internal/poll/fd_unix.go); its Write checks the deadline
     * first (prepareWrite) even for an empty buffer. A zero-length read past the read deadline
     * threw SocketTimeoutException here.
     */
    @Test
    void zeroLengthReadPastTheDeadlineReturnsZeroAsGos() throws Exception {
        NetTesting.withPair((a, b) -> {
            a.setDeadline(Instant.now().minusSeconds(1));
            assertEquals(0, a.read(new byte[0]));
            assertEquals(0, a.read(new byte[4], 4, 0));
            assertEquals(0, a.inputStream().read(new byte[4], 1, 0));
            assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
            assertThrows(SocketTimeoutException.class, () -> a.write(new byte[0]));
            a.setDeadline(null);
            a.setSoTimeout(Duration.ofNanos(1));
            assertEquals(0, a.read(new byte[0]));
            b.writeAll(new byte[] {4});
            a.setSoTimeout(Duration.ZERO);
            assertEquals(4, a.inputStream().read());
            assertEquals(0, a.read(new byte[0]));
            b.close();
            assertEquals(-1, a.read(new byte[1]));
            assertEquals(0, a.read(new byte[0]));
        });
    }

    /**
     * Each backend reports a write after shutdownOutput as a SocketException (the errno is the
     * platform's: EPIPE on Unix, WSAESHUTDOWN on Windows, as in Go and the JDK); the peer sees
     * end of stream; a second shutdown of either side is harmless.
     */
    @Test
    void writeAfterShutdownOutputIsASocketExceptionOnEveryBackend() throws Exception {
        NetTesting.withPair((a, b) -> {
            a.shutdownOutput();
            assertThrows(SocketException.class, () -> a.write(new byte[1]));
            assertThrows(SocketException.class, () -> a.outputStream().write(1));
            assertEquals(-1, b.read(new byte[1]));
            a.shutdownOutput();
            a.shutdownInput();
            a.shutdownInput();
            assertEquals(-1, a.read(new byte[1]));
            b.writeAll(new byte[] {1});
        });
    }

    @Test
    void ipv6LiteralWithZoneConnects() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("[::1]:0");
                 TcpStream a = TcpStream.connect("[::1%lo]:" + ln.localAddress().getPort());
                 TcpStream b = ln.accept()) {
                a.writeAll(new byte[] {7});
                assertEquals(7, b.inputStream().read());
            }
            return null;
        });
    }

    /**
     * Go's parsePort counts digits, not characters: "127.0.0.1:0000080" dials port 80, and a
     * huge number is "invalid port" rather than wrapping. The javadoc promises decimal 0 to
     * 65535; the parser refused more than 5 characters.
     */
    @Test
    void portWithLeadingZerosParsesAsGos() throws Exception {
        assertEquals(80, Addresses.split("127.0.0.1:0000080").port());
        assertEquals(0, Addresses.split("[::1]:000000").port());
        assertEquals(65535, Addresses.split(":0000065535").port());
        for (String bad : new String[] {"h:0000065536", "h:99999999999999999999", "h:4294967376"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Addresses.split(bad));
            assertEquals("address " + bad + ": invalid port", e.getMessage());
        }
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:000");
                 TcpStream a = TcpStream.connect("127.0.0.1:00000" + ln.localAddress().getPort());
                 TcpStream b = ln.accept()) {
                assertEquals(a.localAddress(), b.peerAddress());
            }
            return null;
        });
    }

    @Test
    void unresolvableNameIsUnknownHostOnGoroutinesAndPlainThreads() throws Exception {
        assertThrows(UnknownHostException.class, () -> TcpStream.connect("nosuch.invalid:80"));
        Go.run(() -> {
            assertThrows(UnknownHostException.class, () -> TcpStream.connect("nosuch.invalid:80", Duration.ofSeconds(5)));
            assertThrows(UnknownHostException.class, () -> TcpListener.bind("nosuch.invalid:0"));
            return null;
        });
    }

    @Test
    void localhostWorksFromPlainThreadsAndGoroutines() throws Exception {
        try (TcpListener ln = TcpListener.bind("localhost:0")) {
            int port = ln.localAddress().getPort();
            assertTrue(ln.localAddress().getAddress().isLoopbackAddress());
            try (TcpStream a = TcpStream.connect("localhost:" + port); TcpStream b = ln.accept()) {
                a.writeAll(new byte[] {1});
                assertEquals(1, b.inputStream().read());
            }
            Go.run(() -> {
                try (TcpStream a = TcpStream.connect("localhost:" + port, Duration.ofSeconds(5)); TcpStream b = ln.accept()) {
                    b.writeAll(new byte[] {2});
                    assertEquals(2, a.inputStream().read());
                }
                return null;
            });
        }
    }

    @Test
    void hugeSoTimeoutAndFarDeadlinesStillWaitForData() throws Exception {
        NetTesting.withPair((a, b) -> {
            a.setSoTimeout(Duration.ofSeconds(Long.MAX_VALUE));
            assertTrue(a.soTimeout().compareTo(Duration.ofDays(365)) > 0);
            a.setReadDeadline(Instant.MAX);
            Go.go(() -> {
                try {
                    Go.sleep(Duration.ofMillis(50));
                    b.writeAll(new byte[] {3});
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertEquals(3, a.inputStream().read());
            a.setSoTimeout(Duration.ofNanos(1));
            a.setReadDeadline(null);
            assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
            a.setSoTimeout(Duration.ZERO);
            assertEquals(Duration.ZERO, a.soTimeout());
        });
    }

    /** TcpStream.setSoTimeout(null) says which argument was null; the listener's threw a bare NPE. */
    @Test
    void listenerSoTimeoutRejectsNullAndNegativeLikeTheStream() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
            NullPointerException e = assertThrows(NullPointerException.class, () -> ln.setSoTimeout(null));
            assertEquals("timeout", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ln.setSoTimeout(Duration.ofNanos(-1)));
            ln.setSoTimeout(Duration.ofSeconds(Long.MAX_VALUE));
            ln.setDeadline(Instant.MAX);
            ln.setDeadline(Instant.MIN);
            assertThrows(SocketTimeoutException.class, ln::accept);
        }
    }

    @Test
    void acceptAfterCloseAndBindInUse() throws Exception {
        Go.run(() -> {
            TcpListener ln = TcpListener.bind("127.0.0.1:0");
            InetSocketAddress at = ln.localAddress();
            BindException be = assertThrows(BindException.class, () -> TcpListener.bind(at));
            assertTrue(be.getMessage().contains("127.0.0.1:" + at.getPort()), be.getMessage());
            ln.close();
            SocketException e = assertThrows(SocketException.class, ln::accept);
            assertEquals("Socket closed", e.getMessage());
            assertEquals(at, ln.localAddress());
            assertTrue(ln.toString().contains("closed"));
            return null;
        });
    }

    @Test
    void cloneOfAnAcceptedStreamAndViewsClosedFromManyThreads() throws Exception {
        NetTesting.withPair((a, b) -> {
            TcpStream c = b.tryClone();
            InetSocketAddress bl = b.localAddress();
            List<Thread> ts = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (int i = 0; i < 4; i++) {
                int k = i;
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    try {
                        if (k % 2 == 0) {
                            b.inputStream().close();
                        } else {
                            b.outputStream().close();
                        }
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            go.countDown();
            for (Thread t : ts) {
                t.join(10_000);
            }
            assertTrue(b.isClosed());
            try (c) {
                assertEquals(bl, c.localAddress());
                c.writeAll(new byte[] {5});
                assertEquals(5, a.inputStream().read());
                a.writeAll(new byte[] {6});
                assertEquals(6, c.inputStream().read());
            }
        });
    }

    @Test
    void connectWithZeroTimeoutAndNegative() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect("127.0.0.1:" + ln.localAddress().getPort(), Duration.ZERO);
                 TcpStream b = ln.accept()) {
                assertEquals(a.localAddress(), b.peerAddress());
                assertThrows(IllegalArgumentException.class,
                        () -> TcpStream.connect(ln.localAddress(), Duration.ofNanos(-1)));
            }
            return null;
        });
    }

    /**
     * On a dual-stack wildcard listener an IPv4 client's connection reports plain IPv4
     * addresses on both ends (as Go's and the JDK's do for IPv4-mapped addresses), and they
     * survive close.
     */
    @Test
    void dualStackListenerReportsIpv4AddressesOfAnIpv4Client() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind(":0")) {
                int port = ln.localAddress().getPort();
                TcpStream a = TcpStream.connect("127.0.0.1:" + port);
                TcpStream b = ln.accept();
                a.close();
                b.close();
                assertEquals(new InetSocketAddress("127.0.0.1", port), b.localAddress());
                assertEquals(a.localAddress(), b.peerAddress());
                assertEquals("TcpStream[127.0.0.1:" + port + " -> " + io.panago.net.poll.SockAddr.format(a.localAddress())
                        + ", closed]", b.toString());
            }
            return null;
        });
    }

    /**
     * shutdownInput acts on the connection, so every clone of it reads end of stream from then
     * on, as the stream itself does, whether the clone was made before or after, and on every
     * backend. The flag that gives Linux and Windows the JDK's end of stream was the shut
     * stream's alone: a clone read the peer's later data on Linux (and the macOS stand-in) and
     * failed with WSAESHUTDOWN on Windows.
     */
    @Test
    void shutdownInputIsEndOfStreamForEveryCloneOnEveryBackend() throws Exception {
        NetTesting.withPair((a, b) -> {
            try (TcpStream before = a.tryClone()) {
                a.shutdownInput();
                try (TcpStream after = a.tryClone()) {
                    b.writeAll(new byte[] {1, 2, 3});
                    Go.sleep(Duration.ofMillis(50));
                    assertEquals(-1, a.read(new byte[4]));
                    assertEquals(-1, before.read(new byte[4]));
                    assertEquals(-1, after.read(new byte[4]));
                    assertEquals(-1, after.inputStream().read());
                    after.writeAll(new byte[] {9});
                    assertEquals(9, b.inputStream().read());
                }
            }
        });
        NetTesting.withPair((a, b) -> {
            try (TcpStream clone = a.tryClone()) {
                var got = new java.util.concurrent.atomic.AtomicInteger(-2);
                CountDownLatch done = new CountDownLatch(1);
                Go.go(() -> {
                    try {
                        got.set(clone.read(new byte[4]));
                    } catch (IOException e) {
                        got.set(-3);
                    }
                    done.countDown();
                });
                Go.sleep(Duration.ofMillis(50));
                a.shutdownInput();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (done.getCount() > 0 && System.nanoTime() < end) {
                    Go.sleep(Duration.ofMillis(5));
                }
                assertEquals(-1, got.get());
            }
        });
    }

    /**
     * Go's Listen("tcp", "0.0.0.0:0") opens a dual-stack AF_INET6 socket (favoriteAddrFamily:
     * a wildcard listen address), and a JDK ServerSocket bound to 0.0.0.0 (the address of
     * new InetSocketAddress(port), the JDK idiom) accepts an IPv6 client too (checked on JDK
     * 25: "ipv6 client accepted: /[0:0:0:0:0:0:0:1]:..."). This listener was IPv4 only, so a
     * client dialling [::1] (or a "localhost" that resolves to ::1 first) was refused.
     */
    @Test
    void ipv4WildcardListensDualStackAsGoAndTheJdk() throws Exception {
        Go.run(() -> {
            for (int k = 0; k < 2; k++) {
                try (TcpListener ln = k == 0 ? TcpListener.bind("0.0.0.0:0") : TcpListener.bind(new InetSocketAddress(0))) {
                    int port = ln.localAddress().getPort();
                    assertTrue(ln.localAddress().getAddress().isAnyLocalAddress(), ln.toString());
                    for (String host : new String[] {"[::1]", "127.0.0.1"}) {
                        try (TcpStream c = TcpStream.connect(host + ":" + port); TcpStream s = ln.accept()) {
                            c.writeAll(new byte[] {1});
                            assertEquals(1, s.inputStream().read());
                            assertEquals(c.localAddress(), s.peerAddress());
                        }
                    }
                }
            }
            return null;
        });
    }

    /**
     * Dialling the unspecified address ("0.0.0.0:p", "[::]:p", or a wildcard listener's own
     * localAddress()) reaches the local host on every OS: Go's internetSocket turns the wildcard
     * into loopback where the kernel refuses it (Windows: WSAEADDRNOTAVAIL, which the Windows
     * stand-in now models), and the JDK's connect maps an any-local address to a local one.
     */
    @Test
    void dialingTheUnspecifiedAddressReachesTheLocalHostOnEveryBackend() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind(":0")) {
                int port = ln.localAddress().getPort();
                for (String host : new String[] {"0.0.0.0", "[::]"}) {
                    try (TcpStream c = TcpStream.connect(host + ":" + port); TcpStream s = ln.accept()) {
                        assertTrue(c.peerAddress().getAddress().isLoopbackAddress(), c.toString());
                        assertEquals(c.localAddress(), s.peerAddress());
                    }
                }
                try (TcpStream c = TcpStream.connect(ln.localAddress(), Duration.ofSeconds(10)); TcpStream s = ln.accept()) {
                    c.writeAll(new byte[] {8});
                    assertEquals(8, s.inputStream().read());
                }
            }
            return null;
        });
    }

    /**
     * A connect whose timeout is gone before the first attempt says so in the same words as
     * one that times out during the attempt ("Connect timed out: 127.0.0.1:p", Go's address
     * form, as every other message here); it printed the JDK list "[/127.0.0.1:p]".
     */
    @Test
    void connectTimeoutBeforeAnyAttemptNamesTheAddressLikeTheOthers() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                int port = ln.localAddress().getPort();
                SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                        () -> TcpStream.connect("127.0.0.1:" + port, Duration.ofNanos(1)).close());
                assertEquals("Connect timed out: 127.0.0.1:" + port, e.getMessage());
            }
            return null;
        });
    }
}
