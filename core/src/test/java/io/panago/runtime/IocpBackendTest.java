package io.panago.runtime;

import io.panago.bindings.windows.WSAPROTOCOL_INFOW;
import io.panago.bindings.windows.Windows;
import io.panago.bindings.windows.WindowsErrno;
import io.panago.runtime.BackendReadinessTests.Group;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.panago.runtime.BackendReadinessTests.parked;
import static io.panago.runtime.BackendReadinessTests.until;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real IOCP backend, end to end on Linux: {@link NetpollIocp} is Sched's poller
 * ({@code -Dpanago.netpoll=iocp}, set by this test's surefire execution) and calls kernel32 and
 * ws2_32 through the Windows bindings, which are bound to {@link IocpFakeKernel}, a Java
 * Windows with IOCP semantics over Linux sockets. The test plays the net layer of Windows:
 * sockets come from {@code WSASocketW}, connections from {@code AcceptEx}/{@code ConnectEx}
 * run as {@link NetpollOp}s, and goroutines park in them.
 */
class IocpBackendTest {
    static final IocpFakeKernel FAKE = BackendReadinessTests.selectBackend("iocp", IocpFakeKernel::install);
    private static final int OK = PollDesc.OK;

    private final List<NetpollOp> ops = new ArrayList<>();
    private final List<PollDesc> pds = new ArrayList<>();
    private final List<Long> sockets = new ArrayList<>();
    private long listener;
    private Set<String> linuxFdsBefore;

    @BeforeEach
    void start() throws Exception {
        assertTrue(PollDesc.completionModel());
        assertEquals(NetpollIocp.class, Sched.netpoll.getClass(), "Sched polls with IOCP");
        linuxFdsBefore = BackendFds.openFds();
        listener = listener();
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
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = WindowsErrno.captureSegment(a);
            for (long s : sockets) {
                assertEquals(0, WindowsErrno.closesocket(cap, s));
            }
        }
        assertEquals(List.of(), FAKE.failures);
        BackendFds.assertNoNewFds(linuxFdsBefore, "sockets leaked");
        assertEquals(0, Sched.netpoll.waiters.get(), "goroutines still parked");
    }

    // ------------------------------------------------------------------ the net layer's part

    private long socket() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = WindowsErrno.captureSegment(a);
            long s = WindowsErrno.WSASocketW(cap, Windows.AF_INET(), Windows.SOCK_STREAM(), 0, MemorySegment.NULL, 0,
                    Windows.WSA_FLAG_OVERLAPPED());
            assertTrue(s > 0 && s < Integer.MAX_VALUE, "socket handle " + s);
            sockets.add(s);
            return s;
        }
    }

    private void bindLoopback(long s, int port) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = WindowsErrno.captureSegment(a);
            assertEquals(0, WindowsErrno.bind(cap, s, BackendFds.loopbackAddress(port, a), 16));
        }
    }

    private long listener() {
        long s = socket();
        bindLoopback(s, 0);
        try (Arena a = Arena.ofConfined()) {
            assertEquals(0, WindowsErrno.listen(WindowsErrno.captureSegment(a), s, 128));
        }
        return s;
    }

    private int port(long s) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(128);
            MemorySegment len = a.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, 128);
            assertEquals(0, WindowsErrno.getsockname(WindowsErrno.captureSegment(a), s, addr, len));
            return BackendFds.portOf(addr);
        }
    }

    /** A socket option whose value is a SOCKET (SO_UPDATE_ACCEPT_CONTEXT: the listener). */
    private void setsockopt(long s, int name, long value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_LONG);
            v.set(ValueLayout.JAVA_LONG, 0, value);
            assertEquals(0, WindowsErrno.setsockopt(WindowsErrno.captureSegment(a), s, Windows.SOL_SOCKET(), name, v, 8));
        }
    }

    private void setBuffers(long s, int bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, bytes);
            MemorySegment cap = WindowsErrno.captureSegment(a);
            assertEquals(0, WindowsErrno.setsockopt(cap, s, Windows.SOL_SOCKET(), Windows.SO_SNDBUF(), v, 4));
            assertEquals(0, WindowsErrno.setsockopt(cap, s, Windows.SOL_SOCKET(), Windows.SO_RCVBUF(), v, 4));
        }
    }

    private void shutdownSend(long s) {
        try (Arena a = Arena.ofConfined()) {
            assertEquals(0, WindowsErrno.shutdown(WindowsErrno.captureSegment(a), s, Windows.SD_SEND()));
        }
    }

    private void closesocket(long s) {
        sockets.remove(s);
        try (Arena a = Arena.ofConfined()) {
            assertEquals(0, WindowsErrno.closesocket(WindowsErrno.captureSegment(a), s));
        }
    }

    private PollDesc pd(long s) throws Exception {
        PollDesc pd = PollDesc.open(s);
        pds.add(pd);
        return pd;
    }

    private NetpollOp op(PollDesc pd, int mode) {
        NetpollOp op = NetpollOp.open(pd, mode, 16 << 10);
        ops.add(op);
        return op;
    }

    /** One end of a connection with its two ops, as the net layer keeps them. */
    private BackendOpEnd end(long s, PollDesc pd) {
        return new BackendOpEnd(s, pd, op(pd, PollDesc.MODE_READ), op(pd, PollDesc.MODE_WRITE));
    }

    private NetpollOp listenerOp;

    /** A connection made the Windows way: AcceptEx and ConnectEx as operations. {client, server} */
    private BackendOpEnd[] pair() throws Exception {
        if (listenerOp == null) {
            listenerOp = op(pd(listener), PollDesc.MODE_READ);
        }
        long server = socket();
        long client = socket();
        bindLoopback(client, 0);
        PollDesc cpd = pd(client);
        NetpollOp con = op(cpd, PollDesc.MODE_WRITE);
        int port = port(listener);
        Group g = new Group(2);
        g.go(() -> {
            assertEquals(OK, listenerOp.acceptInto(server));
            assertEquals(0, listenerOp.result(), () -> "AcceptEx: " + listenerOp.result());
            setsockopt(server, Windows.SO_UPDATE_ACCEPT_CONTEXT(), listener);
        });
        g.go(() -> {
            try (Arena a = Arena.ofShared()) { // a goroutine may resume on another carrier
                assertEquals(OK, con.connect(BackendFds.loopbackAddress(port, a), 16));
            }
            assertEquals(0, con.result(), () -> "ConnectEx: " + con.result());
            setsockopt(client, Windows.SO_UPDATE_CONNECT_CONTEXT(), 0);
        });
        g.join(10);
        ops.remove(con);
        con.close();
        return new BackendOpEnd[] {end(client, cpd), end(server, pd(server))};
    }

    // ------------------------------------------------------------------ the tests

    @Test
    void acceptExAndConnectExCompleteAndDataFlows() throws Exception {
        BackendOpEnd[] p = pair();
        byte[] got = new byte[5];
        Group g = new Group(1);
        g.go(() -> p[1].recvFully(got));
        until(parked(1), "WSARecv pending, its goroutine parked");
        p[0].sendAll("hello".getBytes());
        g.join(10);
        assertArrayEquals("hello".getBytes(), got);
    }

    /**
     * tryClone's path on Windows: WSADuplicateSocketW plus WSASocketW(FROM_PROTOCOL_INFO) give a
     * second handle to the same file object, which the port has already: its registration must
     * take ERROR_INVALID_PARAMETER as "associated", and its completions, which carry the
     * original's key, must reach its own ops, also once the original is closed and unregistered.
     */
    @Test
    void aDuplicatedSocketSharesThePortAssociationAndOutlivesTheOriginal() throws Exception {
        BackendOpEnd[] p = pair();
        long dup;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = WindowsErrno.captureSegment(a);
            MemorySegment info = a.allocate(WSAPROTOCOL_INFOW.layout());
            assertEquals(0, WindowsErrno.WSADuplicateSocketW(cap, p[0].handle, WindowsErrno.GetCurrentProcessId(cap), info));
            int from = Windows.FROM_PROTOCOL_INFO();
            dup = WindowsErrno.WSASocketW(cap, from, from, from, info, 0, Windows.WSA_FLAG_OVERLAPPED());
            assertTrue(dup != Windows.INVALID_SOCKET(), () -> "WSASocketW: " + WindowsErrno.wsaLastError(cap));
            sockets.add(dup);
        }
        BackendOpEnd d = end(dup, pd(dup));
        p[0].pd.evict();
        p[0].r.close();
        p[0].w.close();
        p[0].pd.close();
        closesocket(p[0].handle);
        byte[] got = new byte[4];
        Group g = new Group(1);
        g.go(() -> d.recvFully(got));
        until(parked(1), "WSARecv on the duplicate pending, its goroutine parked");
        p[1].sendAll(new byte[] {1, 2, 3, 4});
        g.join(10);
        assertArrayEquals(new byte[] {1, 2, 3, 4}, got);
        d.sendAll(new byte[] {9});
        byte[] back = new byte[1];
        p[1].recvFully(back);
        assertEquals(9, back[0]);
    }

    @Test
    void aReceiveThatCompletesAtOnceQueuesNoPacketAndDoesNotPark() throws Exception {
        BackendOpEnd[] p = pair();
        p[0].sendAll(new byte[] {1, 2, 3});
        int packets = FAKE.packetsQueued.get();
        long parks = Sched.netpoll.waiters.get();
        byte[] got = new byte[3];
        // Data is there: with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS the call returns the bytes.
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int off = 0;
        while (off < 3 && System.nanoTime() < end) {
            assertEquals(OK, p[1].r.recv(got, off, 3 - off, 0));
            off += (int) p[1].r.result();
        }
        assertArrayEquals(new byte[] {1, 2, 3}, got);
        assertEquals(packets, FAKE.packetsQueued.get(), "a completion packet was queued for a synchronous success");
        assertEquals(parks, Sched.netpoll.waiters.get());
    }

    /**
     * Where FILE_SKIP_COMPLETION_PORT_ON_SUCCESS cannot be set, an operation that succeeds at
     * once still queues its packet, and the backend must take the result from there (not
     * twice, not never).
     */
    @Test
    void withoutSkipModeASynchronousSuccessCompletesThroughThePort() throws Exception {
        FAKE.refuseSkipModeForNext.set(1);
        long l = listener();
        PollDesc lpd = pd(l);
        assertEquals(0, lpd.armed, "the backend noted that skip mode is off");
        long client = socket();
        bindLoopback(client, 0);
        NetpollOp con = op(pd(client), PollDesc.MODE_WRITE);
        Group g = new Group(1);
        g.go(() -> {
            try (Arena a = Arena.ofShared()) {
                assertEquals(OK, con.connect(BackendFds.loopbackAddress(port(l), a), 16));
            }
            assertEquals(0, con.result());
        });
        g.join(10);
        // The connection waits in the backlog: AcceptEx succeeds at once, and queues a packet.
        int inline = FAKE.inlinePackets.get();
        NetpollOp acc = op(lpd, PollDesc.MODE_READ);
        long server = socket();
        Group g2 = new Group(1);
        g2.go(() -> {
            assertEquals(OK, acc.acceptInto(server));
            assertEquals(0, acc.result());
        });
        g2.join(10);
        assertEquals(inline + 1, FAKE.inlinePackets.get(), "the synchronous success went through the port");
        // The op is ready for the next operation: nothing of the first one is left behind.
        long next = socket();
        lpd.setDeadline(Sched.nanotime() + 30_000_000L, PollDesc.MODE_READ);
        Group g3 = new Group(1);
        g3.go(() -> assertEquals(PollDesc.ERR_TIMEOUT, acc.acceptInto(next)));
        g3.join(10);
        assertEquals(-Windows.ERROR_OPERATION_ABORTED(), acc.result());
    }

    @Test
    void aDeadlineCancelsThePendingReceiveWhichCompletesWithError995() throws Exception {
        BackendOpEnd[] p = pair();
        CountDownLatch timedOut = new CountDownLatch(1);
        int cancels = FAKE.cancelsFound.get();
        Group g = new Group(1);
        g.go(() -> {
            long deadline = Sched.nanotime() + 50_000_000L;
            p[1].pd.setDeadline(deadline, PollDesc.MODE_READ);
            assertEquals(PollDesc.ERR_TIMEOUT, p[1].r.recv(new byte[8], 0, 8, 0));
            assertTrue(Sched.nanotime() >= deadline, "woke before the deadline");
            assertEquals(-Windows.ERROR_OPERATION_ABORTED(), p[1].r.result(), "CancelIoEx ends it with 995");
            p[1].pd.setDeadline(0, PollDesc.MODE_READ);
            timedOut.countDown();
            byte[] got = new byte[3];
            p[1].recvFully(got);
            assertArrayEquals("abc".getBytes(), got);
        });
        assertTrue(timedOut.await(10, TimeUnit.SECONDS));
        assertEquals(cancels + 1, FAKE.cancelsFound.get());
        until(parked(1), "receiver parked again");
        p[0].sendAll("abc".getBytes());
        g.join(10);
    }

    /**
     * The race a completion backend must not lose data in: the deadline fires, but the
     * receive completes before CancelIoEx reaches it (ERROR_NOT_FOUND). The call reports the
     * data, not a timeout.
     */
    @Test
    void aCompletionThatBeatsItsCancelDeliversItsData() throws Exception {
        BackendOpEnd[] p = pair();
        FAKE.beforeCancel.set(() -> {
            assertEquals(2, BackendFds.tryWrite(FAKE.linuxFd(p[0].handle), new byte[] {9, 8}, 0, 2));
            FAKE.pump(p[1].handle);
        });
        int notFound = FAKE.cancelsNotFound.get();
        byte[] got = new byte[2];
        int[] st = {-1};
        Group g = new Group(1);
        g.go(() -> {
            p[1].pd.setDeadline(Sched.nanotime() + 30_000_000L, PollDesc.MODE_READ);
            st[0] = p[1].r.recv(got, 0, 2, 0);
        });
        g.join(10);
        assertEquals(notFound + 1, FAKE.cancelsNotFound.get(), "the cancel found nothing in flight");
        assertEquals(OK, st[0], "the completion won: its data counts");
        assertEquals(2, p[1].r.result());
        assertArrayEquals(new byte[] {9, 8}, got);
    }

    @Test
    void evictCancelsThePendingReceiveAndSend() throws Exception {
        BackendOpEnd[] p = pair();
        setBuffers(p[0].handle, 16384);
        setBuffers(p[1].handle, 16384);
        int[] rs = {-1}, ws = {-1};
        Group g = new Group(2);
        g.go(() -> rs[0] = p[0].r.recv(new byte[8], 0, 8, 0));
        g.go(() -> {
            byte[] chunk = new byte[16 << 10];
            int st;
            while ((st = p[0].w.send(chunk, 0, chunk.length, 0)) == OK) {
                assertTrue(p[0].w.result() > 0);
            }
            ws[0] = st;
        });
        until(parked(2), "receive and send pending");
        p[0].pd.evict();
        g.join(10);
        assertEquals(PollDesc.ERR_CLOSING, rs[0]);
        assertEquals(PollDesc.ERR_CLOSING, ws[0]);
        assertEquals(-Windows.ERROR_OPERATION_ABORTED(), p[0].r.result());
    }

    @Test
    void thePeersEndOfStreamCompletesAPendingReceiveWithZeroBytes() throws Exception {
        BackendOpEnd[] p = pair();
        int[] st = {-1};
        Group g = new Group(1);
        g.go(() -> st[0] = p[1].r.recv(new byte[8], 0, 8, 0));
        until(parked(1), "receiver parked");
        shutdownSend(p[0].handle);
        g.join(10);
        assertEquals(OK, st[0]);
        assertEquals(0, p[1].r.result(), "0 bytes: end of stream");
    }

    @Test
    void connectExToAClosedPortFailsWithWsaeconnrefused() throws Exception {
        long l = listener();
        int port = port(l);
        closesocket(l);
        long c = socket();
        bindLoopback(c, 0);
        NetpollOp con = op(pd(c), PollDesc.MODE_WRITE);
        Group g = new Group(1);
        g.go(() -> {
            try (Arena a = Arena.ofShared()) {
                assertEquals(OK, con.connect(BackendFds.loopbackAddress(port, a), 16));
            }
        });
        g.join(10);
        assertEquals(-Windows.WSAECONNREFUSED(), con.result());
    }

    @Test
    void connectExOnAnUnboundSocketFailsAtOnceWithoutAPacket() throws Exception {
        long c = socket();
        NetpollOp con = op(pd(c), PollDesc.MODE_WRITE);
        int packets = FAKE.packetsQueued.get();
        try (Arena a = Arena.ofConfined()) {
            assertEquals(OK, con.connect(BackendFds.loopbackAddress(port(listener), a), 16));
        }
        assertEquals(-Windows.WSAEINVAL(), con.result());
        assertEquals(packets, FAKE.packetsQueued.get());
    }

    @Test
    void readinessWaitsAreRefused() throws Exception {
        PollDesc pd = pd(socket());
        assertThrows(UnsupportedOperationException.class, pd::waitRead);
        assertEquals(0, Sched.netpoll.waiters.get());
    }

    /**
     * An M blocks in GetQueuedCompletionStatusEx with INFINITE (a goroutine's AcceptEx is
     * pending, no timer armed); a timer added from another thread must end that wait through
     * PostQueuedCompletionStatus and then fire on time.
     */
    @Test
    void aNewTimerWakesAWaitWithoutTimeout() throws Exception {
        PollDesc lpd = pd(listener);
        NetpollOp acc = op(lpd, PollDesc.MODE_READ);
        long s = socket();
        int[] st = {-1};
        Group g = new Group(1);
        g.go(() -> st[0] = acc.acceptInto(s));
        until(parked(1), "AcceptEx pending");
        assertTrue(FAKE.awaitForeverWaiter(10, TimeUnit.SECONDS), "no M in GetQueuedCompletionStatusEx(INFINITE)");
        int wakes = FAKE.wakePacketsToWaiters.get();
        CountDownLatch fired = new CountDownLatch(1);
        long[] firedAt = {0};
        long startAt = Sched.nanotime();
        new RTimer((arg, now) -> {
            firedAt[0] = now;
            fired.countDown();
        }, null).reset(startAt + 30_000_000L, 0);
        assertTrue(fired.await(10, TimeUnit.SECONDS), "the timer never fired");
        assertTrue(firedAt[0] >= startAt + 30_000_000L, "fired early");
        assertTrue(FAKE.wakePacketsToWaiters.get() > wakes, "the blocked wait did not end on the wake-up packet");
        lpd.evict();
        g.join(10);
        assertEquals(PollDesc.ERR_CLOSING, st[0]);
    }

    @Test
    void aNonBlockingPollForwardsTheWakeUpPacketToTheBlockingOne() {
        NetpollIocp np = new NetpollIocp();
        GList out = new GList();
        int posted = FAKE.packetsQueued.get();
        np.wakeup();
        np.wakeup();
        assertEquals(posted + 1, FAKE.packetsQueued.get(), "a pending wake-up is not posted twice");
        np.poll(0, out);
        assertEquals(posted + 2, FAKE.packetsQueued.get(), "the dequeued wake-up was not forwarded");
        long t0 = System.nanoTime();
        np.poll(10_000_000_000L, out);
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "the forwarded wake-up did not end the blocking poll");
        assertEquals(0, np.wakeSig.get());
        t0 = System.nanoTime();
        np.poll(30_000_000L, out);
        assertTrue(System.nanoTime() - t0 >= 30_000_000L, "a consumed wake-up ended a later poll");
        assertTrue(out.isEmpty());
    }

    @Test
    void echoStressThroughOverlappedOperations() throws Exception {
        List<BackendOpEnd[]> pairs = new ArrayList<>();
        for (int c = 0; c < 20; c++) {
            pairs.add(pair());
        }
        BackendOpEnd.echoStress(pairs, 40, client -> shutdownSend(client.handle));
    }
}
