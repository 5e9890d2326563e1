package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.panago.net.NetStormTest.await;
import static io.panago.net.NetStormTest.bounded;
import static io.panago.net.NetStormTest.check;
import static io.panago.net.NetStormTest.fill;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hunt of the io_uring hand-off (only carriers and sysmon enter the ring; any other thread
 * publishes its entry and hands it to them): plain and virtual threads that overflow the
 * submission queue, churn of short-lived threads beside goroutines' pending operations, all
 * Ps busy spinning while threads do I/O, closes from plain threads under parked goroutines,
 * deadlines on threads, an idle runtime woken by a thread. Runs on every backend.
 */
@ExtendWith(NetTesting.class)
class UringHandOffHuntTest {

    private static void connectPairs(TcpListener ln, TcpStream[] as, TcpStream[] bs) throws IOException {
        for (int i = 0; i < as.length; i++) {
            as[i] = TcpStream.connect(ln.localAddress());
            bs[i] = ln.accept();
        }
    }

    private static void closeAll(TcpStream[]... arrays) {
        for (TcpStream[] a : arrays) {
            for (TcpStream s : a) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    private static void waitFor(AtomicInteger n, int want, String what) throws InterruptedException {
        long until = System.nanoTime() + 10_000_000_000L;
        while (n.get() < want) {
            if (System.nanoTime() > until) {
                throw new AssertionError(what + ": " + n.get() + " of " + want);
            }
            Thread.sleep(1);
        }
    }

    /** 2,100 virtual threads (400 plain threads) blocked in reads at once, then data for all. */
    @Test
    void manyVirtualReadersThenDataForAll() throws Exception {
        readersThenData(2100, true);
    }

    @Test
    void manyPlainReadersThenDataForAll() throws Exception {
        readersThenData(400, false);
    }

    private static void readersThenData(int pairs, boolean virtual) throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        TcpStream[] as = new TcpStream[pairs], bs = new TcpStream[pairs];
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
            connectPairs(ln, as, bs);
            for (int round = 0; round < 3; round++) {
                Latch done = new Latch(pairs);
                AtomicInteger started = new AtomicInteger();
                long pos = 8L * round;
                for (int i = 0; i < pairs; i++) {
                    TcpStream b = bs[i];
                    Runnable r = () -> {
                        try {
                            byte[] buf = new byte[8];
                            started.incrementAndGet();
                            b.readFully(buf);
                            check(buf, 0, 8, pos, "reader");
                        } catch (Throwable t) {
                            errors.add(t);
                        } finally {
                            done.countDown();
                        }
                    };
                    if (virtual) {
                        Thread.ofVirtual().start(r);
                    } else {
                        Thread.ofPlatform().daemon().start(r);
                    }
                }
                waitFor(started, pairs, "readers started");
                Thread.sleep(50);
                // The data, written from a goroutine (round 0), a plain thread (1), virtual threads (2).
                byte[] m = new byte[8];
                fill(m, pos);
                Runnable writeAll = () -> {
                    try {
                        for (TcpStream a : as) {
                            a.writeAll(m);
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                };
                switch (round) {
                    case 0 -> Go.run(writeAll);
                    case 1 -> Thread.ofPlatform().start(writeAll).join(20_000);
                    default -> {
                        List<Thread> ts = new ArrayList<>();
                        for (TcpStream a : as) {
                            ts.add(Thread.ofVirtual().start(() -> {
                                try {
                                    a.writeAll(m);
                                } catch (Throwable t) {
                                    errors.add(t);
                                }
                            }));
                        }
                        for (Thread t : ts) {
                            t.join(20_000);
                        }
                    }
                }
                if (!done.await(Duration.ofSeconds(15))) {
                    String dump = Go.dump();
                    System.err.println("TIMEOUT; dump:\n" + dump);
                    throw new AssertionError("round " + round + ": " + done.count() + " of " + pairs
                            + " readers never got their data; errors " + errors);
                }
                NetTesting.rethrow(errors);
            }
        } finally {
            closeAll(as, bs);
        }
    }

    /**
     * Many platform threads dial at once (a storm of connects and accepts from threads that
     * exit), each echoing one message through a goroutine server, while goroutines keep reads
     * pending on other connections: every goroutine read must still complete.
     */
    @Test
    void plainThreadConnectStormBesideGoroutineReads() throws Exception {
        for (int procs : new int[] {1, 2}) {
            int before = Go.gomaxprocs(procs);
            try {
                connectStorm();
            } finally {
                Go.gomaxprocs(before);
            }
        }
    }

    private static void connectStorm() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        bounded(Duration.ofSeconds(30), () -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0", 1024);
                 TcpListener pairsLn = TcpListener.bind("127.0.0.1:0")) {
                int pairs = 32;
                TcpStream[] as = new TcpStream[pairs], bs = new TcpStream[pairs];
                connectPairs(pairsLn, as, bs);
                try {
                    int rounds = 4;
                    Latch readers = new Latch(pairs);
                    for (int i = 0; i < pairs; i++) {
                        TcpStream b = bs[i];
                        NetTesting.go(errors, readers, () -> {
                            byte[] buf = new byte[8];
                            for (int r = 0; r < rounds; r++) {
                                b.readFully(buf);
                                check(buf, 0, 8, 8L * r, "pending reader");
                            }
                        });
                    }
                    int dialers = 200;
                    AtomicInteger served = new AtomicInteger();
                    Latch server = new Latch(1);
                    NetTesting.go(errors, server, () -> {
                        for (int i = 0; i < dialers * rounds; i++) {
                            TcpStream c = ln.accept();
                            Go.go(() -> {
                                try (c) {
                                    byte[] buf = new byte[16];
                                    c.readFully(buf);
                                    c.writeAll(buf);
                                    served.incrementAndGet();
                                } catch (Throwable t) {
                                    errors.add(t);
                                }
                            });
                        }
                    });
                    for (int r = 0; r < rounds; r++) {
                        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                        List<Thread> ts = new ArrayList<>();
                        for (int i = 0; i < dialers; i++) {
                            int id = i;
                            ts.add(Thread.ofPlatform().daemon().start(() -> {
                                try {
                                    go.await();
                                    try (TcpStream s = TcpStream.connect(ln.localAddress(), Duration.ofSeconds(10))) {
                                        byte[] m = new byte[16];
                                        fill(m, id);
                                        s.writeAll(m);
                                        byte[] back = new byte[16];
                                        s.readFully(back);
                                        check(back, 0, 16, id, "echo");
                                    }
                                } catch (Throwable t) {
                                    errors.add(t);
                                }
                            }));
                        }
                        go.countDown();
                        Go.blocking(() -> {
                            for (Thread t : ts) {
                                t.join(15_000);
                            }
                            return null;
                        });
                        // Threads gone: the goroutine readers get this round's message.
                        byte[] m = new byte[8];
                        fill(m, 8L * r);
                        for (TcpStream a : as) {
                            a.writeAll(m);
                        }
                        Go.sleep(Duration.ofMillis(5));
                    }
                    await(readers, errors, "pending readers after the connect storm");
                    await(server, errors, "server");
                    NetTesting.rethrow(errors);
                    assertEquals(dialers * rounds, served.get());
                } finally {
                    closeAll(as, bs);
                }
            }
            return null;
        });
    }

    /**
     * Every P busy with a goroutine that never parks (one spinning, one yielding), while plain
     * and virtual threads ping-pong over loopback: the threads' entries must still be submitted
     * (by sysmon or a fair poll) and every round trip completes.
     */
    @Test
    void threadsPingPongWhileEveryPSpins() throws Exception {
        for (int procs : new int[] {1, 2}) {
            for (boolean yielding : new boolean[] {false, true}) {
                int before = Go.gomaxprocs(procs);
                try {
                    pingPongBesideSpinners(procs, yielding);
                } finally {
                    Go.gomaxprocs(before);
                }
            }
        }
    }

    private static volatile boolean stop;
    private static volatile long sink;

    private static void pingPongBesideSpinners(int procs, boolean yielding) throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        stop = false;
        Latch spinners = new Latch(procs);
        Thread runtime = Thread.ofPlatform().daemon().start(() -> {
            try {
                Go.run(() -> {
                    for (int i = 0; i < procs; i++) {
                        NetTesting.go(errors, spinners, () -> {
                            long x = 0;
                            while (!stop) {
                                x++;
                                if (yielding && (x & 1023) == 0) {
                                    Go.yield();
                                }
                            }
                            sink = x;
                        });
                    }
                    spinners.await(Duration.ofSeconds(30));
                });
            } catch (Throwable t) {
                errors.add(t);
            }
        });
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
            Thread.sleep(30);
            int pairs = 4, trips = 40;
            List<Thread> ts = new ArrayList<>();
            AtomicLong worst = new AtomicLong();
            for (int p = 0; p < pairs; p++) {
                boolean virtual = p % 2 == 0;
                TcpStream a = TcpStream.connect(ln.localAddress());
                TcpStream b = ln.accept();
                Runnable ping = () -> {
                    try (a) {
                        byte[] buf = new byte[8];
                        for (int i = 0; i < trips; i++) {
                            long t0 = System.nanoTime();
                            fill(buf, i);
                            a.writeAll(buf);
                            a.readFully(buf);
                            check(buf, 0, 8, i, "pong");
                            worst.accumulateAndGet(System.nanoTime() - t0, Math::max);
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                };
                Runnable pong = () -> {
                    try (b) {
                        byte[] buf = new byte[8];
                        for (int i = 0; i < trips; i++) {
                            b.readFully(buf);
                            b.writeAll(buf);
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                };
                ts.add(virtual ? Thread.ofVirtual().start(ping) : Thread.ofPlatform().start(ping));
                ts.add(virtual ? Thread.ofVirtual().start(pong) : Thread.ofPlatform().start(pong));
            }
            long t0 = System.nanoTime();
            for (Thread t : ts) {
                t.join(Math.max(1, 20_000 - (System.nanoTime() - t0) / 1_000_000));
            }
            boolean stuck = ts.stream().anyMatch(Thread::isAlive);
            String dump = stuck ? Go.dump() : "";
            stop = true;
            runtime.join(10_000);
            System.err.println("spinners procs=" + procs + " yielding=" + yielding + ": " + pairs * trips
                    + " round trips in " + (System.nanoTime() - t0) / 1_000_000 + " ms, worst "
                    + worst.get() / 1_000_000 + " ms");
            assertTrue(!stuck, "ping-pong threads stuck beside spinning goroutines\n" + dump);
            NetTesting.rethrow(errors);
            assertTrue(worst.get() < 2_000_000_000L, "a round trip took " + worst.get() / 1_000_000 + " ms");
        } finally {
            stop = true;
        }
    }

    /**
     * Plain threads, each short-lived, close streams on which goroutines are parked in reads
     * (and accepts): every goroutine returns promptly with "Socket closed", and every peer
     * sees the end of stream (the descriptor really closed: the cancels were submitted).
     */
    @Test
    void plainThreadsCloseUnderParkedGoroutines() throws Exception {
        for (int procs : new int[] {1, 2}) {
            int before = Go.gomaxprocs(procs);
            try {
                closeUnderParked();
            } finally {
                Go.gomaxprocs(before);
            }
        }
    }

    private static void closeUnderParked() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        bounded(Duration.ofSeconds(30), () -> {
            int pairs = 128;
            TcpStream[] as = new TcpStream[pairs], bs = new TcpStream[pairs];
            TcpListener[] lns = new TcpListener[8];
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                connectPairs(ln, as, bs);
                for (int i = 0; i < lns.length; i++) {
                    lns[i] = TcpListener.bind("127.0.0.1:0");
                }
                AtomicInteger parked = new AtomicInteger();
                Latch closedSide = new Latch(pairs + lns.length);
                Latch peerSide = new Latch(pairs);
                for (int i = 0; i < pairs; i++) {
                    TcpStream a = as[i], b = bs[i];
                    NetTesting.go(errors, closedSide, () -> {
                        parked.incrementAndGet();
                        try {
                            int n = b.read(new byte[16]);
                            throw new AssertionError("read returned " + n + " on a stream closed under it");
                        } catch (SocketException e) {
                            if (!"Socket closed".equals(e.getMessage())) {
                                throw e;
                            }
                        }
                    });
                    NetTesting.go(errors, peerSide, () -> {
                        parked.incrementAndGet();
                        int n = a.read(new byte[16]);
                        if (n != -1) {
                            throw new AssertionError("peer read " + n + ", want end of stream");
                        }
                    });
                }
                for (TcpListener l : lns) {
                    NetTesting.go(errors, closedSide, () -> {
                        parked.incrementAndGet();
                        try {
                            l.accept().close();
                            throw new AssertionError("accept on a closed listener");
                        } catch (SocketException e) {
                            // closed under it
                        }
                    });
                }
                Go.blocking(() -> {
                    waitFor(parked, 2 * pairs + lns.length, "parked");
                    Thread.sleep(20);
                    for (int k = 0; k < pairs; k += 8) {
                        int from = k;
                        Thread t = Thread.ofPlatform().start(() -> {
                            for (int i = from; i < from + 8; i++) {
                                bs[i].close();
                            }
                            if (from == 0) {
                                for (TcpListener l : lns) {
                                    l.close();
                                }
                            }
                        });
                        t.join(5000);
                    }
                    return null;
                });
                await(closedSide, errors, "goroutines parked in streams closed by plain threads");
                await(peerSide, errors, "peers of streams closed by plain threads");
                NetTesting.rethrow(errors);
            } finally {
                closeAll(as, bs);
                for (TcpListener l : lns) {
                    if (l != null) {
                        l.close();
                    }
                }
            }
            return null;
        });
    }

    /** Deadlines on reads and accepts of plain and virtual threads expire, and the streams work on. */
    @Test
    void deadlinesOnThreads() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int pairs = 120;
        TcpStream[] as = new TcpStream[pairs], bs = new TcpStream[pairs];
        TcpListener[] quiets = new TcpListener[pairs / 10];
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
            connectPairs(ln, as, bs);
            for (int i = 0; i < quiets.length; i++) {
                quiets[i] = TcpListener.bind("127.0.0.1:0");
            }
            List<Thread> ts = new ArrayList<>();
            AtomicLong worst = new AtomicLong();
            for (int i = 0; i < pairs; i++) {
                TcpStream a = as[i], b = bs[i];
                int id = i;
                Runnable r = () -> {
                    try {
                        long t0 = System.nanoTime();
                        if (id % 2 == 0) {
                            b.setSoTimeout(Duration.ofMillis(50));
                        } else {
                            b.setReadDeadline(Instant.now().plusMillis(50));
                        }
                        try {
                            b.read(new byte[8]);
                            throw new AssertionError("read without data returned");
                        } catch (SocketTimeoutException expected) {
                            // deadline
                        }
                        worst.accumulateAndGet(System.nanoTime() - t0, Math::max);
                        b.setSoTimeout(Duration.ZERO);
                        b.setReadDeadline(null);
                        byte[] m = new byte[8];
                        fill(m, id);
                        a.writeAll(m);
                        byte[] got = new byte[8];
                        b.readFully(got);
                        check(got, 0, 8, id, "after the deadline");
                        if (id % 10 == 0) {
                            TcpListener quiet = quiets[id / 10];
                            quiet.setDeadline(Instant.now().plusMillis(30));
                            try {
                                quiet.accept().close();
                                throw new AssertionError("accept without a dial");
                            } catch (SocketTimeoutException expected) {
                                // deadline
                            } finally {
                                quiet.setDeadline(null);
                            }
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                };
                ts.add(id % 4 == 0 ? Thread.ofPlatform().start(r) : Thread.ofVirtual().start(r));
            }
            long end = System.nanoTime() + 20_000_000_000L;
            for (Thread t : ts) {
                t.join(Math.max(1, (end - System.nanoTime()) / 1_000_000));
            }
            assertTrue(ts.stream().noneMatch(Thread::isAlive), "threads stuck\n" + Go.dump());
            NetTesting.rethrow(errors);
            assertTrue(worst.get() < 5_000_000_000L, "a 50 ms deadline took " + worst.get() / 1_000_000 + " ms");
        } finally {
            closeAll(as, bs);
            for (TcpListener l : quiets) {
                if (l != null) {
                    l.close();
                }
            }
        }
    }

    /**
     * The runtime idle between exchanges (no goroutine, no waiter: no carrier in the ring),
     * then plain threads alone dial, accept and exchange: each step must be submitted promptly.
     */
    @Test
    void idleRuntimeWokenByPlainThreads() throws Exception {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        long worst = 0;
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
            for (int i = 0; i < 60; i++) {
                Thread.sleep(rnd.nextInt(25));
                long t0 = System.nanoTime();
                Queue<Throwable> errors = NetTesting.errors();
                int id = i;
                Thread server = Thread.ofPlatform().start(() -> {
                    try (TcpStream c = ln.accept()) {
                        byte[] b = new byte[8];
                        c.readFully(b);
                        c.writeAll(b);
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                });
                Runnable client = () -> {
                    try (TcpStream s = TcpStream.connect(ln.localAddress())) {
                        byte[] m = new byte[8];
                        fill(m, id);
                        s.writeAll(m);
                        s.readFully(m);
                        check(m, 0, 8, id, "echo");
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                };
                Thread c = id % 2 == 0 ? Thread.ofVirtual().start(client) : Thread.ofPlatform().start(client);
                c.join(10_000);
                server.join(10_000);
                assertTrue(!c.isAlive() && !server.isAlive(), "exchange " + i + " stuck\n" + Go.dump());
                NetTesting.rethrow(errors);
                worst = Math.max(worst, System.nanoTime() - t0);
            }
        }
        System.err.println("idle runtime: worst exchange " + worst / 1_000_000 + " ms");
        assertTrue(worst < 2_000_000_000L, "an exchange took " + worst / 1_000_000 + " ms");
    }

    /**
     * A fresh JVM whose first use of the runtime is from plain and virtual threads (no Go.run
     * ever): dials, accepts and exchanges right after the runtime starts, with GOMAXPROCS 1
     * and 2, must all complete.
     */
    @Test
    void freshRuntimeStartedByThreads() throws Exception {
        for (String procs : new String[] {"1", "2", "1", "2"}) {
            Process p = EchoStressTest.startChild(List.of("-Dpanago.maxprocs=" + procs), FreshMain.class);
            try {
                boolean exited = p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
                String out = new String(p.getInputStream().readAllBytes());
                assertTrue(exited, "child (GOMAXPROCS " + procs + ") stuck: " + out);
                assertEquals(0, p.exitValue(), "child (GOMAXPROCS " + procs + ") failed: " + out);
            } finally {
                p.destroyForcibly();
                p.waitFor();
            }
        }
    }

    /** The child of {@link #freshRuntimeStartedByThreads}. */
    public static final class FreshMain {
        public static void main(String[] args) throws Exception {
            Queue<Throwable> errors = new java.util.concurrent.ConcurrentLinkedQueue<>();
            Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
                try {
                    Thread.sleep(20_000);
                    System.err.println("FreshMain stuck; dump:\n" + Go.dump());
                    System.exit(3);
                } catch (InterruptedException e) {
                    // done
                }
            });
            int clients = 16, trips = 20;
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                List<Thread> ts = new ArrayList<>();
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        List<Thread> servers = new ArrayList<>();
                        for (int i = 0; i < clients; i++) {
                            TcpStream c = ln.accept();
                            Runnable serve = () -> {
                                try (c) {
                                    byte[] b = new byte[8];
                                    for (int k = 0; k < trips; k++) {
                                        c.readFully(b);
                                        c.writeAll(b);
                                    }
                                } catch (Throwable t) {
                                    errors.add(t);
                                }
                            };
                            servers.add(i % 2 == 0 ? Thread.ofPlatform().start(serve) : Thread.ofVirtual().start(serve));
                        }
                        for (Thread t : servers) {
                            t.join();
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                }));
                for (int i = 0; i < clients; i++) {
                    int id = i;
                    Runnable client = echoClient(ln, 8, trips, id * 1000L, errors);
                    ts.add(i % 2 == 0 ? Thread.ofVirtual().start(client) : Thread.ofPlatform().start(client));
                }
                for (Thread t : ts) {
                    t.join();
                }
            }
            watchdog.interrupt();
            if (!errors.isEmpty()) {
                errors.forEach(Throwable::printStackTrace);
                System.exit(2);
            }
            System.exit(0);
        }
    }

    /**
     * 1,500 virtual threads dial at once (a ring's worth of connects from threads that may not
     * submit), then all read with a short soTimeout at once (their cancels fill the ring
     * again), then exchange a message: every step completes, every timeout is a timeout.
     */
    @Test
    void virtualDialStormThenMassTimeouts() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int n = 1500;
        List<TcpStream> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0", 4096)) {
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                try {
                    Go.run(() -> {
                        for (int i = 0; i < n; i++) {
                            TcpStream c = ln.accept();
                            accepted.add(c);
                            Go.go(() -> {
                                try {
                                    byte[] b = new byte[8];
                                    c.readFully(b);
                                    c.writeAll(b);
                                } catch (Throwable t) {
                                    errors.add(t);
                                }
                            });
                        }
                        return null;
                    });
                } catch (Throwable t) {
                    errors.add(t);
                }
            });
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            AtomicInteger timeouts = new AtomicInteger(), echoed = new AtomicInteger();
            List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                ts.add(Thread.ofVirtual().start(() -> {
                    try {
                        go.await();
                        try (TcpStream s = TcpStream.connect(ln.localAddress(), Duration.ofSeconds(15))) {
                            s.setSoTimeout(Duration.ofMillis(100));
                            try {
                                s.read(new byte[8]);
                                throw new AssertionError("read without data returned");
                            } catch (SocketTimeoutException expected) {
                                timeouts.incrementAndGet();
                            }
                            s.setSoTimeout(Duration.ZERO);
                            byte[] m = new byte[8];
                            fill(m, id);
                            s.writeAll(m);
                            s.readFully(m);
                            check(m, 0, 8, id, "echo");
                            echoed.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                }));
            }
            go.countDown();
            long end = System.nanoTime() + 25_000_000_000L;
            for (Thread t : ts) {
                t.join(Math.max(1, (end - System.nanoTime()) / 1_000_000));
            }
            acceptor.join(Math.max(1, (end - System.nanoTime()) / 1_000_000));
            boolean stuck = ts.stream().anyMatch(Thread::isAlive) || acceptor.isAlive();
            assertTrue(!stuck, "stuck: timeouts " + timeouts + ", echoed " + echoed + ", errors " + errors.size()
                    + " first " + errors.peek() + "\n" + Go.dump());
            NetTesting.rethrow(errors);
            assertEquals(n, timeouts.get());
            assertEquals(n, echoed.get());
        } finally {
            accepted.forEach(TcpStream::close);
        }
    }

    /**
     * A goroutine locked to its carrier (its park blocks the carrier, its P handed off first)
     * ping-pongs with a plain thread, and with a virtual thread: its deferred receives must be
     * submitted promptly, not on sysmon's 10 ms round.
     */
    @Test
    void lockedGoroutinePingPongsWithThreads() throws Exception {
        for (int procs : new int[] {1, 2}) {
            for (boolean virtual : new boolean[] {false, true}) {
                int before = Go.gomaxprocs(procs);
                try {
                    lockedPingPong(procs, virtual);
                } finally {
                    Go.gomaxprocs(before);
                }
            }
        }
    }

    private static void lockedPingPong(int procs, boolean virtual) throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int trips = 200;
        long took = bounded(Duration.ofSeconds(30), () -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                Runnable pong = () -> {
                    try {
                        byte[] buf = new byte[8];
                        for (int i = 0; i < trips; i++) {
                            b.readFully(buf);
                            b.writeAll(buf);
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                };
                Thread t = virtual ? Thread.ofVirtual().start(pong) : Thread.ofPlatform().start(pong);
                Latch done = new Latch(1);
                AtomicLong elapsed = new AtomicLong();
                NetTesting.go(errors, done, () -> {
                    Go.lockOSThread();
                    try {
                        byte[] buf = new byte[8];
                        long t0 = System.nanoTime();
                        for (int i = 0; i < trips; i++) {
                            fill(buf, i);
                            a.writeAll(buf);
                            a.readFully(buf);
                            check(buf, 0, 8, i, "pong");
                        }
                        elapsed.set(System.nanoTime() - t0);
                    } finally {
                        Go.unlockOSThread();
                    }
                });
                await(done, errors, "locked goroutine");
                Go.blocking(() -> { t.join(10_000); return null; });
                NetTesting.rethrow(errors);
                return elapsed.get();
            }
        });
        System.err.println("locked goroutine procs=" + procs + " virtual=" + virtual + ": " + trips + " round trips in "
                + took / 1_000_000 + " ms");
        assertTrue(took < 10_000_000_000L, trips + " round trips of a locked goroutine took " + took / 1_000_000 + " ms");
    }

    /**
     * Goroutines keep accepts pending on quiet listeners and reads pending on quiet streams
     * while waves of short-lived platform threads (and virtual threads) do socket I/O and exit;
     * then the accepts get their dials and the reads their data: every one completes.
     */
    @Test
    void threadChurnBesidePendingGoroutineAccepts() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        bounded(Duration.ofSeconds(30), () -> {
            int lnCount = 16, pairs = 16;
            TcpListener[] lns = new TcpListener[lnCount];
            TcpStream[] as = new TcpStream[pairs], bs = new TcpStream[pairs];
            List<TcpStream> held = java.util.Collections.synchronizedList(new ArrayList<>());
            try (TcpListener busy = TcpListener.bind("127.0.0.1:0")) {
                connectPairs(busy, as, bs);
                for (int i = 0; i < lnCount; i++) {
                    lns[i] = TcpListener.bind("127.0.0.1:0");
                }
                Latch pending = new Latch(lnCount + pairs);
                AtomicInteger parked = new AtomicInteger();
                for (TcpListener l : lns) {
                    NetTesting.go(errors, pending, () -> {
                        parked.incrementAndGet();
                        TcpStream c = l.accept();
                        held.add(c);
                        byte[] m = new byte[8];
                        c.readFully(m);
                        c.writeAll(m);
                    });
                }
                for (TcpStream b : bs) {
                    NetTesting.go(errors, pending, () -> {
                        parked.incrementAndGet();
                        byte[] m = new byte[8];
                        b.readFully(m);
                        check(m, 0, 8, 5, "pending read");
                    });
                }
                // The echo server of the churning threads.
                Latch server = new Latch(1);
                int waves = 30, perWave = 8;
                NetTesting.go(errors, server, () -> {
                    for (int i = 0; i < waves * perWave; i++) {
                        TcpStream c = busy.accept();
                        Go.go(() -> {
                            try (c) {
                                byte[] m = new byte[64];
                                c.readFully(m);
                                c.writeAll(m);
                            } catch (Throwable t) {
                                errors.add(t);
                            }
                        });
                    }
                });
                Go.blocking(() -> {
                    waitFor(parked, lnCount + pairs, "parked");
                    for (int w = 0; w < waves; w++) {
                        List<Thread> ts = new ArrayList<>();
                        for (int k = 0; k < perWave; k++) {
                            int id = w * perWave + k;
                            Runnable r = () -> {
                                try (TcpStream s = TcpStream.connect(busy.localAddress())) {
                                    byte[] m = new byte[64];
                                    fill(m, id);
                                    s.writeAll(m);
                                    s.readFully(m);
                                    check(m, 0, 64, id, "churn echo");
                                } catch (Throwable t) {
                                    errors.add(t);
                                }
                            };
                            ts.add(k % 4 == 3 ? Thread.ofVirtual().start(r) : Thread.ofPlatform().start(r));
                        }
                        for (Thread t : ts) {
                            t.join(10_000);
                        }
                    }
                    // The churners are gone: now the pending accepts and reads get their peers.
                    for (int i = 0; i < lnCount; i++) {
                        TcpListener l = lns[i];
                        int id = i;
                        Thread.ofPlatform().start(() -> {
                            try (TcpStream s = TcpStream.connect(l.localAddress())) {
                                byte[] m = new byte[8];
                                fill(m, id);
                                s.writeAll(m);
                                s.readFully(m);
                                check(m, 0, 8, id, "accepted echo");
                            } catch (Throwable t) {
                                errors.add(t);
                            }
                        }).join(10_000);
                    }
                    byte[] m = new byte[8];
                    fill(m, 5);
                    for (TcpStream a : as) {
                        a.writeAll(m);
                    }
                    return null;
                });
                await(pending, errors, "goroutine accepts and reads pending across thread churn");
                await(server, errors, "churn server");
                NetTesting.rethrow(errors);
            } finally {
                closeAll(as, bs);
                held.forEach(TcpStream::close);
                for (TcpListener l : lns) {
                    if (l != null) {
                        l.close();
                    }
                }
            }
            return null;
        });
    }

    /**
     * GOMAXPROCS flips between 1 and 3 every millisecond or so, with a goroutine spinning,
     * while plain and virtual threads echo through goroutine servers: every exchange completes.
     */
    @Test
    void threadsEchoWhileGomaxprocsFlips() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int before = Go.gomaxprocs();
        try {
            bounded(Duration.ofSeconds(30), () -> {
                try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                    int clients = 12, trips = 150;
                    stop = false;
                    Latch bg = new Latch(2);
                    NetTesting.go(errors, bg, () -> {
                        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
                        while (!stop) {
                            Go.gomaxprocs(1 + r.nextInt(3));
                            Go.sleep(Duration.ofMillis(1));
                        }
                    });
                    NetTesting.go(errors, bg, () -> {
                        long x = 0;
                        while (!stop) {
                            x++;
                        }
                        sink = x;
                    });
                    Latch served = new Latch(1);
                    NetTesting.go(errors, served, () -> {
                        for (int i = 0; i < clients; i++) {
                            TcpStream c = ln.accept();
                            Go.go(() -> {
                                try (c) {
                                    byte[] b = new byte[16];
                                    for (int k = 0; k < trips; k++) {
                                        c.readFully(b);
                                        c.writeAll(b);
                                    }
                                } catch (Throwable t) {
                                    errors.add(t);
                                }
                            });
                        }
                    });
                    Go.blocking(() -> {
                        List<Thread> ts = new ArrayList<>();
                        for (int i = 0; i < clients; i++) {
                            int id = i;
                            Runnable c = echoClient(ln, 16, trips, id * 10_000L, errors);
                            ts.add(i % 2 == 0 ? Thread.ofPlatform().start(c) : Thread.ofVirtual().start(c));
                        }
                        long end = System.nanoTime() + 20_000_000_000L;
                        for (Thread t : ts) {
                            t.join(Math.max(1, (end - System.nanoTime()) / 1_000_000));
                        }
                        boolean stuck = ts.stream().anyMatch(Thread::isAlive);
                        String dump = stuck ? Go.dump() : "";
                        stop = true;
                        assertTrue(!stuck, "echo threads stuck while GOMAXPROCS flips\n" + dump);
                        return null;
                    });
                    await(bg, errors, "flipper and spinner");
                    await(served, errors, "server");
                    NetTesting.rethrow(errors);
                } finally {
                    stop = true;
                }
                return null;
            });
        } finally {
            Go.gomaxprocs(before);
        }
    }

    /** A client that dials {@code ln} and checks {@code trips} echoes of {@code size}-byte messages. */
    private static Runnable echoClient(TcpListener ln, int size, int trips, long base, Queue<Throwable> errors) {
        return () -> {
            try (TcpStream s = TcpStream.connect(ln.localAddress())) {
                byte[] m = new byte[size];
                for (int k = 0; k < trips; k++) {
                    fill(m, base + k);
                    s.writeAll(m);
                    s.readFully(m);
                    check(m, 0, size, base + k, "echo");
                }
            } catch (Throwable t) {
                errors.add(t);
            }
        };
    }
}
