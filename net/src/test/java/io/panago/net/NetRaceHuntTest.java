package io.panago.net;

import io.panago.Go;
import io.panago.net.NetStormTest.Kind;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

import static io.panago.net.NetStormTest.await;
import static io.panago.net.NetStormTest.bounded;
import static io.panago.net.NetStormTest.check;
import static io.panago.net.NetStormTest.fill;
import static io.panago.net.NetStormTest.linger0;
import static io.panago.net.NetStormTest.pat;
import static io.panago.net.NetStormTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A hunt for races in the concurrent use of one {@link TcpStream} or {@link TcpListener}: close,
 * deadlines, clones, peer resets and the stream views, each raced by goroutines, platform
 * threads and virtual threads at once, at GOMAXPROCS 1 and 2, measured against Go's
 * internal/poll (every blocked call wakes at once on close or on a deadline moved into the
 * past; a deadline moved later or removed before it fires never fires; a Write is atomic with
 * respect to other writers; data is never lost, duplicated or read from a recycled
 * descriptor). The per-class check of {@link NetTesting} sees that no descriptor and no
 * goroutine is left behind.
 */
@ExtendWith(NetTesting.class)
class NetRaceHuntTest {
    private static final Duration LIMIT = Duration.ofSeconds(20);
    /**
     * How far ahead the deadlines that tests move later start out: far enough that moving a dozen
     * of them is done long before, even on a loaded machine, so the old deadline cannot fire first.
     */
    private static final long NEAR_MS = 1_500;
    private static final int[] PROCS = {1, 2};

    /** Runs {@code body} once at each GOMAXPROCS of {@link #PROCS}, restoring the old value. */
    private static void atEachGomaxprocs(NetTesting.Body body) throws Exception {
        NetTesting.atEachProcs(body, PROCS);
    }

    private static boolean isClosed(Throwable t) {
        return t instanceof SocketException && "Socket closed".equals(t.getMessage());
    }

    /** Fails unless {@code t} is the "Socket closed" every call woken by close must throw. */
    private static void assertClosed(String what, Throwable t) {
        if (!isClosed(t)) {
            throw new AssertionError(what + ": expected SocketException(Socket closed), got " + t, t);
        }
    }

    /** The i-th kind of caller, cycling through goroutine, platform thread, virtual thread. */
    private static Kind kind(int i) {
        return Kind.values()[i % Kind.values().length];
    }

    // ------------------------------------------------------------------------------------

    /**
     * Each round blocks every kind of caller in every call: readers and writers of one stream
     * (one of each direction in the call, the others queued on its read and write locks) and
     * acceptors of one listener. A closer then closes both; every call must end with "Socket
     * closed", which Go's FD.Close promises for calls in flight ("evict" wakes the pollers,
     * and the lock waiters see the closed bit).
     */
    @Test
    void closeWakesEveryWaiterOfEveryKind() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 4; round++) {
                TcpListener ln = TcpListener.bind("127.0.0.1:0");
                TcpStream a = TcpStream.connect(ln.localAddress());
                TcpStream b = ln.accept();
                try {
                    int calls = 3 * 3;
                    Latch done = new Latch(calls);
                    AtomicInteger closedSeen = new AtomicInteger();
                    for (int i = 0; i < 3; i++) {
                        Kind k = kind(i + round);
                        start(k, errors, done, () -> {
                            try {
                                int n = a.read(new byte[64]);
                                fail("read returned " + n + " on a stream nobody wrote to");
                            } catch (IOException e) {
                                assertClosed("read on " + k, e);
                                closedSeen.incrementAndGet();
                            }
                        });
                        start(kind(i + round + 1), errors, done, () -> {
                            byte[] big = new byte[8 << 20];
                            try {
                                for (;;) {
                                    a.writeAll(big); // nobody reads b: ends up waiting
                                }
                            } catch (IOException e) {
                                assertClosed("writeAll on " + k, e);
                                closedSeen.incrementAndGet();
                            }
                        });
                        start(kind(i + round + 2), errors, done, () -> {
                            try {
                                TcpStream s = ln.accept();
                                s.close();
                                fail("accept returned with nobody dialling");
                            } catch (IOException e) {
                                assertClosed("accept on " + k, e);
                                closedSeen.incrementAndGet();
                            }
                        });
                    }
                    // Let the calls get under way: whether they are parked or not yet begun,
                    // the outcome asserted is the same, so this only makes the race likelier.
                    Go.sleep(Duration.ofMillis(20));
                    Latch closers = new Latch(2);
                    start(kind(round), errors, closers, a::close);
                    start(kind(round + 1), errors, closers, ln::close);
                    await(closers, errors, "closers, round " + round);
                    await(done, errors, "woken calls, round " + round);
                    NetTesting.rethrow(errors);
                    assertEquals(calls, closedSeen.get());
                } finally {
                    a.close();
                    b.close();
                    ln.close();
                }
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    /**
     * A deadline moved into the past wakes a read, a write and an accept that are parked (Go's
     * pollSetDeadline with a negative duration unblocks the waiter), for goroutines, platform
     * threads and virtual threads. The write reports exactly what it moved, and once the
     * deadline is removed each stream goes on: the rest of the write arrives, in order, and a
     * later read gets its data.
     */
    @Test
    void pastDeadlineWakesParkedCallsOfEveryKindAndTheStreamStaysUsable() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        for (Kind k : Kind.values()) {
            atEachGomaxprocs(() -> bounded(LIMIT, () -> {
                try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                     TcpStream a = TcpStream.connect(ln.localAddress());
                     TcpStream b = ln.accept()) {
                    Latch done = new Latch(3);
                    byte[] big = new byte[32 << 20]; // more than loopback's buffers ever take
                    fill(big, 0);
                    AtomicBoolean readerReady = new AtomicBoolean(), writerTimedOut = new AtomicBoolean();
                    start(k, errors, done, () -> {
                        try {
                            a.read(new byte[16]);
                            fail("read returned before its data or deadline");
                        } catch (SocketTimeoutException expected) {
                            // the stream stays usable: wait for the data with no deadline
                        }
                        readerReady.set(true);
                        byte[] got = new byte[3];
                        a.setReadDeadline(null);
                        a.readFully(got);
                        assertEquals(7, got[2]);
                    });
                    start(k, errors, done, () -> {
                        int sent;
                        try {
                            a.writeAll(big);
                            throw new AssertionError("32 MiB went into a peer that does not read");
                        } catch (SocketTimeoutException e) {
                            sent = e.bytesTransferred;
                        }
                        writerTimedOut.set(true);
                        assertTrue(sent >= 0 && sent < big.length, "bytesTransferred " + sent);
                        a.setWriteDeadline(null);
                        a.writeAll(big, sent, big.length - sent);
                    });
                    start(k, errors, done, () -> {
                        try {
                            ln.accept().close();
                            fail("accept returned with nobody dialling");
                        } catch (SocketTimeoutException expected) {
                        }
                        ln.setDeadline(null);
                        try (TcpStream c = ln.accept()) {
                            assertEquals(42, c.inputStream().read());
                        }
                    });
                    Go.sleep(Duration.ofMillis(20));
                    Instant past = Instant.now().minusSeconds(1);
                    a.setDeadline(past);
                    ln.setDeadline(past);
                    // Only once the writer has timed out does the peer read: a reader draining
                    // while the writer was still between two sends could let the whole write
                    // through without a wait for the deadline to end (as in Go: a deadline ends
                    // waits, not a write that never waits).
                    while (!writerTimedOut.get()) {
                        Go.yield();
                    }
                    // The peer drains everything the writer moved, before and after its timeout.
                    byte[] got = new byte[big.length];
                    b.readFully(got);
                    check(got, 0, got.length, 0, "write split by a timeout");
                    while (!readerReady.get()) {
                        Go.yield();
                    }
                    b.writeAll(new byte[] {5, 6, 7});
                    try (TcpStream c = TcpStream.connect(ln.localAddress())) {
                        c.writeAll(new byte[] {42});
                        await(done, errors, "calls woken by a past deadline on " + k);
                    }
                }
                return null;
            }));
            NetTesting.rethrow(errors);
        }
    }

    /**
     * A read parked under a near deadline that another caller moves later, or removes, before
     * it fires keeps waiting and gets the data that comes after the old deadline (Go's
     * pollSetDeadline re-arms the timer; a firing that lost the race finds the deadline moved
     * and does nothing). For each kind of reader, extended and cleared, with and without a
     * soTimeout longer than the wait (which must not stand in for the removed deadline).
     */
    @Test
    void deadlineMovedLaterOrRemovedWhileParkedNeverFires() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        bounded(LIMIT, () -> {
            List<TcpStream> all = new ArrayList<>();
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                int n = Kind.values().length * 4;
                TcpStream[] readers = new TcpStream[n], writers = new TcpStream[n];
                for (int i = 0; i < n; i++) {
                    readers[i] = TcpStream.connect(ln.localAddress());
                    writers[i] = ln.accept();
                    all.add(readers[i]);
                    all.add(writers[i]);
                }
                Latch done = new Latch(n);
                Instant near = Instant.now().plusMillis(NEAR_MS);
                for (int i = 0; i < n; i++) {
                    TcpStream r = readers[i];
                    int variant = i / Kind.values().length;
                    if ((variant & 2) != 0) {
                        r.setSoTimeout(Duration.ofSeconds(30));
                    }
                    r.setReadDeadline(near);
                    int id = i;
                    start(kind(i), errors, done, () -> {
                        byte[] got = new byte[4];
                        r.readFully(got);
                        assertEquals(id, got[3], "reader " + id);
                    });
                }
                Go.sleep(Duration.ofMillis(20));
                for (int i = 0; i < n; i++) {
                    boolean clear = (i / Kind.values().length & 1) != 0;
                    readers[i].setReadDeadline(clear ? null : Instant.now().plusSeconds(60));
                }
                Go.sleep(Duration.ofMillis(NEAR_MS + 200)); // past the old deadline: it must not fire now
                for (int i = 0; i < n; i++) {
                    writers[i].writeAll(new byte[] {0, 0, 0, (byte) i});
                }
                await(done, errors, "readers whose deadline moved");
            } finally {
                all.forEach(TcpStream::close);
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    /**
     * The same for a writeAll parked on a full socket buffer and an accept parked on an empty
     * backlog: a write or accept deadline moved later or removed before it fires never fires,
     * and the write then completes in full once the peer reads.
     */
    @Test
    void writeAndAcceptDeadlinesMovedLaterWhileParkedNeverFire() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        bounded(LIMIT, () -> {
            List<AutoCloseable> all = new ArrayList<>();
            try {
                int n = Kind.values().length * 2;
                TcpStream[] writers = new TcpStream[n], peers = new TcpStream[n];
                TcpListener[] listeners = new TcpListener[n];
                for (int i = 0; i < n; i++) {
                    listeners[i] = TcpListener.bind("127.0.0.1:0");
                    all.add(listeners[i]);
                    writers[i] = TcpStream.connect(listeners[i].localAddress());
                    peers[i] = listeners[i].accept();
                    all.add(writers[i]);
                    all.add(peers[i]);
                }
                byte[] big = new byte[32 << 20];
                fill(big, 0);
                Latch done = new Latch(2 * n);
                Instant near = Instant.now().plusMillis(NEAR_MS);
                for (int i = 0; i < n; i++) {
                    TcpStream w = writers[i];
                    TcpListener ln = listeners[i];
                    w.setWriteDeadline(near);
                    ln.setDeadline(near);
                    start(kind(i), errors, done, () -> w.writeAll(big));
                    start(kind(i + 1), errors, done, () -> {
                        try (TcpStream s = ln.accept()) {
                            assertEquals(1, s.inputStream().read());
                        }
                    });
                }
                Go.sleep(Duration.ofMillis(20));
                for (int i = 0; i < n; i++) {
                    Instant later = i < Kind.values().length ? Instant.now().plusSeconds(60) : null;
                    writers[i].setWriteDeadline(later);
                    listeners[i].setDeadline(later);
                }
                Go.sleep(Duration.ofMillis(NEAR_MS + 200)); // past the old deadline: it must not fire now
                byte[] got = new byte[big.length];
                for (int i = 0; i < n; i++) {
                    try (TcpStream c = TcpStream.connect(listeners[i].localAddress())) {
                        c.writeAll(new byte[] {1});
                        peers[i].readFully(got);
                        check(got, 0, got.length, 0, "write " + i);
                    }
                }
                await(done, errors, "writers and acceptors whose deadline moved");
            } finally {
                for (AutoCloseable c : all) {
                    c.close();
                }
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    /**
     * A reader of each kind takes a paced stream of numbered bytes while another goroutine
     * keeps moving the read deadline: into the past, a little ahead, far ahead, away. A read
     * may time out (and is retried) but every byte arrives exactly once, in order: a timeout
     * never swallows data the kernel had delivered (Go: a read that loses the race to its
     * deadline reports the timeout and leaves the data for the next read).
     */
    @Test
    void deadlineTogglingWhileDataFlowsLosesNothing() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        for (Kind k : Kind.values()) {
            atEachGomaxprocs(() -> bounded(LIMIT, () -> {
                try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                     TcpStream a = TcpStream.connect(ln.localAddress());
                     TcpStream b = ln.accept()) {
                    int total = 200_000;
                    AtomicBoolean finished = new AtomicBoolean();
                    AtomicLong timeouts = new AtomicLong();
                    Latch done = new Latch(3);
                    start(k, errors, done, () -> {
                        byte[] buf = new byte[1500];
                        long pos = 0;
                        try {
                            while (pos < total) {
                                int got;
                                try {
                                    got = a.read(buf);
                                } catch (SocketTimeoutException e) {
                                    timeouts.incrementAndGet();
                                    continue;
                                }
                                if (got < 0) {
                                    throw new EOFException("end of stream at " + pos);
                                }
                                check(buf, 0, got, pos, k + " reader");
                                pos += got;
                            }
                        } finally {
                            finished.set(true);
                        }
                    });
                    NetTesting.go(errors, done, () -> {
                        SplittableRandom rnd = new SplittableRandom(7);
                        byte[] chunk = new byte[997];
                        for (long pos = 0; pos < total; ) {
                            int len = (int) Math.min(1 + rnd.nextInt(chunk.length), total - pos);
                            for (int i = 0; i < len; i++) {
                                chunk[i] = pat(pos + i);
                            }
                            b.writeAll(chunk, 0, len);
                            pos += len;
                            if (rnd.nextInt(8) == 0) {
                                Go.yield();
                            }
                        }
                    });
                    NetTesting.go(errors, done, () -> {
                        SplittableRandom rnd = new SplittableRandom(11);
                        while (!finished.get()) {
                            switch (rnd.nextInt(4)) {
                                case 0 -> a.setReadDeadline(Instant.now().minusMillis(1));
                                case 1 -> a.setReadDeadline(Instant.now().plusNanos(rnd.nextInt(200_000)));
                                case 2 -> a.setReadDeadline(Instant.now().plusSeconds(60));
                                default -> a.setReadDeadline(null);
                            }
                            Go.yield();
                            if (rnd.nextInt(4) == 0) {
                                a.setReadDeadline(null); // give the reader stretches of calm
                                Go.sleep(Duration.ofNanos(rnd.nextInt(300_000)));
                            }
                        }
                        a.setReadDeadline(null);
                    });
                    await(done, errors, "deadline toggling with a " + k + " reader");
                }
                return null;
            }));
            NetTesting.rethrow(errors);
        }
    }

    /**
     * Writers of every kind share one stream, each writing whole records (header: writer and
     * sequence; body: one repeated byte) with writeAll or through the OutputStream view, some
     * far larger than the socket buffer so that they wait part-way. Go's FD.Write holds the
     * write lock for the whole buffer, so the reader must see every record contiguous: no
     * interleaving, nothing lost or doubled.
     */
    @Test
    void concurrentWriteAllsNeverInterleave() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                int writers = 6, records = 12;
                Latch done = new Latch(writers);
                for (int w = 0; w < writers; w++) {
                    int id = w;
                    start(kind(w), errors, done, () -> {
                        SplittableRandom rnd = new SplittableRandom(id);
                        OutputStream view = a.outputStream();
                        for (int seq = 0; seq < records; seq++) {
                            int body = rnd.nextInt(4) == 0 ? (1 << 20) + rnd.nextInt(1 << 20) : 1 + rnd.nextInt(40_000);
                            byte[] rec = new byte[12 + body];
                            java.nio.ByteBuffer.wrap(rec).putInt(id).putInt(seq).putInt(body);
                            java.util.Arrays.fill(rec, 12, rec.length, (byte) (id * 31 + seq));
                            if ((seq & 1) == 0) {
                                a.writeAll(rec);
                            } else {
                                view.write(rec);
                            }
                        }
                    });
                }
                DataInputStream in = new DataInputStream(b.inputStream());
                int[] next = new int[writers];
                byte[] body = new byte[2 << 20];
                for (int r = 0; r < writers * records; r++) {
                    int id = in.readInt(), seq = in.readInt(), len = in.readInt();
                    assertTrue(id >= 0 && id < writers && len > 0 && len <= body.length,
                            "record " + r + ": garbled header " + id + "/" + seq + "/" + len);
                    assertEquals(next[id]++, seq, "writer " + id + "'s records out of order");
                    in.readFully(body, 0, len);
                    byte want = (byte) (id * 31 + seq);
                    for (int i = 0; i < len; i++) {
                        if (body[i] != want) {
                            fail("record " + id + "/" + seq + " interleaved at byte " + i + " of " + len);
                        }
                    }
                }
                await(done, errors, "writers");
                a.shutdownOutput();
                assertEquals(-1, in.read());
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    /**
     * Readers of every kind share one stream (half of them through the InputStream view) and
     * split between them what one writer sends: together they must get every byte exactly
     * once (Go's FD.Read holds the read lock over the syscall), which the count and the
     * histogram of byte values show; then end of stream reaches each of them.
     */
    @Test
    void concurrentReadersReceiveEachByteOnce() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                int readers = 6, total = 8 << 20;
                AtomicLongArray seen = new AtomicLongArray(256);
                AtomicLong count = new AtomicLong();
                Latch done = new Latch(readers);
                for (int r = 0; r < readers; r++) {
                    int id = r;
                    start(kind(r), errors, done, () -> {
                        long[] mine = new long[256];
                        byte[] buf = new byte[1 + id * 3000];
                        for (;;) {
                            int n = (id & 1) == 0 ? b.read(buf) : b.inputStream().read(buf);
                            if (n < 0) {
                                break;
                            }
                            for (int i = 0; i < n; i++) {
                                mine[buf[i] & 0xff]++;
                            }
                            count.addAndGet(n);
                        }
                        for (int v = 0; v < 256; v++) {
                            seen.addAndGet(v, mine[v]);
                        }
                    });
                }
                long[] want = new long[256];
                byte[] chunk = new byte[64 << 10];
                for (long pos = 0; pos < total; pos += chunk.length) {
                    for (int i = 0; i < chunk.length; i++) {
                        chunk[i] = (byte) ((pos + i) * 7 + ((pos + i) >>> 8));
                        want[chunk[i] & 0xff]++;
                    }
                    a.writeAll(chunk);
                }
                a.shutdownOutput();
                await(done, errors, "readers");
                NetTesting.rethrow(errors);
                assertEquals(total, count.get(), "bytes read in all");
                for (int v = 0; v < 256; v++) {
                    assertEquals(want[v], seen.get(v), "count of byte value " + v);
                }
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    /**
     * Two halves of one connection ({@link TcpStream#tryClone}) with a call blocked in each:
     * closing one half wakes only its own call, the other keeps its connection; a shutdown of
     * either direction through one half is seen through the others (it acts on the socket, as
     * in Go, where a dup shares the open file); and closing every half releases the socket
     * exactly once (the class's descriptor check).
     */
    @Test
    void cloneHalvesCloseAndShutDownUnderBlockedCalls() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        for (Kind k : Kind.values()) {
            bounded(LIMIT, () -> {
                try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                     TcpStream peer = TcpStream.connect(ln.localAddress());
                     TcpStream original = ln.accept()) {
                    TcpStream clone = original.tryClone();
                    TcpStream second = clone.tryClone();
                    AtomicReference<Throwable> writerEnd = new AtomicReference<>();
                    Latch writer = new Latch(1), reader = new Latch(1), eof = new Latch(1);
                    start(k, errors, writer, () -> {
                        byte[] big = new byte[32 << 20];
                        try {
                            clone.writeAll(big);
                            fail("32 MiB went into a peer that does not read");
                        } catch (IOException e) {
                            writerEnd.set(e);
                        }
                    });
                    start(k, errors, reader, () -> {
                        byte[] got = new byte[3];
                        original.readFully(got);
                        assertEquals(3, got[2]);
                    });
                    Go.sleep(Duration.ofMillis(20));
                    clone.close();
                    await(writer, errors, "writer on the closed clone (" + k + ")");
                    assertClosed("writer on the closed clone", writerEnd.get());
                    assertEquals(1, reader.count(), "the original's reader ended with the clone");
                    // Drain what the writer moved before it was closed, then answer the reader.
                    peer.setReadDeadline(Instant.now().plusMillis(200));
                    byte[] sink = new byte[1 << 16];
                    try {
                        while (peer.read(sink) > 0) {
                            // the bytes of the cut-off write
                        }
                        fail("the peer read end of stream while the original is open");
                    } catch (SocketTimeoutException drained) {
                        peer.setReadDeadline(null);
                    }
                    peer.writeAll(new byte[] {1, 2, 3});
                    await(reader, errors, "reader on the original (" + k + ")");
                    start(k, errors, eof, () -> assertEquals(-1, second.read(new byte[8])));
                    Go.sleep(Duration.ofMillis(20));
                    // A shutdown through one half is end of stream for a read parked on another.
                    original.shutdownInput();
                    await(eof, errors, "reader on the second clone (" + k + ")");
                    second.shutdownOutput();
                    // The drain above stops at its deadline, which a stalled machine can reach
                    // with bytes of the cut-off write still unread: read past them to the end.
                    int r;
                    while ((r = peer.read(sink)) > 0) {
                        // the rest of the cut-off write
                    }
                    assertEquals(-1, r, "the peer sees the shutdown of a clone");
                    try {
                        original.writeAll(new byte[] {9});
                        fail("write after shutdownOutput through a clone succeeded");
                    } catch (SocketException expected) {
                    }
                    second.close();
                }
                return null;
            });
            NetTesting.rethrow(errors);
        }
    }

    /**
     * The peer resets the connection (SO_LINGER 0, then close) while a read of each kind is
     * parked and a writeAll of each kind is part-way through a large buffer: every call ends
     * with the reset (or end of stream for the read, as macOS may report it), none hangs, and
     * the stream then closes cleanly.
     */
    @Test
    void peerResetEndsParkedReadsAndWriteAllsMidway() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        for (Kind rk : Kind.values()) {
            Kind wk = kind(rk.ordinal() + 1);
            atEachGomaxprocs(() -> bounded(LIMIT, () -> {
                try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                     TcpStream a = TcpStream.connect(ln.localAddress())) {
                    TcpStream b = ln.accept();
                    AtomicReference<Object> readEnd = new AtomicReference<>(), writeEnd = new AtomicReference<>();
                    Latch done = new Latch(2);
                    start(rk, errors, done, () -> {
                        try {
                            readEnd.set(a.read(new byte[64]));
                        } catch (IOException e) {
                            readEnd.set(e);
                        }
                    });
                    start(wk, errors, done, () -> {
                        try {
                            a.writeAll(new byte[32 << 20]);
                            writeEnd.set("completed");
                        } catch (IOException e) {
                            writeEnd.set(e);
                        }
                    });
                    b.readFully(new byte[1 << 16]); // the write is under way
                    linger0(b);
                    b.close();
                    await(done, errors, "calls on a reset connection (" + rk + ", " + wk + ")");
                    Object r = readEnd.get(), w = writeEnd.get();
                    if (!(r instanceof SocketException re && NetStormTest.closedOrReset(re)) && !Integer.valueOf(-1).equals(r)) {
                        fail(rk + " read after a reset: " + r);
                    }
                    if (!(w instanceof SocketException we && NetStormTest.closedOrReset(we))) {
                        fail(wk + " writeAll after a reset: " + w);
                    }
                }
                return null;
            }));
            NetTesting.rethrow(errors);
        }
    }

    /**
     * The stream views under a close: a relay moves one connection's InputStream into
     * another's OutputStream with {@link java.io.InputStream#transferTo}, the far end reads
     * records with a {@link DataInputStream}, and the relay's source is closed from another
     * thread mid-transfer. transferTo ends with "Socket closed", and the far end sees an
     * exact prefix of whole records and then end of stream, never a hang.
     */
    @Test
    void viewsRelayingUnderACloseEndWithAnExactPrefix() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        for (Kind k : Kind.values()) {
            bounded(LIMIT, () -> {
                try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                     TcpStream src = TcpStream.connect(ln.localAddress());
                     TcpStream relayIn = ln.accept();
                     TcpStream relayOut = TcpStream.connect(ln.localAddress());
                     TcpStream sink = ln.accept()) {
                    AtomicReference<Throwable> relayEnd = new AtomicReference<>();
                    AtomicBoolean stop = new AtomicBoolean();
                    Latch relay = new Latch(1), producer = new Latch(1);
                    start(k, errors, relay, () -> {
                        try {
                            relayIn.inputStream().transferTo(relayOut.outputStream());
                        } catch (IOException e) {
                            relayEnd.set(e);
                        } finally {
                            relayOut.shutdownOutput();
                        }
                    });
                    NetTesting.go(errors, producer, () -> {
                        DataOutputStream out = new DataOutputStream(src.outputStream());
                        try {
                            for (int i = 0; !stop.get(); i++) {
                                out.writeInt(i);
                                out.writeLong(~(long) i);
                            }
                        } catch (SocketException endOfTheRelay) {
                            // the relay's source closed: its receive buffer was reset
                        }
                    });
                    DataInputStream in = new DataInputStream(sink.inputStream());
                    int records = 0;
                    try {
                        for (;; records++) {
                            if (records == 20_000) {
                                Latch closer = new Latch(1);
                                start(k, errors, closer, relayIn::close);
                                await(closer, errors, "closer");
                            }
                            int i = in.readInt();
                            long l = in.readLong();
                            assertEquals(records, i, "record number");
                            assertEquals(~(long) records, l, "record body " + records);
                        }
                    } catch (EOFException end) {
                        // the relay's end of stream, after whole records only
                    }
                    stop.set(true);
                    await(relay, errors, "relay (" + k + ")");
                    assertClosed("transferTo of a closed stream", relayEnd.get());
                    assertTrue(records >= 20_000, "only " + records + " records relayed");
                    // In case the reset has not reached a producer parked in a write: closing
                    // the view closes the stream, which wakes it.
                    src.outputStream().close();
                    await(producer, errors, "producer");
                }
                return null;
            });
            NetTesting.rethrow(errors);
        }
    }

    /**
     * Accept loops of every kind share a listener that dialling goroutines keep busy; the
     * listener is closed from yet another kind of caller while connections arrive. Every loop
     * ends with "Socket closed", each accepted stream works, and every dial either connected
     * or failed as a connect failure.
     */
    @Test
    void acceptLoopsOfEveryKindEndWhenTheListenerClosesUnderArrivals() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 3; round++) {
                TcpListener ln = TcpListener.bind("127.0.0.1:0");
                AtomicInteger accepted = new AtomicInteger();
                AtomicBoolean stop = new AtomicBoolean();
                Latch loops = new Latch(3), dialers = new Latch(4);
                for (int i = 0; i < 3; i++) {
                    Kind k = kind(i + round);
                    start(k, errors, loops, () -> {
                        try {
                            for (;;) {
                                try (TcpStream s = ln.accept()) {
                                    s.writeAll(new byte[] {1});
                                    accepted.incrementAndGet();
                                }
                            }
                        } catch (IOException e) {
                            assertClosed("accept loop on " + k, e);
                        }
                    });
                }
                for (int d = 0; d < 4; d++) {
                    NetTesting.go(errors, dialers, () -> {
                        while (!stop.get()) {
                            try (TcpStream c = TcpStream.connect(ln.localAddress(), Duration.ofSeconds(5))) {
                                c.setReadDeadline(Instant.now().plusSeconds(5));
                                c.read(new byte[1]); // 1, or the reset of a connection the close dropped
                            } catch (IOException e) {
                                // refused once the listener closed, or reset in its backlog
                            }
                        }
                    });
                }
                while (accepted.get() < 50) {
                    Go.sleep(Duration.ofMillis(1));
                }
                Latch closer = new Latch(1);
                start(kind(round + 1), errors, closer, ln::close);
                await(closer, errors, "closer");
                await(loops, errors, "accept loops, round " + round);
                stop.set(true);
                await(dialers, errors, "dialers, round " + round);
                NetTesting.rethrow(errors);
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }
}
