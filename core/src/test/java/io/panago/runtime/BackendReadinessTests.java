package io.panago.runtime;

import io.panago.Go;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static io.panago.runtime.BackendFds.CLOSING;
import static io.panago.runtime.BackendFds.TIMEOUT;
import static io.panago.runtime.BackendFds.describe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The PollDesc protocol over a readiness backend, run by the real scheduler: goroutines park on
 * real Linux descriptors (loopback TCP, eventfds) and the backend under test wakes them. Each
 * backend's test class extends this one and runs in a JVM whose {@code panago.netpoll} selects
 * that backend; {@link #backendUnderTest()} checks that it really is the one polled.
 */
abstract class BackendReadinessTests {
    /**
     * Makes {@code name} the backend of this JVM's scheduler (as {@code -Dpanago.netpoll} does,
     * which the backend's surefire execution sets too, so that {@code -Dtest=...} in the default
     * execution also works) and returns {@code init}'s result, computed first; call from the
     * test class's static initialiser, before anything starts the scheduler.
     */
    static <T> T selectBackend(String name, java.util.function.Supplier<T> init) {
        T t = init.get();
        System.setProperty("panago.netpoll", name);
        return t;
    }

    /** The backend class Sched must be polling. */
    abstract Class<? extends Netpoll> backendUnderTest();

    private Set<String> fdsBefore;
    int listener;
    final List<PollDesc> pds = new ArrayList<>();
    final List<Integer> fds = new ArrayList<>();

    @BeforeEach
    void openListener() {
        Sched.start();
        assertEquals(backendUnderTest(), Sched.netpoll.getClass(),
                "the backend Sched polls (another test class started the scheduler first in this JVM?)");
        fdsBefore = BackendFds.openFds();
        listener = fd(BackendFds.listener());
    }

    @AfterEach
    void closeEverything() {
        for (PollDesc pd : pds) {
            pd.close();
        }
        for (int fd : fds) {
            BackendFds.close(fd);
        }
        BackendFds.assertNoNewFds(fdsBefore, "descriptors leaked");
        assertEquals(0, Sched.netpoll.waiters.get(), "goroutines still parked on descriptors");
    }

    /** Tracks fd for closing after the test. */
    int fd(int fd) {
        fds.add(fd);
        return fd;
    }

    PollDesc pd(int fd) throws Exception {
        PollDesc pd = PollDesc.open(fd);
        pds.add(pd);
        return pd;
    }

    int[] pair() {
        int[] p = BackendFds.tcpPair(listener);
        fd(p[0]);
        fd(p[1]);
        return p;
    }

    /** Goroutines started from the test thread; {@link #join} rethrows the first failure. */
    static final class Group {
        private final CountDownLatch done;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Group(int n) {
            done = new CountDownLatch(n);
        }

        interface Body {
            void run() throws Exception;
        }

        void go(Body body) {
            Go.go(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            });
        }

        void join(int seconds) throws Exception {
            boolean finished = done.await(seconds, TimeUnit.SECONDS);
            Throwable t = failure.get();
            if (t != null) {
                throw new AssertionError("a goroutine failed", t);
            }
            assertTrue(finished, "goroutines still running after " + seconds + " s: a lost wake-up?");
        }
    }

    /** Yields (in a goroutine) or spins until {@code c} holds; 10 s at most. */
    static void until(BooleanSupplier c, String what) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("never happened: " + what);
            }
            Go.yield();
        }
    }

    /**
     * A goroutine parked in accept on the idle listener {@code lpd}: no readiness in either
     * direction until the test says so (evict ends it with ERR_CLOSING), so a poller's wait can
     * end only for a reason the test creates.
     */
    Group parkAnAcceptor(PollDesc lpd) {
        Group g = new Group(1);
        g.go(() -> {
            assertEquals(PollDesc.OK, lpd.prepare(PollDesc.MODE_READ));
            assertEquals(-BackendFds.EAGAIN, BackendFds.tryAccept(listener));
            assertEquals(PollDesc.ERR_CLOSING, lpd.waitRead());
        });
        until(parked(1), "acceptor parked");
        return g;
    }

    static BooleanSupplier parked(int n) {
        return () -> Sched.netpoll.waiters.get() >= n;
    }

    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void readerParksUntilThePeerWrites() throws Exception {
        int[] p = pair();
        PollDesc reader = pd(p[1]);
        byte[] got = new byte[5];
        Group g = new Group(1);
        g.go(() -> BackendFds.readFully(reader, p[1], got));
        until(parked(1), "reader parked");
        byte[] hello = "hello".getBytes();
        assertEquals(5, BackendFds.tryWrite(p[0], hello, 0, 5));
        g.join(10);
        assertArrayEquals(hello, got);
    }

    @Test
    void writerParksOnFullBuffersAndResumesWhenThePeerDrains() throws Exception {
        int[] p = pair();
        BackendFds.setBuffers(p[0], 16384);
        BackendFds.setBuffers(p[1], 16384);
        PollDesc w = pd(p[0]);
        PollDesc r = pd(p[1]);
        byte[] data = pattern(1 << 19, 7);
        byte[] got = new byte[data.length];
        Group g = new Group(2);
        g.go(() -> BackendFds.writeAll(w, p[0], data));
        until(parked(1), "writer parked on full buffers");
        g.go(() -> BackendFds.readFully(r, p[1], got));
        g.join(30);
        assertArrayEquals(data, got);
    }

    @Test
    void acceptParksUntilAClientConnectsAndConnectCompletesThroughWaitWrite() throws Exception {
        PollDesc lpd = pd(listener);
        int[] accepted = {-1};
        Group g = new Group(2);
        g.go(() -> {
            for (;;) {
                assertEquals(PollDesc.OK, lpd.prepare(PollDesc.MODE_READ));
                int a = BackendFds.tryAccept(listener);
                if (a >= 0) {
                    accepted[0] = a;
                    return;
                }
                assertEquals(-BackendFds.EAGAIN, a);
                assertEquals(PollDesc.OK, lpd.waitRead());
            }
        });
        until(parked(1), "accept parked");
        int c = fd(BackendFds.startConnect(BackendFds.port(listener)));
        PollDesc cpd = pd(c);
        g.go(() -> {
            assertEquals(PollDesc.OK, cpd.waitWrite());
            assertEquals(0, BackendFds.soError(c));
        });
        g.join(10);
        fd(accepted[0]);
        byte[] x = {42};
        assertEquals(1, BackendFds.tryWrite(c, x, 0, 1));
        PollDesc apd = pd(accepted[0]);
        byte[] y = new byte[1];
        Group g2 = new Group(1);
        g2.go(() -> BackendFds.readFully(apd, accepted[0], y));
        g2.join(10);
        assertEquals(42, y[0]);
    }

    @Test
    void peerShutdownWakesAParkedReaderWithEof() throws Exception {
        int[] p = pair();
        PollDesc reader = pd(p[1]);
        long[] r = {-1};
        Group g = new Group(1);
        g.go(() -> r[0] = BackendFds.read(reader, p[1], new byte[16], 0, 16));
        until(parked(1), "reader parked");
        BackendFds.shutdownWrite(p[0]);
        g.join(10);
        assertEquals(0, r[0], () -> "EOF expected, got " + describe(r[0]));
    }

    @Test
    void peerCloseWakesAParkedWriterWithAnError() throws Exception {
        int[] p = pair();
        BackendFds.setBuffers(p[0], 4096);
        BackendFds.setBuffers(p[1], 4096);
        PollDesc w = pd(p[0]);
        long[] last = {0};
        Group g = new Group(1);
        g.go(() -> {
            byte[] chunk = new byte[8192];
            long n;
            while ((n = BackendFds.write(w, p[0], chunk, 0, chunk.length)) > 0) {
                Go.yield();
            }
            last[0] = n;
        });
        until(parked(1), "writer parked on full buffers");
        fds.remove((Integer) p[1]);
        BackendFds.close(p[1]); // unread data in its buffer: the kernel resets the connection
        g.join(10);
        assertTrue(last[0] == -io.panago.bindings.linux.Linux.ECONNRESET()
                        || last[0] == -io.panago.bindings.linux.Linux.EPIPE(),
                () -> "ECONNRESET or EPIPE expected, got " + describe(last[0]));
    }

    @Test
    void readDeadlineWakesAParkedReaderNeverEarlyAndANewDeadlineMakesItUsable() throws Exception {
        int[] p = pair();
        PollDesc reader = pd(p[1]);
        CountDownLatch timedOut = new CountDownLatch(1);
        Group g = new Group(1);
        g.go(() -> {
            long deadline = Sched.nanotime() + 50_000_000L;
            reader.setDeadline(deadline, PollDesc.MODE_READ);
            long r = BackendFds.read(reader, p[1], new byte[8], 0, 8);
            assertEquals(TIMEOUT, r, () -> describe(r));
            assertTrue(Sched.nanotime() >= deadline, "woke before the deadline");
            reader.setDeadline(Sched.nanotime() + 10_000_000_000L, PollDesc.MODE_READ);
            timedOut.countDown();
            byte[] b = new byte[3];
            BackendFds.readFully(reader, p[1], b);
            assertArrayEquals("abc".getBytes(), b);
        });
        assertTrue(timedOut.await(10, TimeUnit.SECONDS), "the deadline never fired");
        until(parked(1), "reader parked again under its new deadline");
        assertEquals(3, BackendFds.tryWrite(p[0], "abc".getBytes(), 0, 3));
        g.join(10);
    }

    @Test
    void deadlineMovedLaterBeforeItExpiresDoesNotFire() throws Exception {
        int[] p = pair();
        PollDesc reader = pd(p[1]);
        long[] r = {-1};
        Group g = new Group(1);
        g.go(() -> r[0] = BackendFds.read(reader, p[1], new byte[8], 0, 8));
        until(parked(1), "reader parked");
        // A first deadline far enough out that moving it cannot lose the race on a busy machine.
        long first = Sched.nanotime() + 500_000_000L;
        reader.setDeadline(first, PollDesc.MODE_READ);
        reader.setDeadline(Sched.nanotime() + 30_000_000_000L, PollDesc.MODE_READ);
        Go.run(() -> Go.sleep(Duration.ofMillis(600))); // past the first deadline
        assertTrue(Sched.nanotime() > first);
        assertEquals(1, Sched.netpoll.waiters.get(), "the moved deadline fired");
        assertEquals(1, BackendFds.tryWrite(p[0], new byte[] {1}, 0, 1));
        g.join(10);
        assertEquals(1, r[0], () -> describe(r[0]));
    }

    @Test
    void evictWakesParkedReaderAndWriterWithClosing() throws Exception {
        int[] p = pair();
        BackendFds.setBuffers(p[0], 4096);
        BackendFds.setBuffers(p[1], 4096);
        PollDesc pd = pd(p[0]);
        long[] rr = {0}, wr = {0};
        Group g = new Group(2);
        g.go(() -> rr[0] = BackendFds.read(pd, p[0], new byte[8], 0, 8));
        g.go(() -> {
            byte[] chunk = new byte[65536];
            long n;
            while ((n = BackendFds.write(pd, p[0], chunk, 0, chunk.length)) > 0) {
                Go.yield();
            }
            wr[0] = n;
        });
        until(parked(2), "reader and writer parked");
        pd.evict();
        g.join(10);
        assertEquals(CLOSING, rr[0], () -> describe(rr[0]));
        assertEquals(CLOSING, wr[0], () -> describe(wr[0]));
        assertEquals(PollDesc.ERR_CLOSING, pd.prepare(PollDesc.MODE_READ));
    }

    @Test
    void aDupStaysRegisteredWhenTheOriginalIsClosed() throws Exception {
        int[] p = pair();
        int dup = fd(dup(p[1]));
        PollDesc original = PollDesc.open(p[1]);
        PollDesc copy = pd(dup);
        original.close();
        fds.remove((Integer) p[1]);
        BackendFds.close(p[1]);
        byte[] got = new byte[2];
        Group g = new Group(1);
        g.go(() -> BackendFds.readFully(copy, dup, got));
        until(parked(1), "reader of the dup parked");
        assertEquals(2, BackendFds.tryWrite(p[0], new byte[] {5, 6}, 0, 2));
        g.join(10);
        assertArrayEquals(new byte[] {5, 6}, got);
    }

    static int dup(int fd) {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var errno = io.panago.bindings.linux.LinuxErrno.captureSegment(arena);
            int d = io.panago.bindings.linux.LinuxErrno.dup(errno, fd);
            assertTrue(d >= 0);
            return d;
        }
    }

    /**
     * Many connections, each echoing random-sized chunks back and forth with goroutines on
     * both ends, some with read deadlines that never expire in time: every byte must arrive,
     * nobody may stay parked, no descriptor may leak.
     */
    @Test
    void echoStressOverManyConnectionsLosesNoWakeup() throws Exception {
        int conns = 40, rounds = 60;
        long goroutinesBefore = Go.numGoroutine();
        AtomicLong bytes = new AtomicLong();
        Group g = new Group(2 * conns);
        for (int c = 0; c < conns; c++) {
            int[] p = pair();
            PollDesc client = pd(p[0]), server = pd(p[1]);
            int seed = c;
            g.go(() -> {
                byte[] buf = new byte[8192];
                for (;;) {
                    long n = BackendFds.read(server, p[1], buf, 0, buf.length);
                    if (n == 0) {
                        return;
                    }
                    assertTrue(n > 0, () -> "server read: " + describe(n));
                    BackendFds.writeAll(server, p[1], Arrays.copyOf(buf, (int) n));
                }
            });
            g.go(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                for (int i = 0; i < rounds; i++) {
                    byte[] msg = pattern(1 + rnd.nextInt(6000), i);
                    if (rnd.nextBoolean()) {
                        client.setDeadline(Sched.nanotime() + 30_000_000_000L, PollDesc.MODE_READ);
                    } else {
                        client.setDeadline(0, PollDesc.MODE_READ);
                    }
                    BackendFds.writeAll(client, p[0], msg);
                    byte[] back = new byte[msg.length];
                    BackendFds.readFully(client, p[0], back);
                    assertArrayEquals(msg, back);
                    bytes.addAndGet(msg.length);
                }
                BackendFds.shutdownWrite(p[0]);
            });
        }
        g.join(60);
        assertTrue(bytes.get() > conns * rounds);
        until(() -> Go.numGoroutine() <= goroutinesBefore, "goroutines exited");
    }
}
