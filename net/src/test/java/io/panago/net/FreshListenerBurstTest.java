package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shape of the echo benchmark's pipelined workload on a freshly started server, the one
 * that once echoed nothing: a new listener, then many connections that connect and write a
 * burst of messages at once, so that the listener and every accepted socket are readable
 * before any goroutine has parked on them (the first edge of each edge-triggered registration
 * arrives with, or before, the registration). Repeated with fresh listeners while a CPU hog
 * goroutine and a CPU hog thread disturb the timing. The clients are a plain thread with a
 * selector, outside the scheduler; a round that makes no progress for {@link #STALL_NANOS}
 * fails at once with the goroutine dump.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 200, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FreshListenerBurstTest {
    static final int CONNS = 100, MESSAGE = 64, BURST = 16;
    private static final long STALL_NANOS = 10_000_000_000L;

    /** GOMAXPROCS 2 (net's pom sets it for the test JVM). */
    @Test
    void burstsOnFreshListenersAreAllEchoedOnTwoProcs() throws Exception {
        assertEquals(2, Go.gomaxprocs());
        rounds(40, 1);
    }

    /**
     * GOMAXPROCS 1, in a child JVM, whose first round also meets a freshly started runtime
     * (no poller thread yet, nothing compiled), as the benchmark's fresh server did.
     */
    @Test
    void burstsOnFreshListenersAreAllEchoedOnOneProc() throws Exception {
        Process p = EchoStressTest.startChild(List.of("-Dpanago.maxprocs=1"), EchoStressMain.class, "burst");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "child did not finish");
        assertEquals("ok GOMAXPROCS 1", out);
        assertEquals(0, p.exitValue());
    }

    /** {@code n} rounds, each on a new listener; {@code seed} varies the client's pattern. */
    static void rounds(int n, long seed) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread hogThread = Thread.ofPlatform().daemon().name("cpu-hog").start(() -> {
            long x = 0;
            while (!stop.get()) {
                x += System.nanoTime() & 7;
            }
            if (x == 42) {
                System.out.print("");
            }
        });
        Queue<Throwable> errors = NetTesting.errors();
        try {
            Go.run(() -> {
                Latch hogDone = new Latch(1);
                NetTesting.go(errors, hogDone, () -> {
                    // Busy in slices of 0.1-2 ms (sysmon takes the P of a long one), then
                    // asleep for up to 1 ms, so readiness often arrives while the P is taken.
                    // (Go.yield here instead of sleep would starve the readied goroutines for
                    // seconds: see the net helper's report on the global run queue.)
                    SplittableRandom r = new SplittableRandom(seed);
                    while (!stop.get()) {
                        long until = System.nanoTime() + r.nextLong(100_000, 2_000_000);
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                        Go.sleep(java.time.Duration.ofNanos(r.nextLong(1, 1_000_000)));
                    }
                });
                SplittableRandom r = new SplittableRandom(seed);
                for (int i = 0; i < n && errors.isEmpty(); i++) {
                    round(i, r.split(), errors);
                }
                stop.set(true);
                hogDone.await();
                return null;
            });
        } finally {
            stop.set(true);
            hogThread.join();
        }
        NetTesting.rethrow(errors);
    }

    /** One fresh listener, {@link #CONNS} connections bursting at once, every echo checked. */
    private static void round(int round, SplittableRandom r, Queue<Throwable> errors) throws Exception {
        try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
            Latch served = new Latch(CONNS + 1);
            NetTesting.go(errors, served, () -> {
                for (int i = 0; i < CONNS; i++) {
                    TcpStream s = ln.accept();
                    NetTesting.go(errors, served, () -> EchoStressTest.echo(s, 32 * 1024));
                }
            });
            InetSocketAddress addr = ln.localAddress();
            // The client is a plain thread (Go.blocking hands our P to others meanwhile).
            String failure = Go.blocking(() -> burst(addr, r));
            if (failure != null) {
                throw new AssertionError("round " + round + ": " + failure + "\n" + Go.dump());
            }
            if (!served.await(Duration.ofSeconds(20))) {
                throw new AssertionError("round " + round + ": " + served.count()
                        + " server goroutines still running after every echo\n" + Go.dump());
            }
        }
    }

    /**
     * Connects {@link #CONNS} clients and makes each write {@link #BURST} messages (in one
     * write, or one write per message, chosen at random) right after its connect, or after
     * all connects; then reads every echo. Null on success, else what went wrong.
     */
    private static String burst(InetSocketAddress addr, SplittableRandom r) throws IOException {
        int total = MESSAGE * BURST;
        byte[] msg = new byte[total];
        for (int i = 0; i < total; i++) {
            msg[i] = (byte) (i * 31 + 7);
        }
        boolean writeAfterAll = r.nextBoolean();
        SocketChannel[] chs = new SocketChannel[CONNS];
        int[] got = new int[CONNS];
        try (Selector sel = Selector.open()) {
            try {
                for (int i = 0; i < CONNS; i++) {
                    chs[i] = SocketChannel.open();
                    chs[i].setOption(StandardSocketOptions.TCP_NODELAY, true);
                    chs[i].connect(addr);
                    if (!writeAfterAll) {
                        send(chs[i], msg, r.nextBoolean());
                    }
                }
                if (writeAfterAll) {
                    for (SocketChannel ch : chs) {
                        send(ch, msg, r.nextBoolean());
                    }
                }
                for (int i = 0; i < CONNS; i++) {
                    chs[i].configureBlocking(false);
                    chs[i].register(sel, SelectionKey.OP_READ, i);
                }
                ByteBuffer buf = ByteBuffer.allocate(total + 1);
                int done = 0;
                long lastProgress = System.nanoTime();
                while (done < CONNS) {
                    if (sel.select(100) == 0) {
                        if (System.nanoTime() - lastProgress > STALL_NANOS) {
                            StringBuilder sb = new StringBuilder("stalled: no echo for "
                                    + STALL_NANOS / 1_000_000 + " ms; bytes echoed per connection:");
                            for (int i = 0; i < CONNS; i++) {
                                if (got[i] < total) {
                                    sb.append(" #").append(i).append('=').append(got[i]);
                                }
                            }
                            return sb.toString();
                        }
                        continue;
                    }
                    lastProgress = System.nanoTime();
                    for (SelectionKey k : sel.selectedKeys()) {
                        int i = (Integer) k.attachment();
                        buf.clear();
                        int n = chs[i].read(buf);
                        if (n < 0) {
                            return "connection " + i + " closed by the server after " + got[i] + " bytes";
                        }
                        for (int j = 0; j < n; j++) {
                            if (got[i] + j >= total || buf.get(j) != msg[got[i] + j]) {
                                return "connection " + i + ": wrong echo at byte " + (got[i] + j);
                            }
                        }
                        got[i] += n;
                        if (got[i] == total) {
                            done++;
                            k.cancel();
                        }
                    }
                    sel.selectedKeys().clear();
                }
                return null;
            } finally {
                for (SocketChannel ch : chs) {
                    if (ch != null) {
                        ch.close();
                    }
                }
            }
        }
    }

    private static void send(SocketChannel ch, byte[] msg, boolean perMessage) throws IOException {
        if (!perMessage) {
            ch.write(ByteBuffer.wrap(msg));
            return;
        }
        for (int off = 0; off < msg.length; off += MESSAGE) {
            ch.write(ByteBuffer.wrap(msg, off, MESSAGE));
        }
    }
}
