package io.panago.bindings.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The io_uring bindings against the real kernel: set up a ring, map it as the kernel's offsets
 * say, submit operations and reap their completions. The ring code here is the minimum that proves
 * the structs, offsets and syscalls agree with the kernel; the runtime's poller is the real user.
 */
class IoUringTest {

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT;
    private static final VarHandle INT_AT = U32.varHandle();

    private Arena arena;
    private MemorySegment errno;
    private MemorySegment params;
    private int ring;
    private MemorySegment sqRing;
    private MemorySegment cqRing;
    private MemorySegment sqes;
    private long sqRingBytes;
    private long cqRingBytes;
    private long sqesBytes;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        errno = LinuxErrno.captureSegment(arena);
        params = io_uring_params.allocate(arena);
        ring = LinuxErrno.io_uring_setup(errno, 8, params);
        assertTrue(ring >= 0, () -> "io_uring_setup: " + Errno.name(LinuxErrno.errno(errno)));
        assertEquals(8, io_uring_params.sq_entries(params));
        assertEquals(Linux.IORING_FEAT_SINGLE_MMAP(), io_uring_params.features(params) & Linux.IORING_FEAT_SINGLE_MMAP());

        MemorySegment sqOff = io_uring_params.sq_off(params);
        MemorySegment cqOff = io_uring_params.cq_off(params);
        sqRingBytes = io_sqring_offsets.array(sqOff) + 4L * io_uring_params.sq_entries(params);
        cqRingBytes = io_cqring_offsets.cqes(cqOff) + io_uring_cqe.sizeof() * io_uring_params.cq_entries(params);
        sqesBytes = io_uring_sqe.sizeof() * io_uring_params.sq_entries(params);
        sqRing = map(sqRingBytes, Linux.IORING_OFF_SQ_RING());
        cqRing = map(cqRingBytes, Linux.IORING_OFF_CQ_RING());
        sqes = map(sqesBytes, Linux.IORING_OFF_SQES());
    }

    private MemorySegment map(long bytes, long offset) {
        MemorySegment m = LinuxErrno.mmap(errno, MemorySegment.NULL, bytes, Linux.PROT_READ() | Linux.PROT_WRITE(),
                Linux.MAP_SHARED() | Linux.MAP_POPULATE(), ring, offset);
        assertNotEquals(Linux.MAP_FAILED().address(), m.address(), () -> "mmap: " + Errno.name(LinuxErrno.errno(errno)));
        return m.reinterpret(bytes);
    }

    @AfterEach
    void tearDown() {
        assertEquals(0, Linux.munmap(sqes, sqesBytes));
        assertEquals(0, Linux.munmap(cqRing, cqRingBytes));
        assertEquals(0, Linux.munmap(sqRing, sqRingBytes));
        assertEquals(0, Linux.close(ring));
        arena.close();
    }

    /** Fills the next SQE (zeroed) and returns it; {@link #submitAndWait} publishes it. */
    private MemorySegment nextSqe(int opcode, long userData) {
        MemorySegment off = io_uring_params.sq_off(params);
        int tail = sqRing.get(U32, io_sqring_offsets.tail(off));
        int mask = sqRing.get(U32, io_sqring_offsets.ring_mask(off));
        int index = tail & mask;
        MemorySegment sqe = io_uring_sqe.asSlice(sqes, index).asSlice(0, io_uring_sqe.sizeof());
        sqe.fill((byte) 0);
        io_uring_sqe.opcode(sqe, (byte) opcode);
        io_uring_sqe.user_data(sqe, userData);
        sqRing.set(U32, io_sqring_offsets.array(off) + 4L * index, index);
        INT_AT.setRelease(sqRing, io_sqring_offsets.tail(off), tail + 1);
        return sqe;
    }

    private void submitAndWait(int submit, int wait) {
        int r = LinuxErrno.io_uring_enter(errno, ring, submit, wait, Linux.IORING_ENTER_GETEVENTS(), MemorySegment.NULL, 0);
        assertEquals(submit, r, () -> "io_uring_enter: " + Errno.name(LinuxErrno.errno(errno)));
    }

    /** Takes one CQE: {user_data, res}. */
    private long[] reap() {
        MemorySegment off = io_uring_params.cq_off(params);
        int head = cqRing.get(U32, io_cqring_offsets.head(off));
        int tail = (int) INT_AT.getAcquire(cqRing, io_cqring_offsets.tail(off));
        assertNotEquals(head, tail, "a completion is there");
        int mask = cqRing.get(U32, io_cqring_offsets.ring_mask(off));
        MemorySegment cqe = io_uring_cqe.asSlice(cqRing.asSlice(io_cqring_offsets.cqes(off)), head & mask);
        long[] out = {io_uring_cqe.user_data(cqe), io_uring_cqe.res(cqe)};
        INT_AT.setRelease(cqRing, io_cqring_offsets.head(off), head + 1);
        return out;
    }

    @Test
    void nopCompletesWithItsUserData() {
        nextSqe(Linux.IORING_OP_NOP(), 0xfeed_beefL);
        submitAndWait(1, 1);
        long[] cqe = reap();
        assertEquals(0xfeed_beefL, cqe[0]);
        assertEquals(0, cqe[1]);
    }

    @Test
    void readOfAnEventfdCompletesWhenItIsWrittenAndCancelEndsAPendingOne() {
        int efd = Linux.eventfd(0, Linux.EFD_CLOEXEC());
        try {
            MemorySegment buf = arena.allocate(8, 8);
            MemorySegment read = nextSqe(Linux.IORING_OP_READ(), 1);
            io_uring_sqe.fd(read, efd);
            io_uring_sqe.addr(read, buf.address());
            io_uring_sqe.len(read, 8);
            submitAndWait(1, 0);

            MemorySegment seven = arena.allocate(ValueLayout.JAVA_LONG);
            seven.set(ValueLayout.JAVA_LONG, 0, 7);
            assertEquals(8, Linux.write(efd, seven, 8));
            submitAndWait(0, 1);
            long[] cqe = reap();
            assertEquals(1, cqe[0]);
            assertEquals(8, cqe[1]);
            assertEquals(7, buf.get(ValueLayout.JAVA_LONG, 0));

            MemorySegment pending = nextSqe(Linux.IORING_OP_READ(), 2);
            io_uring_sqe.fd(pending, efd);
            io_uring_sqe.addr(pending, buf.address());
            io_uring_sqe.len(pending, 8);
            MemorySegment cancel = nextSqe(Linux.IORING_OP_ASYNC_CANCEL(), 3);
            io_uring_sqe.addr(cancel, 2);
            submitAndWait(2, 2);
            long[] a = reap();
            long[] b = reap();
            long[] cancelled = a[0] == 2 ? a : b;
            long[] canceller = a[0] == 3 ? a : b;
            assertEquals(-Linux.ECANCELED(), cancelled[1]);
            assertEquals(0, canceller[1]);
        } finally {
            Linux.close(efd);
        }
    }

    @Test
    void timeoutCompletesWithEtime() {
        MemorySegment ts = __kernel_timespec.allocate(arena);
        __kernel_timespec.tv_sec(ts, 0);
        __kernel_timespec.tv_nsec(ts, 1_000_000);
        MemorySegment sqe = nextSqe(Linux.IORING_OP_TIMEOUT(), 9);
        io_uring_sqe.addr(sqe, ts.address());
        io_uring_sqe.len(sqe, 1);
        submitAndWait(1, 1);
        long[] cqe = reap();
        assertEquals(9, cqe[0]);
        assertEquals(-Linux.ETIME(), cqe[1]);
    }

    @Test
    void setupWithAZeroEntryCountFailsWithEinval() {
        assertEquals(-1, LinuxErrno.io_uring_setup(errno, 0, io_uring_params.allocate(arena)));
        assertEquals(Linux.EINVAL(), LinuxErrno.errno(errno));
    }
}
