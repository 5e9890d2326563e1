package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream or listener that becomes unreachable without being closed has its descriptor
 * closed by the cleaner (Go's finalizer on netFD); a clone is cleaned on its own, and a
 * stream closed explicitly is never closed again.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CleanerTest {
    private static final long LIMIT_NANOS = 20_000_000_000L;

    /** The socket entries of /proc/self/fd that appeared since {@code before}. */
    private static TreeSet<String> newSockets(Set<String> before) {
        TreeSet<String> now = NetTesting.openSockets();
        now.removeAll(before);
        return now;
    }

    /** Collects garbage until {@code entry} has left /proc/self/fd; fails after the limit. */
    private static void awaitClosedByCleaner(String entry) {
        long until = System.nanoTime() + LIMIT_NANOS;
        while (NetTesting.openSockets().contains(entry)) {
            assertTrue(System.nanoTime() < until, entry + " still open after " + LIMIT_NANOS / 1_000_000_000 + " s of GCs");
            System.gc();
        }
    }

    /** Connects and returns nothing: the stream is unreachable once this returns. */
    private static void connectAndDrop(InetSocketAddress addr) throws Exception {
        TcpStream.connect(addr);
    }

    /** Echoes one 4-byte message through {@code s} (the peer echoes) and checks it. */
    private static void roundTrip(TcpStream s) throws Exception {
        byte[] ping = {1, 2, 3, 4}, got = new byte[4];
        s.writeAll(ping);
        s.readFully(got);
        assertArrayEquals(ping, got);
    }

    @Test
    void droppedStreamIsClosedAndThePeerSeesEndOfStream() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                TreeSet<String> before = NetTesting.openSockets();
                connectAndDrop(ln.localAddress());
                try (TcpStream server = ln.accept()) {
                    TreeSet<String> fresh = newSockets(before);
                    assertEquals(2, fresh.size(), "client and server sockets: " + fresh);
                    server.setReadDeadline(Instant.now().plusNanos(LIMIT_NANOS));
                    Queue<Throwable> errors = NetTesting.errors();
                    Latch eof = new Latch(1);
                    NetTesting.go(errors, null, () -> {
                        assertEquals(-1, server.read(new byte[16]));
                        eof.countDown();
                    });
                    // The peer's end of stream is the event: the client's descriptor is closed.
                    long until = System.nanoTime() + LIMIT_NANOS;
                    while (!eof.await(Duration.ofMillis(50))) {
                        NetTesting.rethrow(errors);
                        assertTrue(System.nanoTime() < until, "the dropped stream was never closed");
                        System.gc();
                    }
                    NetTesting.rethrow(errors);
                    TreeSet<String> left = newSockets(before);
                    assertEquals(1, left.size(), "only the server's socket is left: " + left);
                    assertTrue(fresh.containsAll(left));
                }
            }
            return null;
        });
    }

    @Test
    void droppedCloneIsClosedAndTheOriginalKeepsWorking() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream s = TcpStream.connect(ln.localAddress());
                 TcpStream server = ln.accept()) {
                Queue<Throwable> errors = NetTesting.errors();
                Latch done = new Latch(1);
                NetTesting.go(errors, done, () -> EchoStressTest.echo(server, 64));
                TreeSet<String> before = NetTesting.openSockets();
                s.tryClone(); // dropped at once
                TreeSet<String> clone = newSockets(before);
                assertEquals(1, clone.size(), "the clone's descriptor: " + clone);
                awaitClosedByCleaner(clone.first());
                roundTrip(s);
                s.shutdownOutput();
                NetTesting.awaitOrFail(done, Duration.ofSeconds(20), errors);
                NetTesting.rethrow(errors);
            }
            return null;
        });
    }

    @Test
    void droppedOriginalIsClosedAndTheCloneKeepsWorking() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                TreeSet<String> before = NetTesting.openSockets();
                TcpStream clone = cloneOfDropped(ln.localAddress());
                try (clone; TcpStream server = ln.accept()) {
                    Queue<Throwable> errors = NetTesting.errors();
                    Latch done = new Latch(1);
                    NetTesting.go(errors, done, () -> EchoStressTest.echo(server, 64));
                    TreeSet<String> mine = newSockets(before);
                    assertEquals(3, mine.size(), "original, clone and server: " + mine);
                    awaitGoneExceptTwo(before); // the clone and the server's are left

                    roundTrip(clone);
                    clone.shutdownOutput();
                    NetTesting.awaitOrFail(done, Duration.ofSeconds(20), errors);
                    NetTesting.rethrow(errors);
                }
            }
            return null;
        });
    }

    /** Collects garbage until only two of the sockets opened since {@code before} are left. */
    private static void awaitGoneExceptTwo(Set<String> before) {
        long until = System.nanoTime() + LIMIT_NANOS;
        while (newSockets(before).size() > 2) {
            assertTrue(System.nanoTime() < until, "the dropped original was never closed");
            System.gc();
        }
    }

    private static TcpStream cloneOfDropped(InetSocketAddress addr) throws Exception {
        return TcpStream.connect(addr).tryClone();
    }

    @Test
    void droppedListenerIsClosedAndRefusesConnections() throws Exception {
        Go.run(() -> {
            TreeSet<String> before = NetTesting.openSockets();
            InetSocketAddress addr = bindAndDrop();
            TreeSet<String> fresh = newSockets(before);
            assertEquals(1, fresh.size(), "the listener's descriptor: " + fresh);
            awaitClosedByCleaner(fresh.first());
            assertThrows(ConnectException.class, () -> TcpStream.connect(addr).close());
            return null;
        });
    }

    private static InetSocketAddress bindAndDrop() throws Exception {
        return TcpListener.bind("127.0.0.1:0").localAddress();
    }

    /**
     * A stream closed explicitly is not closed again when it is collected, even though its
     * descriptor number has most likely been given to the next socket.
     */
    @Test
    void explicitlyClosedStreamIsNotClosedAgainByTheCleaner() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                closeAndDrop(ln);
                try (TcpStream s = TcpStream.connect(ln.localAddress()); TcpStream server = ln.accept()) {
                    Queue<Throwable> errors = NetTesting.errors();
                    Latch done = new Latch(1);
                    NetTesting.go(errors, done, () -> EchoStressTest.echo(server, 64));
                    for (int i = 0; i < 5; i++) {
                        System.gc();
                        roundTrip(s);
                    }
                    s.shutdownOutput();
                    NetTesting.awaitOrFail(done, Duration.ofSeconds(20), errors);
                    NetTesting.rethrow(errors);
                }
            }
            return null;
        });
    }

    private static void closeAndDrop(TcpListener ln) throws Exception {
        TcpStream s = TcpStream.connect(ln.localAddress());
        ln.accept().close();
        s.close();
    }
}
