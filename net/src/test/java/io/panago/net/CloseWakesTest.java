package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.RepeatedTest;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * close() from another goroutine wakes a goroutine parked in read, write or accept at once,
 * with "Socket closed"; the descriptor is closed only after the woken call has left it.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@SuppressWarnings("try") // closing inside try-with-resources is what these tests do
class CloseWakesTest {
    /** Long enough for the other goroutine to be parked; the test is right either way. */
    private static final Duration SETTLE = Duration.ofMillis(50);

    private interface Blocker {
        void block(TcpStream mine) throws Exception;
    }

    /** Parks a goroutine in {@code blocker} on a connected stream, closes it from here. */
    private static void closeWakes(Blocker blocker) throws Exception {
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                Latch done = new Latch(1);
                Go.go(() -> {
                    try {
                        blocker.block(a);
                        outcome.set(new AssertionError("call returned instead of failing"));
                    } catch (Throwable t) {
                        outcome.set(t);
                    } finally {
                        done.countDown();
                    }
                });
                Go.sleep(SETTLE);
                long t0 = System.nanoTime();
                a.close();
                done.await();
                long waited = System.nanoTime() - t0;
                assertTrue(waited < 2_000_000_000L, "woken after " + waited / 1_000_000 + " ms");
            }
            return null;
        });
        Throwable t = outcome.get();
        assertInstanceOf(SocketException.class, t);
        assertEquals("Socket closed", t.getMessage());
    }

    @Test
    void closeWakesGoroutineParkedInRead() throws Exception {
        closeWakes(s -> s.read(new byte[10]));
    }

    @Test
    void closeWakesGoroutineParkedInWrite() throws Exception {
        // The peer never reads: the write fills both socket buffers and parks.
        closeWakes(s -> s.writeAll(new byte[64 << 20]));
    }

    @Test
    void closeWakesGoroutineParkedInAccept() throws Exception {
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Go.run(() -> {
            TcpListener ln = TcpListener.bind("127.0.0.1:0");
            Latch done = new Latch(1);
            Go.go(() -> {
                try {
                    ln.accept().close();
                } catch (Throwable t) {
                    outcome.set(t);
                } finally {
                    done.countDown();
                }
            });
            Go.sleep(SETTLE);
            ln.close();
            done.await();
            return null;
        });
        assertInstanceOf(SocketException.class, outcome.get());
        assertEquals("Socket closed", outcome.get().getMessage());
    }

    @Test
    void closeWakesReaderAndWriterOfTheSameStream() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                Latch done = new Latch(2);
                NetTesting.go(errors, done, () -> assertThrows(SocketException.class, () -> a.read(new byte[1])));
                NetTesting.go(errors, done, () -> assertThrows(SocketException.class, () -> a.writeAll(new byte[64 << 20])));
                Go.sleep(SETTLE);
                a.close();
                done.await();
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void closedStreamRefusesEveryCallWithIOException() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                TcpStream a = TcpStream.connect(ln.localAddress());
                ln.accept().close();
                a.close();
                a.close();
                byte[] b = new byte[4];
                for (Blocker call : new Blocker[] {s -> s.read(b), s -> s.write(b), s -> s.writeAll(b),
                        s -> s.readFully(b), TcpStream::tryClone, TcpStream::shutdownOutput,
                        s -> s.setNoDelay(true), s -> s.receiveBufferSize(), s -> s.setDeadline(null),
                        s -> s.inputStream().read(), s -> s.outputStream().write(1)}) {
                    SocketException e = assertThrows(SocketException.class, () -> call.block(a));
                    assertEquals("Socket closed", e.getMessage());
                }
                assertTrue(a.isClosed());
                ln.close();
                assertThrows(SocketException.class, ln::accept);
            }
            return null;
        });
    }

    /**
     * Random interleavings of a reader, a writer and a closer on one stream, repeated: every
     * call ends (no lost wake-up), each with data or "Socket closed", and nothing leaks.
     */
    @RepeatedTest(5)
    void racingCloseNeverStrandsACall() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        Go.run(() -> {
            SplittableRandom rnd = new SplittableRandom();
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                for (int round = 0; round < 100; round++) {
                    TcpStream a = TcpStream.connect(ln.localAddress());
                    TcpStream b = ln.accept();
                    Latch done = new Latch(3);
                    int readerYields = rnd.nextInt(4), closerYields = rnd.nextInt(4);
                    boolean peerWrites = rnd.nextBoolean();
                    NetTesting.go(errors, done, () -> {
                        for (int i = 0; i < readerYields; i++) {
                            Go.yield();
                        }
                        try {
                            a.read(new byte[16]);
                        } catch (SocketException e) {
                            assertEquals("Socket closed", e.getMessage());
                        }
                    });
                    NetTesting.go(errors, done, () -> {
                        try {
                            a.writeAll(new byte[1 << 20]);
                        } catch (SocketException e) {
                            assertEquals("Socket closed", e.getMessage());
                        }
                    });
                    NetTesting.go(errors, done, () -> {
                        if (peerWrites) {
                            b.writeAll(new byte[3]);
                        }
                        for (int i = 0; i < closerYields; i++) {
                            Go.yield();
                        }
                        a.close();
                    });
                    done.await();
                    b.close();
                }
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }
}
