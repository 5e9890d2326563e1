package io.panago.runtime;

import io.panago.bindings.linux.Linux;
import io.panago.runtime.BackendReadinessTests.Group;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.panago.runtime.BackendReadinessTests.parked;
import static io.panago.runtime.BackendReadinessTests.until;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The completion path on io_uring, at the runtime level: goroutines run {@link NetpollOp}s
 * (recv, send, accept, connect, read, write) over loopback sockets and eventfds made with the
 * Linux bindings, and Sched's {@link NetpollUring} reaps their completions.
 */
class UringOpTest {
    static final Object SELECTED = BackendReadinessTests.selectBackend("io_uring", () -> Boolean.TRUE);
    private static final int OK = PollDesc.OK;

    private Set<String> fdsBefore;
    private int listener;
    private final List<NetpollOp> ops = new ArrayList<>();
    private final List<PollDesc> pds = new ArrayList<>();
    private final List<Integer> fds = new ArrayList<>();

    @BeforeEach
    void start() {
        assertTrue(PollDesc.completionModel(), "io_uring is a completion backend");
        assertEquals(NetpollUring.class, Sched.netpoll.getClass(), "Sched polls with io_uring");
        fdsBefore = BackendFds.openFds();
        listener = fd(BackendFds.listener());
    }

    @AfterEach
    void closeEverything() {
        for (PollDesc pd : pds) {
            pd.evict();
        }
        for (NetpollOp op : ops) {
            op.close();
        }
        for (PollDesc pd : pds) {
            pd.close();
        }
        for (int fd : fds) {
            BackendFds.close(fd);
        }
        BackendFds.assertNoNewFds(fdsBefore, "descriptors leaked");
        assertEquals(0, Sched.netpoll.waiters.get(), "goroutines still parked");
    }

    private int fd(int fd) {
        fds.add(fd);
        return fd;
    }

    private PollDesc pd(int fd) throws Exception {
        PollDesc pd = PollDesc.open(fd);
        pds.add(pd);
        return pd;
    }

    private NetpollOp op(PollDesc pd, int mode, int capacity) {
        NetpollOp op = NetpollOp.open(pd, mode, capacity);
        ops.add(op);
        return op;
    }

    private int[] pair() {
        int[] p = BackendFds.tcpPair(listener);
        fd(p[0]);
        fd(p[1]);
        return p;
    }

    /** One end of a connection with a reader and a writer op, as the net layer keeps them. */
    private BackendOpEnd end(int fd) throws Exception {
        PollDesc pd = pd(fd);
        return new BackendOpEnd(fd, pd, op(pd, PollDesc.MODE_READ, 16 << 10), op(pd, PollDesc.MODE_WRITE, 16 << 10));
    }

    @Test
    void recvParksUntilThePeerSends() throws Exception {
        int[] p = pair();
        BackendOpEnd a = end(p[0]), b = end(p[1]);
        byte[] got = new byte[5];
        Group g = new Group(1);
        g.go(() -> b.recvFully(got));
        until(parked(1), "receiver parked on its slot");
        a.sendAll("hello".getBytes());
        g.join(10);
        assertArrayEquals("hello".getBytes(), got);
    }

    /** Outside goroutines an op blocks its thread, and the scheduler's poller still completes it. */
    @Test
    void aPlainThreadRunsOperationsToo() throws Exception {
        int[] p = pair();
        BackendOpEnd a = end(p[0]), b = end(p[1]);
        byte[] got = new byte[4];
        Thread reader = new Thread(() -> b.recvFully(got), "plain-reader");
        reader.start();
        until(parked(1), "the thread parked on its slot");
        a.sendAll(new byte[] {4, 3, 2, 1});
        reader.join(10_000);
        assertTrue(!reader.isAlive(), "the plain thread's recv never completed");
        assertArrayEquals(new byte[] {4, 3, 2, 1}, got);
    }

    @Test
    void acceptAndConnectRunAsOperations() throws Exception {
        PollDesc lpd = pd(listener);
        NetpollOp acc = op(lpd, PollDesc.MODE_READ, 4096);
        int port = BackendFds.port(listener);
        int c = fd(BackendFds.socket());
        PollDesc cpd = pd(c);
        NetpollOp con = op(cpd, PollDesc.MODE_WRITE, 4096);
        long[] accepted = {-1};
        int[] peerPort = {-1};
        Group g = new Group(2);
        g.go(() -> {
            try (Arena arena = Arena.ofShared()) { // a goroutine may resume on another carrier
                MemorySegment peer = arena.allocate(128);
                assertEquals(OK, acc.accept(Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC(), peer));
                accepted[0] = acc.result();
                assertEquals(16, acc.addressLength());
                peerPort[0] = BackendFds.portOf(peer);
            }
        });
        until(parked(1), "accept parked");
        g.go(() -> {
            try (Arena arena = Arena.ofShared()) { // a goroutine may resume on another carrier
                assertEquals(OK, con.connect(BackendFds.loopbackAddress(port, arena), 16));
                assertEquals(0, con.result(), () -> "connect: " + BackendFds.describe(con.result()));
            }
        });
        g.join(10);
        assertTrue(accepted[0] >= 0, () -> "accept: " + BackendFds.describe(accepted[0]));
        fd((int) accepted[0]);
        assertTrue(peerPort[0] > 0);
        BackendOpEnd server = end((int) accepted[0]);
        byte[] x = {42};
        assertEquals(1, BackendFds.tryWrite(c, x, 0, 1));
        byte[] y = new byte[1];
        Group g2 = new Group(1);
        g2.go(() -> server.recvFully(y));
        g2.join(10);
        assertEquals(42, y[0]);
    }

    @Test
    void connectToAClosedPortCompletesWithEconnrefused() throws Exception {
        int l = BackendFds.listener();
        int port = BackendFds.port(l);
        BackendFds.close(l);
        int c = fd(BackendFds.socket());
        NetpollOp con = op(pd(c), PollDesc.MODE_WRITE, 4096);
        Group g = new Group(1);
        g.go(() -> {
            try (Arena arena = Arena.ofShared()) { // a goroutine may resume on another carrier
                assertEquals(OK, con.connect(BackendFds.loopbackAddress(port, arena), 16));
            }
        });
        g.join(10);
        assertEquals(-Linux.ECONNREFUSED(), con.result());
    }

    @Test
    void peerShutdownCompletesARecvWithEndOfStream() throws Exception {
        int[] p = pair();
        BackendOpEnd b = end(p[1]);
        int[] st = {-1};
        Group g = new Group(1);
        g.go(() -> st[0] = b.r.recv(new byte[8], 0, 8, 0));
        until(parked(1), "receiver parked");
        BackendFds.shutdownWrite(p[0]);
        g.join(10);
        assertEquals(OK, st[0]);
        assertEquals(0, b.r.result());
    }

    @Test
    void readAndWriteOfABlockingEventfd() throws Exception {
        int efd = fd(BackendFds.blockingEventfd());
        PollDesc pd = pd(efd);
        NetpollOp r = op(pd, PollDesc.MODE_READ, 4096), w = op(pd, PollDesc.MODE_WRITE, 4096);
        byte[] got = new byte[8];
        Group g = new Group(1);
        g.go(() -> {
            assertEquals(OK, r.read(got, 0, 8));
            assertEquals(8, r.result());
        });
        until(parked(1), "reader parked");
        byte[] seven = {7, 0, 0, 0, 0, 0, 0, 0};
        assertEquals(OK, w.write(seven, 0, 8));
        assertEquals(8, w.result());
        g.join(10);
        assertArrayEquals(seven, got);
    }

    /**
     * A read deadline cancels the recv in flight (IORING_OP_ASYNC_CANCEL) and reports a
     * timeout no earlier than the deadline; the op, its buffer and the connection stay usable.
     */
    @Test
    void aReadDeadlineCancelsTheRecvInFlightAndTheOpStaysUsable() throws Exception {
        int[] p = pair();
        BackendOpEnd a = end(p[0]), b = end(p[1]);
        CountDownLatch timedOut = new CountDownLatch(1);
        Group g = new Group(1);
        g.go(() -> {
            long deadline = Sched.nanotime() + 50_000_000L;
            b.pd.setDeadline(deadline, PollDesc.MODE_READ);
            assertEquals(PollDesc.ERR_TIMEOUT, b.r.recv(new byte[8], 0, 8, 0));
            assertTrue(Sched.nanotime() >= deadline, "woke before the deadline");
            assertEquals(-Linux.ECANCELED(), b.r.result(), "the recv was cancelled, not completed");
            b.pd.setDeadline(0, PollDesc.MODE_READ);
            timedOut.countDown();
            byte[] got = new byte[3];
            b.recvFully(got);
            assertArrayEquals("abc".getBytes(), got);
        });
        assertTrue(timedOut.await(10, TimeUnit.SECONDS));
        until(parked(1), "receiver parked again");
        a.sendAll("abc".getBytes());
        g.join(10);
    }

    @Test
    void evictCancelsTheRecvAndTheSendInFlight() throws Exception {
        int[] p = pair();
        BackendFds.setBuffers(p[0], 16384);
        BackendFds.setBuffers(p[1], 16384);
        BackendOpEnd a = end(p[0]);
        int[] rs = {-1}, ws = {-1};
        Group g = new Group(2);
        g.go(() -> rs[0] = a.r.recv(new byte[8], 0, 8, 0));
        g.go(() -> {
            byte[] chunk = new byte[16 << 10];
            int st;
            while ((st = a.w.send(chunk, 0, chunk.length, 0)) == OK) {
                assertTrue(a.w.result() > 0);
            }
            ws[0] = st;
        });
        until(parked(2), "receiver and sender parked");
        a.pd.evict();
        g.join(10);
        assertEquals(PollDesc.ERR_CLOSING, rs[0]);
        assertEquals(PollDesc.ERR_CLOSING, ws[0]);
        assertThrows(IllegalStateException.class, () -> {
            a.r.close();
            a.r.recv(new byte[1], 0, 1, 0);
        });
    }

    /**
     * Closing an op while its recv is in flight must not free the buffer the kernel writes
     * into: it stays with the call until the completion (here: data arriving) is in, then goes
     * back to the pool, and the op's completion slot with it.
     */
    @Test
    void anOpClosedInFlightKeepsItsBufferUntilTheCompletion() throws Exception {
        int[] p = pair();
        BackendOpEnd b = end(p[1]);
        byte[] got = new byte[4];
        Group g = new Group(1);
        g.go(() -> {
            assertEquals(OK, b.r.recv(got, 0, 4, 0));
            assertEquals(4, b.r.result());
        });
        until(parked(1), "receiver parked");
        MemorySegment buf = b.r.buf;
        assertNotNull(buf, "the call holds a buffer while the kernel owns it");
        int slot = b.r.slot;
        b.r.close();
        assertTrue(b.r.buf == buf, "the buffer was released while the kernel owns it");
        assertEquals(slot, b.r.slot, "the slot was released while the operation is in flight");
        assertEquals(4, BackendFds.tryWrite(p[0], new byte[] {1, 2, 3, 4}, 0, 4));
        g.join(10);
        assertArrayEquals(new byte[] {1, 2, 3, 4}, got);
        assertNull(b.r.buf, "released once the completion and the caller were done");
        assertEquals(-1, b.r.slot, "its completion slot was released");
        assertThrows(IllegalStateException.class, () -> b.r.recv(got, 0, 4, 0));
    }

    /** Many connections echo random-sized chunks through ops on both ends. */
    @Test
    void echoStressThroughOperationsLosesNothing() throws Exception {
        List<BackendOpEnd[]> pairs = new ArrayList<>();
        for (int c = 0; c < 40; c++) {
            int[] p = pair();
            pairs.add(new BackendOpEnd[] {end(p[0]), end(p[1])});
        }
        BackendOpEnd.echoStress(pairs, 60, client -> BackendFds.shutdownWrite((int) client.handle));
    }
}
