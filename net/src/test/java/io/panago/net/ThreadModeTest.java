package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Outside a goroutine every call works too, blocking the thread in poll(2): plain threads,
 * virtual threads, and streams handed between threads and goroutines. close() and a moved
 * deadline still wake a blocked thread at once (through the stream's wake-up eventfd).
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@SuppressWarnings("try") // closing inside try-with-resources is what these tests do
class ThreadModeTest {
    private interface Blocker {
        void block() throws Exception;
    }

    /** Runs {@code blocker} on a new thread (virtual or not) and returns it started. */
    private static Thread start(boolean virtual, AtomicReference<Throwable> outcome, Blocker blocker) {
        Runnable r = () -> {
            try {
                blocker.block();
                outcome.set(new AssertionError("returned instead of failing"));
            } catch (Throwable t) {
                outcome.set(t);
            }
        };
        return virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().start(r);
    }

    @Test
    void plainThreadsEchoWithoutAnyGoroutine() throws Exception {
        assertFalse(Go.inGoroutine());
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
            AtomicReference<Throwable> server = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try (TcpStream s = ln.accept()) {
                    EchoStressTest.echo(s, 8192);
                } catch (Throwable e) {
                    server.set(e);
                }
            });
            try (TcpStream c = TcpStream.connect(ln.localAddress())) {
                byte[] sent = new byte[4 << 20], got = new byte[sent.length];
                Payload.fill(11, 0, sent, 0, sent.length);
                Thread w = Thread.ofPlatform().start(() -> {
                    try {
                        c.writeAll(sent);
                        c.shutdownOutput();
                    } catch (Exception e) {
                        server.compareAndSet(null, e);
                    }
                });
                c.readFully(got);
                assertEquals(-1, c.read(new byte[1]));
                w.join();
                assertArrayEquals(sent, got);
            }
            t.join();
            assertEquals(null, server.get());
        }
    }

    @Test
    void closeWakesPlainAndVirtualThreadsBlockedInReadWriteAndAccept() throws Exception {
        for (boolean virtual : new boolean[] {false, true}) {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept();
                 TcpStream w = a.tryClone()) {
                AtomicReference<Throwable> r = new AtomicReference<>(), wr = new AtomicReference<>(),
                        acc = new AtomicReference<>();
                Thread reader = start(virtual, r, () -> a.read(new byte[1]));
                Thread writer = start(virtual, wr, () -> w.writeAll(new byte[64 << 20]));
                Thread acceptor = start(virtual, acc, ln::accept);
                Thread.sleep(100);
                w.close();
                a.close();
                ln.close();
                for (Thread t : new Thread[] {reader, writer, acceptor}) {
                    assertTrue(t.join(Duration.ofSeconds(5)), t + " still blocked");
                }
                for (AtomicReference<Throwable> o : java.util.List.of(r, wr, acc)) {
                    assertInstanceOf(SocketException.class, o.get(), "virtual=" + virtual);
                    assertEquals("Socket closed", o.get().getMessage());
                }
            }
        }
    }

    /**
     * A virtual thread blocked in a read must leave its carrier, as one blocked in a JDK socket
     * does: with more blocked readers than carriers, other virtual threads still run, and every
     * reader still gets its data. (Blocked in poll(2) they would pin every carrier: the last
     * virtual thread could not run and a close waiting for a pinned-out reference would hang.)
     */
    @Test
    void virtualThreadsBlockedInReadsLeaveTheirCarriers() throws Exception {
        int n = 2 * Runtime.getRuntime().availableProcessors() + 2;
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
            TcpStream[] clients = new TcpStream[n], servers = new TcpStream[n];
            Thread[] readers = new Thread[n];
            int[] got = new int[n];
            CountDownLatch parked = new CountDownLatch(n);
            try {
                for (int i = 0; i < n; i++) {
                    clients[i] = TcpStream.connect(ln.localAddress());
                    servers[i] = ln.accept();
                    TcpStream s = servers[i];
                    int k = i;
                    readers[i] = Thread.ofVirtual().start(() -> {
                        parked.countDown();
                        try {
                            got[k] = s.inputStream().read();
                        } catch (IOException e) {
                            got[k] = -2;
                        }
                    });
                }
                assertTrue(parked.await(10, TimeUnit.SECONDS), "readers did not start");
                long until = System.nanoTime() + 10_000_000_000L;
                for (Thread r : readers) { // parked in its read (pinned in poll(2) it stays RUNNABLE)
                    while (r.getState() == Thread.State.RUNNABLE && System.nanoTime() < until) {
                        Thread.sleep(1);
                    }
                }
                Thread other = Thread.ofVirtual().start(() -> { });
                assertTrue(other.join(Duration.ofSeconds(10)),
                        n + " virtual threads blocked in TcpStream.read left no carrier for another");
                for (int i = 0; i < n; i++) {
                    clients[i].writeAll(new byte[] {(byte) i});
                }
                for (int i = 0; i < n; i++) {
                    assertTrue(readers[i].join(Duration.ofSeconds(10)), "reader " + i + " still blocked");
                    assertEquals(i, got[i]);
                }
            } finally {
                for (int i = 0; i < n; i++) {
                    if (clients[i] != null) {
                        clients[i].close();
                    }
                    if (servers[i] != null) {
                        servers[i].close();
                    }
                }
            }
        }
    }

    @Test
    void blockedThreadBurnsNoCpu() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
             TcpStream a = TcpStream.connect(ln.localAddress());
             TcpStream b = ln.accept()) {
            int[] got = new int[1];
            Thread t = Thread.ofPlatform().name("blocked-reader").start(() -> {
                try {
                    got[0] = a.inputStream().read();
                } catch (Exception e) {
                    got[0] = -2;
                }
            });
            Thread.sleep(100);
            long cpu0 = NetTesting.threadCpuNanos("blocked-reader");
            Thread.sleep(500);
            long cpu = NetTesting.threadCpuNanos("blocked-reader") - cpu0;
            assertTrue(cpu <= 20_000_000L, "blocked reader used " + cpu / 1_000_000 + " ms of CPU in 500 ms");
            b.writeAll(new byte[] {99});
            t.join();
            assertEquals(99, got[0]);
        }
    }

    @Test
    void deadlinesWorkAndMoveForBlockedThreads() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
             TcpStream a = TcpStream.connect(ln.localAddress());
             TcpStream b = ln.accept()) {
            long t0 = System.nanoTime();
            a.setReadDeadline(Instant.now().plusMillis(100));
            assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
            assertTrue(System.nanoTime() - t0 >= 95_000_000L);
            assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
            a.setReadDeadline(null);

            AtomicReference<Throwable> outcome = new AtomicReference<>();
            Thread t = start(false, outcome, () -> a.read(new byte[1]));
            Thread.sleep(50);
            a.setReadDeadline(Instant.now().minusSeconds(1));
            assertTrue(t.join(Duration.ofSeconds(5)), "moved deadline did not wake the thread");
            assertInstanceOf(SocketTimeoutException.class, outcome.get());

            // Extended long before it would expire; the data comes after the old deadline.
            a.setReadDeadline(Instant.now().plusMillis(600));
            Thread t2 = start(false, outcome, () -> a.read(new byte[1]));
            Thread.sleep(50);
            a.setReadDeadline(Instant.now().plusSeconds(30));
            Thread.sleep(800);
            b.writeAll(new byte[] {1});
            t2.join();
            assertInstanceOf(AssertionError.class, outcome.get()); // the read returned
            a.setSoTimeout(Duration.ofMillis(50));
            assertThrows(SocketTimeoutException.class, () -> a.read(new byte[1]));
        }
    }

    @Test
    void streamsMoveBetweenThreadsAndGoroutines() throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
            TcpStream a = TcpStream.connect(ln.localAddress());
            TcpStream b = Go.run(() -> ln.accept());
            try (a; b) {
                Thread t = Thread.ofPlatform().start(() -> {
                    try {
                        a.writeAll(new byte[] {1, 2, 3});
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                byte[] got = Go.run(() -> {
                    byte[] buf = new byte[3];
                    b.readFully(buf);
                    return buf;
                });
                t.join();
                assertArrayEquals(new byte[] {1, 2, 3}, got);
                Go.run(() -> {
                    b.writeAll(new byte[] {4});
                    return null;
                });
                assertEquals(4, a.inputStream().read());
            }
        }
    }
}
