package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Storms: close races, fd reuse, deadline-vs-data races, churn, writes into a vanishing peer,
 * clones under load, GOMAXPROCS changes, and goroutines/threads/virtual threads mixed. Every
 * byte carries its stream position, so loss, duplication and crossed streams show. Written as
 * a hunt for bugs; it found io_uring receives cancelled by the exit of a plain thread that had
 * submitted them along with its own, connect failing on getpeername after an immediate reset,
 * a second concurrent close returning before the descriptor was closed, and (on the Windows
 * stand-in) a cancelled partial send whose bytes went uncounted.
 */
@ExtendWith(NetTesting.class)
class NetStormTest {
    private static final Duration LIMIT = Duration.ofSeconds(15);

    /** Byte at stream position p (never 0xEE). */
    static byte pat(long p) {
        return (byte) ((p * 131 + (p >>> 9) + (p >>> 17)) & 0x7f);
    }

    static void fill(byte[] b, long pos) {
        for (int i = 0; i < b.length; i++) {
            b[i] = pat(pos + i);
        }
    }

    static void check(byte[] b, int off, int n, long pos, String what) {
        for (int i = 0; i < n; i++) {
            if (b[off + i] != pat(pos + i)) {
                throw new AssertionError(what + ": corrupt byte at stream position " + (pos + i)
                        + ": got " + b[off + i] + " want " + pat(pos + i));
            }
        }
    }

    /** Runs {@code body} in Go.run on a watchdog: on timeout dumps the goroutines and fails. */
    static <T> T bounded(Duration limit, Callable<T> body) throws Exception {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread t = Thread.ofPlatform().daemon().name("storm-main").start(() -> {
            try {
                out.set(new Object[] {Go.run(body)});
            } catch (Throwable e) {
                out.set(e);
            }
        });
        t.join(limit.toMillis());
        if (t.isAlive()) {
            String dump = Go.dump();
            System.err.println("TIMEOUT; dump:\n" + dump);
            fail("test body still running after " + limit + "\n" + dump);
        }
        Object r = out.get();
        if (r instanceof Throwable e) {
            if (e instanceof Exception ex) {
                throw ex;
            }
            throw (Error) e;
        }
        @SuppressWarnings("unchecked")
        T v = (T) ((Object[]) r)[0];
        return v;
    }

    static void await(Latch l, Queue<Throwable> errors, String what) {
        if (!l.await(LIMIT)) {
            String dump = Go.dump();
            System.err.println("TIMEOUT " + what + "; dump:\n" + dump);
            AssertionError e = new AssertionError(what + ": " + l.count() + " still running\n" + dump);
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }

    enum Kind { GOROUTINE, PLATFORM, VIRTUAL }

    /** Starts {@code body} as a goroutine, platform thread or virtual thread; counts down done. */
    static void start(Kind k, Queue<Throwable> errors, Latch done, NetTesting.Body body) {
        Runnable r = () -> {
            try {
                body.run();
            } catch (Throwable t) {
                errors.add(t);
            } finally {
                done.countDown();
            }
        };
        switch (k) {
            case GOROUTINE -> Go.go(r);
            case PLATFORM -> Thread.ofPlatform().daemon().start(r);
            case VIRTUAL -> Thread.ofVirtual().start(r);
        }
    }

    static boolean closedOrReset(IOException e) {
        return e instanceof SocketException && (e.getMessage().equals("Socket closed")
                || e.getMessage().contains("ECONNRESET") || e.getMessage().contains("EPIPE"));
    }

    /** SO_LINGER 0; macOS (and its shim) refuses options on a reset connection. */
    static void linger0(TcpStream s) throws IOException {
        try {
            s.setLinger(0);
        } catch (SocketException e) {
            if (!NetTesting.macosSockets()) {
                throw e;
            }
        }
    }

    // ------------------------------------------------------------------------------------

    /**
     * An old stream closed while a reader and a writer are inside it; the closer at once opens
     * new connections, which reuse its descriptor number. The old calls must never read or
     * write the new sockets: the new sockets carry exactly their own payloads.
     */
    @Test
    void closedStreamNeverTouchesTheSocketThatReusesItsNumber() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        bounded(Duration.ofSeconds(25), () -> {
            SplittableRandom rnd = new SplittableRandom(1);
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                for (int round = 0; round < 150; round++) {
                    TcpStream a = TcpStream.connect(ln.localAddress());
                    TcpStream b = ln.accept();
                    Kind rk = Kind.values()[rnd.nextInt(3)], wk = Kind.values()[rnd.nextInt(3)];
                    int yields = rnd.nextInt(5);
                    AtomicLong stolen = new AtomicLong();
                    Latch done = new Latch(3);
                    start(rk, errors, done, () -> {
                        byte[] buf = new byte[256];
                        try {
                            for (;;) {
                                int n = a.read(buf);
                                if (n < 0) {
                                    throw new AssertionError("old stream read end of stream");
                                }
                                stolen.addAndGet(n);
                            }
                        } catch (SocketException e) {
                            if (!e.getMessage().equals("Socket closed")) {
                                throw e;
                            }
                        }
                    });
                    start(wk, errors, done, () -> {
                        byte[] junk = new byte[100];
                        java.util.Arrays.fill(junk, (byte) 0xEE);
                        try {
                            for (;;) {
                                a.writeAll(junk);
                            }
                        } catch (SocketException e) {
                            if (!e.getMessage().equals("Socket closed")) {
                                throw e;
                            }
                        }
                    });
                    // The closer, which then opens new connections at once.
                    List<TcpStream[]> fresh = new ArrayList<>();
                    NetTesting.go(errors, done, () -> {
                        for (int i = 0; i < yields; i++) {
                            Go.yield();
                        }
                        a.close();
                        for (int i = 0; i < 3; i++) {
                            TcpStream c = TcpStream.connect(ln.localAddress());
                            TcpStream d = ln.accept();
                            synchronized (fresh) {
                                fresh.add(new TcpStream[] {c, d});
                            }
                            byte[] p = new byte[4096];
                            fill(p, 1000 * i);
                            c.writeAll(p);
                            d.writeAll(p);
                        }
                    });
                    await(done, errors, "round " + round);
                    NetTesting.rethrow(errors);
                    assertEquals(0, stolen.get(), "old stream read bytes of a new socket");
                    int i = 0;
                    for (TcpStream[] cd : fresh) {
                        for (TcpStream s : cd) {
                            byte[] got = new byte[4096];
                            s.setReadDeadline(Instant.now().plusSeconds(5));
                            s.readFully(got);
                            check(got, 0, got.length, 1000 * i, "fresh socket " + i);
                            // nothing more than the payload
                            s.setReadDeadline(Instant.now().plusMillis(2));
                            try {
                                int n = s.read(new byte[16]);
                                fail("fresh socket " + i + " got " + n + " extra bytes (from the closed stream?)");
                            } catch (SocketTimeoutException expected) {
                            }
                        }
                        i++;
                    }
                    for (TcpStream[] cd : fresh) {
                        cd[0].close();
                        cd[1].close();
                    }
                    b.close();
                }
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    /**
     * Pairs with a reader on each end and a bulk writer into one end, then every stream and a
     * few listeners with parked acceptors closed at random moments while GOMAXPROCS changes.
     * Every call ends; what the far end read is an exact prefix of what was written.
     */
    @Test
    void closeStormWithGomaxprocsChanges() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int before = Go.gomaxprocs();
        try {
            for (int rep = 0; rep < 3; rep++) {
                int seed = rep;
                bounded(Duration.ofSeconds(20), () -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    int pairs = 40;
                    try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                        List<TcpStream[]> ps = new ArrayList<>();
                        for (int i = 0; i < pairs; i++) {
                            TcpStream a = TcpStream.connect(ln.localAddress());
                            ps.add(new TcpStream[] {a, ln.accept()});
                        }
                        List<TcpListener> extra = new ArrayList<>();
                        for (int i = 0; i < 4; i++) {
                            extra.add(TcpListener.bind("127.0.0.1:0"));
                        }
                        int tasks = pairs * 4 + extra.size() * 3;
                        Latch done = new Latch(tasks);
                        AtomicInteger stop = new AtomicInteger();
                        Latch flipper = new Latch(1);
                        NetTesting.go(errors, flipper, () -> {
                            SplittableRandom r = new SplittableRandom(seed + 100);
                            while (stop.get() == 0) {
                                Go.gomaxprocs(1 + r.nextInt(4));
                                Go.sleep(Duration.ofMillis(r.nextInt(3)));
                            }
                        });
                        for (TcpStream[] p : ps) {
                            TcpStream a = p[0], b = p[1];
                            Kind k1 = Kind.values()[rnd.nextInt(3)], k2 = Kind.values()[rnd.nextInt(3)];
                            // bulk writer into a
                            start(k1, errors, done, () -> {
                                long pos = 0;
                                byte[] chunk = new byte[48 << 10];
                                try {
                                    for (int i = 0; i < 200; i++) {
                                        fill(chunk, pos);
                                        a.writeAll(chunk);
                                        pos += chunk.length;
                                    }
                                } catch (IOException e) {
                                    if (!closedOrReset(e)) {
                                        throw e;
                                    }
                                }
                            });
                            // reader of b: exact prefix
                            start(k2, errors, done, () -> {
                                long pos = 0;
                                byte[] buf = new byte[10_000];
                                try {
                                    for (;;) {
                                        int n = b.read(buf);
                                        if (n < 0) {
                                            break;
                                        }
                                        check(buf, 0, n, pos, "b reader");
                                        pos += n;
                                    }
                                } catch (IOException e) {
                                    if (!closedOrReset(e)) {
                                        throw e;
                                    }
                                }
                            });
                            // reader of a (nothing is ever sent to a)
                            NetTesting.go(errors, done, () -> {
                                try {
                                    int n = a.read(new byte[10]);
                                    if (n >= 0) {
                                        throw new AssertionError("a read " + n + " bytes nobody sent");
                                    }
                                } catch (IOException e) {
                                    if (!closedOrReset(e)) {
                                        throw e;
                                    }
                                }
                            });
                            int da = rnd.nextInt(20), db = rnd.nextInt(30);
                            NetTesting.go(errors, done, () -> {
                                Go.sleep(Duration.ofMillis(da));
                                a.close();
                                Go.sleep(Duration.ofMillis(db));
                                b.close();
                            });
                        }
                        for (TcpListener l : extra) {
                            for (int j = 0; j < 2; j++) {
                                start(Kind.values()[rnd.nextInt(3)], errors, done, () -> {
                                    try {
                                        l.accept().close();
                                        throw new AssertionError("accepted a connection nobody made");
                                    } catch (SocketException e) {
                                        assertEquals("Socket closed", e.getMessage());
                                    }
                                });
                            }
                            int dl = rnd.nextInt(20);
                            NetTesting.go(errors, done, () -> {
                                Go.sleep(Duration.ofMillis(dl));
                                l.close();
                            });
                        }
                        await(done, errors, "close storm");
                        stop.set(1);
                        await(flipper, errors, "flipper");
                    }
                    return null;
                });
                NetTesting.rethrow(errors);
            }
        } finally {
            Go.gomaxprocs(before);
        }
    }

    /**
     * A read deadline expiring about when the data arrives: either the read returns data or it
     * times out, and then the data must still be there. The stream of sequence numbers read
     * is exact. All three kinds of callers, and the soTimeout variant.
     */
    @Test
    void readDeadlineRacingArrivalNeverLosesData() throws Exception {
        for (Kind k : Kind.values()) {
            for (boolean soTimeout : new boolean[] {false, true}) {
                deadlineRace(k, soTimeout);
            }
        }
    }

    private static void deadlineRace(Kind kind, boolean soTimeout) throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        AtomicInteger timeouts = new AtomicInteger();
        bounded(Duration.ofSeconds(20), () -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                int rounds = 300;
                Latch done = new Latch(2);
                Chan1 go = new Chan1();
                // writer: per round waits for the reader's go, then sleeps about the deadline
                NetTesting.go(errors, done, () -> {
                    SplittableRandom r = new SplittableRandom(7);
                    long pos = 0;
                    for (int i = 0; i < rounds; i++) {
                        go.take();
                        long spin = 200_000 + r.nextInt(1_400_000);
                        long until = System.nanoTime() + spin;
                        while (System.nanoTime() < until) {
                            Go.yield();
                        }
                        int len = 1 + r.nextInt(3000);
                        byte[] m = new byte[len];
                        fill(m, pos);
                        b.writeAll(m);
                        pos += len;
                    }
                    go.take();
                    b.shutdownOutput();
                });
                start(kind, errors, done, () -> {
                    long pos = 0;
                    byte[] buf = new byte[4096];
                    for (int i = 0; i < rounds; i++) {
                        if (soTimeout) {
                            a.setSoTimeout(Duration.ofNanos(1_000_000));
                        } else {
                            a.setReadDeadline(Instant.now().plusNanos(1_000_000));
                        }
                        go.put();
                        int n;
                        try {
                            n = a.read(buf);
                        } catch (SocketTimeoutException e) {
                            timeouts.incrementAndGet();
                            a.setSoTimeout(Duration.ZERO);
                            a.setReadDeadline(null);
                            n = a.read(buf);
                        }
                        if (n < 0) {
                            throw new AssertionError("early end of stream at " + pos);
                        }
                        check(buf, 0, n, pos, kind + " reader round " + i);
                        pos += n;
                        // drain the rest of the round's message without deadline
                        a.setSoTimeout(Duration.ZERO);
                        a.setReadDeadline(Instant.now().plusMillis(3));
                        try {
                            for (;;) {
                                n = a.read(buf);
                                if (n < 0) {
                                    throw new AssertionError("early EOF");
                                }
                                check(buf, 0, n, pos, kind + " drain round " + i);
                                pos += n;
                            }
                        } catch (SocketTimeoutException e) {
                            // drained
                        }
                    }
                    a.setReadDeadline(null);
                    go.put();
                    int n = a.read(buf);
                    if (n >= 0) {
                        throw new AssertionError("extra data " + n + " at end");
                    }
                });
                await(done, errors, "deadline race " + kind);
            }
            return null;
        });
        NetTesting.rethrow(errors);
        System.err.println("deadlineRace " + kind + " soTimeout=" + soTimeout + " timeouts=" + timeouts);
    }

    /** A one-slot hand-off usable from any kind of caller (a Latch per round). */
    static final class Chan1 {
        private final java.util.concurrent.LinkedBlockingQueue<Latch> q = new java.util.concurrent.LinkedBlockingQueue<>();
        private final AtomicInteger tickets = new AtomicInteger();
        private final Latch[] ls = new Latch[100_000];

        Chan1() {
            for (int i = 0; i < ls.length; i++) {
                // lazily
            }
        }

        private int puts, takes;

        private synchronized Latch latch(int i) {
            if (ls[i] == null) {
                ls[i] = new Latch(1);
            }
            return ls[i];
        }

        void put() {
            latch(puts++).countDown();
        }

        void take() {
            Latch l = latch(takes++);
            if (!l.await(LIMIT)) {
                throw new AssertionError("hand-off timed out");
            }
        }
    }

    /**
     * A writer with a short write deadline into a slowly drained peer: every timeout reports
     * exactly how much was written, and continuing from there yields an exact byte stream.
     */
    @Test
    void writeDeadlineBytesTransferredIsExact() throws Exception {
        for (Kind k : Kind.values()) {
            Queue<Throwable> errors = NetTesting.errors();
            AtomicInteger timeouts = new AtomicInteger();
            bounded(Duration.ofSeconds(20), () -> {
                try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                     TcpStream a = TcpStream.connect(ln.localAddress());
                     TcpStream b = ln.accept()) {
                    long total = 24L << 20;
                    Latch done = new Latch(2);
                    start(k, errors, done, () -> {
                        SplittableRandom r = new SplittableRandom(3);
                        long pos = 0;
                        byte[] chunk = new byte[300_000];
                        while (pos < total) {
                            int len = (int) Math.min(total - pos, 1 + r.nextInt(chunk.length));
                            for (int i = 0; i < len; i++) {
                                chunk[i] = pat(pos + i);
                            }
                            int off = 0;
                            while (off < len) {
                                a.setWriteDeadline(Instant.now().plusNanos(200_000 + r.nextInt(800_000)));
                                try {
                                    a.writeAll(chunk, off, len - off);
                                    off = len;
                                } catch (SocketTimeoutException e) {
                                    timeouts.incrementAndGet();
                                    off += e.bytesTransferred;
                                }
                            }
                            pos += len;
                        }
                        a.setWriteDeadline(null);
                        a.shutdownOutput();
                    });
                    NetTesting.go(errors, done, () -> {
                        SplittableRandom r = new SplittableRandom(4);
                        long pos = 0;
                        byte[] buf = new byte[64 << 10];
                        for (;;) {
                            int n = b.read(buf, 0, 1 + r.nextInt(buf.length));
                            if (n < 0) {
                                break;
                            }
                            check(buf, 0, n, pos, k + " write-deadline reader");
                            pos += n;
                            if (r.nextInt(8) == 0) {
                                Go.sleep(Duration.ofNanos(r.nextInt(300_000)));
                            }
                        }
                        assertEquals(total, pos);
                    });
                    await(done, errors, "write deadline " + k);
                }
                return null;
            });
            NetTesting.rethrow(errors);
            System.err.println("writeDeadline " + k + " timeouts=" + timeouts);
        }
    }

    /**
     * Thousands of short-lived connections: clients that close at once, that send and close,
     * servers that close first; descriptors return to the baseline (checked by NetTesting)
     * and every goroutine ends.
     */
    @Test
    void connectionChurn() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        var fdsBefore = NetTesting.openSockets();
        bounded(Duration.ofSeconds(25), () -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                int clients = 8, per = 300;
                Latch done = new Latch(clients);
                Latch server = new Latch(1);
                AtomicInteger served = new AtomicInteger();
                NetTesting.go(errors, server, () -> {
                    SplittableRandom r = new SplittableRandom(9);
                    try {
                        for (;;) {
                            TcpStream s = ln.accept();
                            int mode = r.nextInt(3);
                            Go.go(() -> {
                                try (s) {
                                    if (mode == 0) {
                                        return; // close first
                                    }
                                    byte[] m = new byte[8];
                                    int n = s.readNBytes(m, 0, 8);
                                    if (n == 8) {
                                        s.writeAll(m);
                                    }
                                    served.incrementAndGet();
                                } catch (IOException e) {
                                    if (!closedOrReset(e)) {
                                        errors.add(e);
                                    }
                                }
                            });
                        }
                    } catch (SocketException e) {
                        assertEquals("Socket closed", e.getMessage());
                    }
                });
                for (int c = 0; c < clients; c++) {
                    int cid = c;
                    Kind k = cid % 4 == 3 ? Kind.VIRTUAL : Kind.GOROUTINE;
                    start(k, errors, done, () -> {
                        SplittableRandom r = new SplittableRandom(cid);
                        for (int i = 0; i < per; i++) {
                            try (TcpStream s = TcpStream.connect(ln.localAddress())) {
                                int mode = r.nextInt(3);
                                if (mode == 0) {
                                    continue;
                                }
                                byte[] m = new byte[8];
                                fill(m, cid * 1000L + i);
                                try {
                                    s.writeAll(m);
                                    byte[] got = new byte[8];
                                    s.setReadDeadline(Instant.now().plusSeconds(5));
                                    int n = s.readNBytes(got, 0, 8);
                                    if (n == 8) {
                                        check(got, 0, 8, cid * 1000L + i, "echo");
                                    } else if (n != 0) {
                                        throw new AssertionError("partial echo " + n);
                                    }
                                } catch (IOException e) {
                                    if (!closedOrReset(e)) {
                                        throw e;
                                    }
                                }
                                if (mode == 2) {
                                    linger0(s);
                                }
                            }
                        }
                    });
                }
                await(done, errors, "churn clients");
                ln.close();
                await(server, errors, "churn server");
            }
            return null;
        });
        NetTesting.rethrow(errors);
        // All handler goroutines end (their peers are closed): fds back to baseline.
        long until = System.nanoTime() + 5_000_000_000L;
        var now = NetTesting.openSockets();
        while (!now.equals(fdsBefore) && System.nanoTime() < until) {
            Thread.sleep(20);
            now = NetTesting.openSockets();
        }
        var extra = new java.util.TreeSet<>(now);
        extra.removeAll(fdsBefore);
        assertTrue(extra.isEmpty(), "descriptors left after churn: " + extra);
    }

    /**
     * writeAll of a large buffer to a peer that reads a little then closes (with and without
     * reset), from every kind of caller: it must throw, never hang.
     */
    @Test
    void largeWriteAllIntoAPeerThatClosesMidwayThrows() throws Exception {
        for (Kind k : Kind.values()) {
            for (int mode = 0; mode < 3; mode++) {
                int m = mode;
                Queue<Throwable> errors = NetTesting.errors();
                AtomicReference<Throwable> thrown = new AtomicReference<>();
                bounded(Duration.ofSeconds(15), () -> {
                    try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                         TcpStream a = TcpStream.connect(ln.localAddress());
                         TcpStream b = ln.accept()) {
                        Latch done = new Latch(1);
                        start(k, errors, done, () -> {
                            try {
                                byte[] big = new byte[32 << 20];
                                fill(big, 0);
                                a.writeAll(big);
                                thrown.set(new AssertionError("writeAll completed"));
                            } catch (Throwable t) {
                                thrown.set(t);
                            }
                        });
                        byte[] got = new byte[1 << 16];
                        b.readFully(got);
                        check(got, 0, got.length, 0, "prefix");
                        if (m == 0) {
                            linger0(b);
                            b.close();
                        } else if (m == 1) {
                            b.close(); // unread data: the kernel resets
                        } else {
                            b.shutdownInput();
                            b.shutdownOutput();
                            linger0(b);
                            Go.sleep(Duration.ofMillis(5));
                            b.close();
                        }
                        await(done, errors, "writeAll " + k + " mode " + m);
                    }
                    return null;
                });
                NetTesting.rethrow(errors);
                Throwable t = thrown.get();
                if (!(t instanceof SocketException se) || !closedOrReset(se)) {
                    throw new AssertionError(k + " mode " + m + ": unexpected " + t, t);
                }
            }
        }
    }

    /**
     * A clone under load: the original reads an echo while the clone writes; then the clone is
     * closed mid-write, the original keeps reading an exact prefix, and its reader is woken
     * by the original's close only.
     */
    @Test
    void cloneClosedMidWriteLeavesTheOriginalsReadsExact() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        bounded(Duration.ofSeconds(20), () -> {
            SplittableRandom rnd = new SplittableRandom(5);
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                for (int round = 0; round < 30; round++) {
                    TcpStream a = TcpStream.connect(ln.localAddress());
                    TcpStream b = ln.accept();
                    TcpStream ac = a.tryClone();
                    Latch done = new Latch(3);
                    AtomicLong written = new AtomicLong(), read = new AtomicLong();
                    // echo on b
                    NetTesting.go(errors, done, () -> {
                        byte[] buf = new byte[20000];
                        try {
                            for (;;) {
                                int n = b.read(buf);
                                if (n < 0) {
                                    break;
                                }
                                b.writeAll(buf, 0, n);
                            }
                        } catch (IOException e) {
                            if (!closedOrReset(e)) {
                                throw e;
                            }
                        }
                        b.close();
                    });
                    Kind wk = Kind.values()[rnd.nextInt(3)], rk = Kind.values()[rnd.nextInt(3)];
                    start(wk, errors, done, () -> {
                        byte[] chunk = new byte[40000];
                        long pos = 0;
                        try {
                            for (;;) {
                                fill(chunk, pos);
                                ac.writeAll(chunk);
                                pos += chunk.length;
                                written.set(pos);
                            }
                        } catch (SocketException e) {
                            assertEquals("Socket closed", e.getMessage());
                        }
                    });
                    start(rk, errors, done, () -> {
                        byte[] buf = new byte[30000];
                        long pos = 0;
                        try {
                            for (;;) {
                                int n = a.read(buf);
                                if (n < 0) {
                                    break;
                                }
                                check(buf, 0, n, pos, "original reader");
                                pos += n;
                                read.set(pos);
                            }
                        } catch (SocketException e) {
                            assertEquals("Socket closed", e.getMessage());
                        }
                    });
                    Go.sleep(Duration.ofMillis(1 + rnd.nextInt(10)));
                    ac.close();
                    long r0 = read.get();
                    Go.sleep(Duration.ofMillis(20));
                    // the original still reads the echo of whatever went out
                    a.shutdownOutput(); // echo ends: the reader then sees EOF
                    await(done, errors, "clone round " + round);
                    NetTesting.rethrow(errors);
                    assertTrue(read.get() >= r0);
                    a.close();
                }
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    /**
     * Listener closed while goroutines, threads and virtual threads are parked in accept and
     * connections keep arriving: every acceptor ends, every accepted stream is a working one
     * (a byte goes through), nothing leaks.
     *
     * <p>Linux drops, without a reset, a connection whose final handshake ACK it handles while
     * the listener stops listening (counted in {@code TcpExtListenDrops}; a C program that
     * closes its listener under the same load sees it too, about once in a hundred rounds).
     * The dialer then holds an established connection that never gets a byte. So a dialer
     * whose read times out writes a byte: if the process had accepted that connection and
     * lost it, unwritten and unclosed, the write would go through and the next read time
     * out again (a failure); the kernel's orphan answers it with a reset instead.
     */
    @Test
    void listenerCloseStormWithArrivingConnections() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        for (int rep = 0; rep < 20; rep++) {
            int seed = rep;
            bounded(Duration.ofSeconds(15), () -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                TcpListener ln = TcpListener.bind("127.0.0.1:0");
                int acceptors = 6, dialers = 4;
                Latch done = new Latch(acceptors + dialers);
                AtomicInteger accepted = new AtomicInteger();
                for (int i = 0; i < acceptors; i++) {
                    start(Kind.values()[i % 3], errors, done, () -> {
                        try {
                            for (;;) {
                                try (TcpStream s = ln.accept()) {
                                    accepted.incrementAndGet();
                                    s.write(new byte[] {42});
                                } catch (SocketException e) {
                                    if (closedOrReset(e) && !e.getMessage().equals("Socket closed")) {
                                        continue; // the write to a dialer that gave up
                                    }
                                    throw e;
                                }
                            }
                        } catch (SocketException e) {
                            assertEquals("Socket closed", e.getMessage());
                        }
                    });
                }
                for (int i = 0; i < dialers; i++) {
                    NetTesting.go(errors, done, () -> {
                        for (int j = 0; j < 50; j++) {
                            try (TcpStream s = TcpStream.connect(ln.localAddress(), Duration.ofSeconds(2))) {
                                s.setReadDeadline(Instant.now().plusSeconds(2));
                                try {
                                    s.read(new byte[1]);
                                } catch (java.net.SocketTimeoutException silent) {
                                    s.write(new byte[] {7}); // an orphan answers with a reset
                                    s.setReadDeadline(Instant.now().plusSeconds(5));
                                    s.read(new byte[1]); // a slow acceptor's byte, EOF or reset
                                }
                            } catch (IOException e) {
                                if (!(e instanceof java.net.ConnectException) && !closedOrReset(e)
                                        && !(e instanceof EOFException)) {
                                    throw e;
                                }
                            }
                        }
                    });
                }
                Go.sleep(Duration.ofMillis(rnd.nextInt(15)));
                ln.close();
                await(done, errors, "listener storm");
                return null;
            });
            NetTesting.rethrow(errors);
        }
    }

    /**
     * Half-close races: one end shuts its output while its own writer is mid-writeAll and the
     * peer is reading; the peer reads an exact prefix then EOF, the writer fails with EPIPE
     * (or completes), nothing hangs.
     */
    @Test
    void shutdownOutputRacingWriteAll() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        bounded(Duration.ofSeconds(20), () -> {
            SplittableRandom rnd = new SplittableRandom(11);
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                for (int round = 0; round < 60; round++) {
                    TcpStream a = TcpStream.connect(ln.localAddress());
                    TcpStream b = ln.accept();
                    Latch done = new Latch(2);
                    AtomicLong writtenOk = new AtomicLong();
                    AtomicLong got = new AtomicLong();
                    Kind k = Kind.values()[rnd.nextInt(3)];
                    start(k, errors, done, () -> {
                        byte[] chunk = new byte[1 + rnd.nextInt(100_000)];
                        long pos = 0;
                        try {
                            for (int i = 0; i < 100; i++) {
                                fill(chunk, pos);
                                a.writeAll(chunk);
                                pos += chunk.length;
                                writtenOk.set(pos);
                            }
                        } catch (SocketException e) {
                            // The fake Windows kernel (over Linux sockets) reports a send in
                            // flight across the shutdown as a reset; Windows says WSAESHUTDOWN.
                            boolean fakeWindows = System.getProperty("panago.netpoll", "").equals("iocp");
                            if (!e.getMessage().contains("EPIPE") && !e.getMessage().contains("ESHUTDOWN")
                                    && !(fakeWindows && e.getMessage().contains("WSAECONNRESET"))) {
                                throw e;
                            }
                        }
                    });
                    NetTesting.go(errors, done, () -> {
                        byte[] buf = new byte[50_000];
                        long pos = 0;
                        for (;;) {
                            int n = b.read(buf);
                            if (n < 0) {
                                break;
                            }
                            check(buf, 0, n, pos, "half-close reader");
                            pos += n;
                        }
                        got.set(pos);
                    });
                    Go.sleep(Duration.ofNanos(rnd.nextInt(3_000_000)));
                    a.shutdownOutput();
                    await(done, errors, "half-close round " + round);
                    NetTesting.rethrow(errors);
                    assertTrue(got.get() >= writtenOk.get(),
                            "peer got " + got.get() + " < acknowledged " + writtenOk.get());
                    a.close();
                    b.close();
                }
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    /**
     * Deadline set into the past by one goroutine at the same moment another closes the
     * stream, while a reader and writer are parked: every call ends with a timeout or closed.
     */
    @Test
    void deadlineAndCloseAtTheSameInstant() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        bounded(Duration.ofSeconds(20), () -> {
            SplittableRandom rnd = new SplittableRandom(13);
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                for (int round = 0; round < 200; round++) {
                    TcpStream a = TcpStream.connect(ln.localAddress());
                    TcpStream b = ln.accept();
                    Latch done = new Latch(4);
                    Kind rk = Kind.values()[rnd.nextInt(3)], wk = Kind.values()[rnd.nextInt(3)];
                    start(rk, errors, done, () -> {
                        try {
                            a.read(new byte[10]);
                            throw new AssertionError("read returned");
                        } catch (SocketTimeoutException | SocketException e) {
                            // either
                        }
                    });
                    start(wk, errors, done, () -> {
                        try {
                            for (;;) {
                                a.writeAll(new byte[1 << 16]);
                            }
                        } catch (SocketTimeoutException | SocketException e) {
                            // either
                        }
                    });
                    int y1 = rnd.nextInt(4), y2 = rnd.nextInt(4);
                    NetTesting.go(errors, done, () -> {
                        for (int i = 0; i < y1; i++) {
                            Go.yield();
                        }
                        try {
                            a.setDeadline(Instant.now().minusSeconds(1));
                        } catch (SocketException e) {
                            assertEquals("Socket closed", e.getMessage());
                        }
                    });
                    NetTesting.go(errors, done, () -> {
                        for (int i = 0; i < y2; i++) {
                            Go.yield();
                        }
                        Go.sleep(Duration.ofNanos(rnd.nextInt(500_000)));
                        a.close();
                    });
                    await(done, errors, "deadline+close round " + round);
                    NetTesting.rethrow(errors);
                    b.close();
                }
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    /**
     * Dials racing the listener's close (connections reset in the backlog): a dial succeeds
     * or fails as a connect failure (refused / reset), never with an error of the address
     * look-ups that follow the handshake (Go ignores those, Java's connect makes none).
     */
    @Test
    void dialRacingListenerCloseFailsOnlyAsAConnectFailure() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        AtomicInteger ok = new AtomicInteger(), refused = new AtomicInteger();
        bounded(Duration.ofSeconds(20), () -> {
            SplittableRandom rnd = new SplittableRandom(17);
            for (int round = 0; round < 150; round++) {
                TcpListener ln = TcpListener.bind("127.0.0.1:0");
                int dialers = 6;
                Latch done = new Latch(dialers);
                for (int i = 0; i < dialers; i++) {
                    NetTesting.go(errors, done, () -> {
                        for (int j = 0; j < 5; j++) {
                            try (TcpStream s = TcpStream.connect(ln.localAddress())) {
                                ok.incrementAndGet();
                            } catch (IOException e) {
                                String m = String.valueOf(e.getMessage());
                                if (m.contains("getpeername") || m.contains("getsockname")) {
                                    throw new AssertionError("dial failed after the handshake: " + e, e);
                                }
                                refused.incrementAndGet();
                            }
                        }
                    });
                }
                Go.sleep(Duration.ofNanos(rnd.nextInt(400_000)));
                ln.close();
                await(done, errors, "dial race round " + round);
                NetTesting.rethrow(errors);
            }
            return null;
        });
        NetTesting.rethrow(errors);
        System.err.println("dial race ok=" + ok + " refused=" + refused);
    }

    /**
     * Short-lived plain threads write to streams while goroutines keep receives waiting on
     * other streams; after the threads have exited, data for every goroutine reader arrives.
     * Every reader gets its data (a thread's exit must not cancel anyone's operation).
     */
    @Test
    void exitedPlainThreadsDoNotCancelGoroutineReads() throws Exception {
        plainThreadsFeedGoroutineReaders(false);
    }

    /** Control for the test above: the same with the threads kept alive until the end. */
    @Test
    void plainThreadsKeptAliveControl() throws Exception {
        plainThreadsFeedGoroutineReaders(true);
    }

    private static void plainThreadsFeedGoroutineReaders(boolean keepAlive) throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
        bounded(Duration.ofSeconds(20), () -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                int pairs = 64;
                TcpStream[] as = new TcpStream[pairs], bs = new TcpStream[pairs];
                for (int i = 0; i < pairs; i++) {
                    as[i] = TcpStream.connect(ln.localAddress());
                    bs[i] = ln.accept();
                }
                int rounds = 30;
                Latch done = new Latch(pairs);
                AtomicLong received = new AtomicLong();
                for (int i = 0; i < pairs; i++) {
                    TcpStream b = bs[i];
                    NetTesting.go(errors, done, () -> {
                        byte[] buf = new byte[8];
                        long pos = 0;
                        for (int r = 0; r < rounds; r++) {
                            int n = b.readNBytes(buf, 0, 8);
                            if (n < 8) {
                                throw new AssertionError("EOF");
                            }
                            check(buf, 0, 8, pos, "reader");
                            pos += 8;
                            received.incrementAndGet();
                        }
                    });
                }
                // Plain threads, each short-lived, feed every stream one message per round.
                for (int r = 0; r < rounds; r++) {
                    long pos = 8L * r;
                    java.util.concurrent.CountDownLatch wrote = new java.util.concurrent.CountDownLatch(1);
                    Thread t = Thread.ofPlatform().start(() -> {
                        try {
                            byte[] m = new byte[8];
                            fill(m, pos);
                            for (TcpStream a : as) {
                                a.writeAll(m);
                            }
                            wrote.countDown();
                            if (keepAlive) {
                                end.await(30, java.util.concurrent.TimeUnit.SECONDS);
                            }
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    });
                    if (!keepAlive) {
                        Go.blocking(() -> { t.join(5000); return null; });
                    } else {
                        Go.blocking(() -> wrote.await(5, java.util.concurrent.TimeUnit.SECONDS));
                        Go.sleep(Duration.ofMillis(2));
                    }
                    Go.sleep(Duration.ofMillis(2)); // the readers wait again, their receives submitted
                }
                try {
                    await(done, errors, "readers after exited threads");
                    System.err.println("keepAlive=" + keepAlive + " threads: received " + received + " of " + pairs * rounds
                            + ", failures " + errors.size() + ", first " + errors.peek());
                    NetTesting.rethrow(errors);
                    assertEquals((long) pairs * rounds, received.get());
                } finally {
                    end.countDown();
                    for (int i = 0; i < pairs; i++) {
                        as[i].close();
                        bs[i].close();
                    }
                }
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    /**
     * Goroutines' connects wait on a listener whose backlog is full while short-lived plain
     * threads keep writing elsewhere and exit; then a listener with room takes the port, and
     * every connect must succeed. On io_uring a request belongs to the thread whose io_uring_enter submitted
     * it and dies with it: no plain thread may submit a goroutine's request.
     */
    @Test
    void exitedPlainThreadsDoNotCancelGoroutineConnects() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        bounded(Duration.ofSeconds(30), () -> {
            try (TcpListener full = TcpListener.bind("127.0.0.1:0", 1);
                 TcpListener other = TcpListener.bind("127.0.0.1:0")) {
                List<TcpStream> held = new ArrayList<>();
                try {
                    for (int i = 0; i < 16; i++) { // the backlog holds what it can; then SYNs drop
                        try {
                            held.add(TcpStream.connect(full.localAddress(), Duration.ofMillis(200)));
                        } catch (SocketTimeoutException e) {
                            break;
                        }
                    }
                    TcpStream a = TcpStream.connect(other.localAddress());
                    TcpStream b = other.accept();
                    held.add(a);
                    held.add(b);
                    int dialers = 64;
                    Latch done = new Latch(dialers);
                    AtomicInteger started = new AtomicInteger();
                    List<TcpStream> dialled = java.util.Collections.synchronizedList(new ArrayList<>());
                    for (int i = 0; i < dialers; i++) {
                        NetTesting.go(errors, done, () -> {
                            started.incrementAndGet();
                            dialled.add(TcpStream.connect(full.localAddress(), Duration.ofSeconds(20)));
                        });
                    }
                    // Plain threads, one after another, each submitting writes and exiting,
                    // while the dials go in and wait; a reader drains what they write.
                    NetTesting.go(errors, null, () -> {
                        byte[] sink = new byte[4096];
                        try {
                            while (b.read(sink) > 0) {
                                // drain
                            }
                        } catch (SocketException closedAtTheEnd) {
                            // the test is over
                        }
                    });
                    long until = System.nanoTime() + 300_000_000L;
                    while (started.get() < dialers || System.nanoTime() < until) {
                        Thread t = Thread.ofPlatform().start(() -> {
                            try {
                                for (int k = 0; k < 8; k++) {
                                    a.writeAll(new byte[64]);
                                }
                            } catch (IOException e) {
                                errors.add(e);
                            }
                        });
                        Go.blocking(() -> { t.join(5000); return null; });
                    }
                    // Now a listener with room takes the port, and every dial as its SYN comes
                    // again (after a second: the dialler's first retransmission).
                    full.close();
                    try (TcpListener roomy = TcpListener.bind(full.localAddress())) {
                        for (int i = 0; i < dialers; i++) {
                            held.add(roomy.accept());
                        }
                    }
                    await(done, errors, "dials after exited threads");
                    NetTesting.rethrow(errors);
                    assertEquals(dialers, dialled.size());
                    held.addAll(dialled);
                } finally {
                    held.forEach(TcpStream::close);
                }
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    /** The descriptor number behind a stream (reflection: TcpStream.fd, FD.sysfd). */
    static long sysfd(TcpStream s) throws Exception {
        var f = TcpStream.class.getDeclaredField("fd");
        f.setAccessible(true);
        Object fd = f.get(s);
        var g = fd.getClass().getDeclaredField("sysfd");
        g.setAccessible(true);
        return g.getLong(fd);
    }

    /**
     * close() "returns when the descriptor is closed": also for the second of two concurrent
     * closes, while a plain thread is blocked in a read of the stream.
     */
    @Test
    void secondConcurrentCloseReturnsOnlyOnceTheDescriptorIsClosed() throws Exception {
        int early = 0, rounds = 200;
        for (int round = 0; round < rounds; round++) {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream b = TcpStream.connect(ln.localAddress());
                 TcpStream a = ln.accept()) {
                long n = sysfd(a);
                java.util.concurrent.CountDownLatch in = new java.util.concurrent.CountDownLatch(1);
                Thread reader = Thread.ofPlatform().start(() -> {
                    in.countDown();
                    try {
                        a.read(new byte[1]);
                    } catch (IOException expected) {
                    }
                });
                in.await();
                Thread.sleep(2);
                java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(2);
                AtomicInteger stillOpen = new AtomicInteger();
                Runnable closer = () -> {
                    try {
                        go.await();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                    a.close();
                    if (java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/fd/" + n),
                            java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        try {
                            String t = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + n)).toString();
                            if (t.startsWith("socket:")) {
                                stillOpen.incrementAndGet();
                            }
                        } catch (IOException gone) {
                        }
                    }
                };
                Thread c1 = Thread.ofPlatform().start(closer), c2 = Thread.ofPlatform().start(closer);
                c1.join(5000);
                c2.join(5000);
                reader.join(5000);
                if (stillOpen.get() > 0) {
                    early++;
                }
            }
        }
        System.err.println("close returned with the descriptor still open in " + early + " of " + rounds);
        assertEquals(0, early, "a close() returned while the descriptor was still open");
    }
}
