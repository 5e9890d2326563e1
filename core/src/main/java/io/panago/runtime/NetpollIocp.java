package io.panago.runtime;

import io.panago.bindings.windows.OVERLAPPED;
import io.panago.bindings.windows.OVERLAPPED_ENTRY;
import io.panago.bindings.windows.WSABUF;
import io.panago.bindings.windows.WinError;
import io.panago.bindings.windows.Windows;
import io.panago.bindings.windows.WindowsErrno;
import io.panago.bindings.windows.WsaIds;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The IOCP backend (Go's netpoll_windows.go with internal/poll's fd_windows.go), Windows'
 * completion model: every socket is associated once with one I/O completion port, with the
 * slot and sequence tag of {@link Netpoll#register} as its completion key; the net layer's
 * {@link NetpollOp}s run as overlapped {@code WSARecv}, {@code WSASend}, {@code AcceptEx} and
 * {@code ConnectEx}; the poller dequeues completions with {@code GetQueuedCompletionStatusEx}
 * and wakes through {@code PostQueuedCompletionStatus}. IOCP has no readiness notifications,
 * so a plain {@link PollDesc#waitRead}/{@link PollDesc#waitWrite} is refused here.
 *
 * <h2>Implementation overview</h2>
 * Each op owns a small native block ({@link #CTL_BYTES}): its {@code OVERLAPPED}, the
 * {@code WSABUF}, the flags and byte-count words the calls want, and the op's slot and
 * submission count. A dequeued entry's {@code lpOverlapped} therefore leads straight to the op
 * (slot, then a check of the count, so an entry for a recycled slot is dropped); its status
 * comes from {@code WSAGetOverlappedResult}, as in Go, which turns the NTSTATUS in
 * {@code Internal} into a Winsock error: {@code ERROR_OPERATION_ABORTED} (995) for a cancelled
 * operation, 0 bytes for a receive at the peer's end of stream.
 *
 * <p>Sockets are opened with {@code FILE_SKIP_COMPLETION_PORT_ON_SUCCESS}: an operation that
 * completes at once queues no packet, so the submitting caller takes the result itself
 * without parking (Go does the same where every Winsock provider is an IFS one, which is all
 * of them since layered providers were retired). If the mode cannot be set, every completion
 * goes through the port. An operation that fails at once queues nothing either way.
 *
 * <p>Cancellation ({@code CancelIoEx} on deadline or eviction) still ends in a dequeued
 * completion, which the op waits for before its buffer may be reused; {@code ERROR_NOT_FOUND}
 * means the completion is already queued. The wake-up packet carries the key {@link #WAKE_KEY}
 * and no OVERLAPPED; a non-blocking poll that dequeues it while the wake-up is pending posts it
 * again for the M about to block (Go forwards it the same way).
 */
final class NetpollIocp extends Netpoll {
    /** Completion key of the wake-up packet; descriptor tags never have all bits set. */
    static final long WAKE_KEY = -1L;
    private static final int MAX_ENTRIES = 64;
    private static final long CTL_BYTES = 96;
    private static final long CTL_WSABUF = 32, CTL_FLAGS = 48, CTL_BYTES_DONE = 52, CTL_ID = 56;
    private static final long ENTRY_SIZE = OVERLAPPED_ENTRY.sizeof();
    private static final long E_KEY = OVERLAPPED_ENTRY.lpCompletionKey$offset(),
            E_OVL = OVERLAPPED_ENTRY.lpOverlapped$offset();
    private static final int ARMED_SKIP_ON_SUCCESS = 2;
    /** Every address, for reading an op's id behind an OVERLAPPED the port hands back. */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final int SOCKET_ERROR = Windows.SOCKET_ERROR(), WSA_IO_PENDING = Windows.WSA_IO_PENDING(),
            ERROR_OPERATION_ABORTED = Windows.ERROR_OPERATION_ABORTED(), WAIT_TIMEOUT = Windows.WAIT_TIMEOUT(),
            ERROR_INVALID_PARAMETER = Windows.ERROR_INVALID_PARAMETER();

    private final MemorySegment port;
    /** Go's netpollWakeSig. */
    final AtomicInteger wakeSig = new AtomicInteger();
    /** Capture for open/close and the wake-up, guarded by itself. */
    private final MemorySegment ctlCapture;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /** AcceptEx and ConnectEx, loaded on first use through WSAIoctl. */
    private volatile MemorySegment acceptEx, connectEx;

    /** Per-thread buffers for {@link #poll} (Ms in scheduler code and sysmon only). */
    private static final class Scratch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment capture = WindowsErrno.captureSegment(arena);
        final MemorySegment entries = OVERLAPPED_ENTRY.allocateArray(MAX_ENTRIES, arena);
        final MemorySegment removed = arena.allocate(ValueLayout.JAVA_INT);
        final MemorySegment bytes = arena.allocate(ValueLayout.JAVA_INT);
        final MemorySegment flags = arena.allocate(ValueLayout.JAVA_INT);
    }

    NetpollIocp() {
        NetpollOp.initialize();
        ctlCapture = WindowsErrno.captureSegment(Arena.global());
        MemorySegment wsaData = Arena.ofAuto().allocate(io.panago.bindings.windows.WSADATA.layout());
        int r = WindowsErrno.WSAStartup(ctlCapture, (short) 0x0202, wsaData);
        if (r != 0) {
            throw new IllegalStateException("netpoll: WSAStartup failed: " + WinError.name(r));
        }
        port = WindowsErrno.CreateIoCompletionPort(ctlCapture, Windows.INVALID_HANDLE_VALUE(), MemorySegment.NULL, 0, 0);
        if (port.address() == 0) {
            throw new IllegalStateException("netpoll: CreateIoCompletionPort failed: "
                    + WinError.name(WindowsErrno.lastError(ctlCapture)));
        }
    }

    @Override
    boolean completionModel() {
        return true;
    }

    @Override
    boolean submitTriesAtOnce() {
        return true; // FILE_SKIP_COMPLETION_PORT_ON_SUCCESS
    }

    private static MemorySegment handle(long socket) {
        return MemorySegment.ofAddress(socket); // a SOCKET is a kernel handle
    }

    /**
     * Associates the socket with the port. A socket from {@code WSADuplicateSocketW} (the net
     * layer's {@code tryClone}) is another handle to a file object that is associated already,
     * with this port (every socket of this process is), and a file object takes one
     * association: {@code ERROR_INVALID_PARAMETER} then means "done". Its packets carry the
     * original's key, which nothing reads: an operation is found through its OVERLAPPED.
     */
    @Override
    void open(PollDesc pd) throws IOException {
        long tag = register(pd);
        synchronized (ctlCapture) {
            MemorySegment p = WindowsErrno.CreateIoCompletionPort(ctlCapture, handle(pd.fd), port, tag, 0);
            int e = p.address() == 0 ? WindowsErrno.lastError(ctlCapture) : 0;
            if (e != 0 && e != ERROR_INVALID_PARAMETER) {
                unregister(pd);
                throw new IOException("CreateIoCompletionPort(socket " + pd.fd + "): " + WinError.name(e));
            }
            byte modes = (byte) (Windows.FILE_SKIP_COMPLETION_PORT_ON_SUCCESS() | Windows.FILE_SKIP_SET_EVENT_ON_HANDLE());
            if (WindowsErrno.SetFileCompletionNotificationModes(ctlCapture, handle(pd.fd), modes) != 0) {
                pd.armed = ARMED_SKIP_ON_SUCCESS;
            }
        }
    }

    @Override
    void close(PollDesc pd) {
        // The association ends with the socket (closesocket also aborts what is in flight);
        // the ops' owners have cancelled and waited for their own operations on eviction.
        unregister(pd);
    }

    @Override
    void arm(PollDesc pd) {
        throw new UnsupportedOperationException("IOCP has no readiness notifications: use NetpollOp (fd " + pd.fd + ")");
    }

    /** An op's native block and its parts, sliced once. */
    private static final class Ctl {
        final MemorySegment block, ovl, wsabuf, flags, bytes;

        Ctl(Arena arena) {
            block = arena.allocate(CTL_BYTES, 8);
            ovl = block.asSlice(0, OVERLAPPED.sizeof());
            wsabuf = block.asSlice(CTL_WSABUF, WSABUF.sizeof());
            flags = block.asSlice(CTL_FLAGS, 4);
            bytes = block.asSlice(CTL_BYTES_DONE, 4);
        }
    }

    @Override
    void opened(NetpollOp op) {
        Arena arena = Arena.ofAuto();
        op.backendData = new Ctl(arena);
        op.capture = WindowsErrno.captureSegment(arena);
        registerOp(op);
    }


    @Override
    void submit(NetpollOp op) {
        op.gen++;
        Ctl c = (Ctl) op.backendData;
        MemorySegment ctl = c.block, ovl = c.ovl, wsabuf = c.wsabuf, bytes = c.bytes;
        ovl.fill((byte) 0);
        ctl.set(ValueLayout.JAVA_LONG, CTL_ID, (op.slot & 0xffffffffL) | ((long) op.gen << 32));
        ctl.set(ValueLayout.JAVA_INT, CTL_BYTES_DONE, 0);
        long s = op.pd.fd;
        int r;
        boolean ok;
        switch (op.kind) {
            case NetpollOp.RECV, NetpollOp.READ -> {
                WSABUF.len(wsabuf, op.len);
                WSABUF.buf(wsabuf, op.buf);
                ctl.set(ValueLayout.JAVA_INT, CTL_FLAGS, op.kind == NetpollOp.RECV ? op.flags : 0);
                r = WindowsErrno.WSARecv(op.capture, s, wsabuf, 1, bytes, c.flags, ovl, MemorySegment.NULL);
                ok = r == 0;
            }
            case NetpollOp.SEND, NetpollOp.WRITE -> {
                WSABUF.len(wsabuf, op.len);
                WSABUF.buf(wsabuf, op.buf);
                r = WindowsErrno.WSASend(op.capture, s, wsabuf, 1, bytes, op.kind == NetpollOp.SEND ? op.flags : 0, ovl,
                        MemorySegment.NULL);
                ok = r == 0;
            }
            case NetpollOp.ACCEPT_INTO -> {
                int addrLen = 16 + 28; // sockaddr_in6 + 16, what AcceptEx wants per address
                r = WindowsErrno.AcceptEx(op.capture, acceptEx(op), s, op.acceptSocket, op.addr, 0, addrLen, addrLen,
                        bytes, ovl);
                ok = r != 0;
            }
            case NetpollOp.CONNECT -> {
                r = WindowsErrno.ConnectEx(op.capture, connectEx(op), s, op.addr, op.addrLen, MemorySegment.NULL, 0,
                        MemorySegment.NULL, ovl);
                ok = r != 0;
            }
            default -> throw new UnsupportedOperationException("IOCP has no operation of kind " + op.kind
                    + " (accept is AcceptEx here: use acceptInto)");
        }
        if (ok) {
            if ((op.pd.armed & ARMED_SKIP_ON_SUCCESS) != 0) {
                op.complete(Integer.toUnsignedLong(bytes.get(ValueLayout.JAVA_INT, 0)), null);
            }
            // else the packet comes through the port as for a pending operation
            return;
        }
        int err = WindowsErrno.wsaLastError(op.capture);
        if (err != WSA_IO_PENDING) {
            op.complete(-err, null); // failed at once: no packet is queued
        }
    }

    private MemorySegment acceptEx(NetpollOp op) {
        MemorySegment f = acceptEx;
        if (f == null) {
            acceptEx = f = extension(op, WsaIds.WSAID_ACCEPTEX(), "AcceptEx");
        }
        return f;
    }

    private MemorySegment connectEx(NetpollOp op) {
        MemorySegment f = connectEx;
        if (f == null) {
            connectEx = f = extension(op, WsaIds.WSAID_CONNECTEX(), "ConnectEx");
        }
        return f;
    }

    /** Go's {@code LoadConnectEx}: a Winsock extension function, by GUID, via WSAIoctl. */
    private static MemorySegment extension(NetpollOp op, MemorySegment guid, String name) {
        try (Arena a = Arena.ofShared()) {
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            if (WindowsErrno.WSAIoctl(op.capture, op.pd.fd, Windows.SIO_GET_EXTENSION_FUNCTION_POINTER(), guid,
                    (int) guid.byteSize(), out, (int) ValueLayout.ADDRESS.byteSize(), n, MemorySegment.NULL,
                    MemorySegment.NULL) == SOCKET_ERROR) {
                throw new IllegalStateException("WSAIoctl(" + name + "): " + WinError.name(WindowsErrno.wsaLastError(op.capture)));
            }
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    @Override
    void cancel(NetpollOp op) {
        // FALSE with ERROR_NOT_FOUND: already completed, its packet is on its way.
        WindowsErrno.CancelIoEx(op.capture, handle(op.pd.fd), ((Ctl) op.backendData).ovl);
    }

    @Override
    boolean wasCancelled(NetpollOp op) {
        return op.res == -ERROR_OPERATION_ABORTED;
    }

    @Override
    void poll(long delayNanos, GList out) {
        Scratch s = scratch.get();
        int ms;
        if (delayNanos < 0) {
            ms = Windows.INFINITE();
        } else if (delayNanos == 0) {
            ms = 0;
        } else if (delayNanos < 1_000_000) {
            ms = 1;
        } else {
            ms = (int) Math.min(1_000_000_000L, delayNanos / 1_000_000);
        }
        int ok = WindowsErrno.GetQueuedCompletionStatusEx(s.capture, port, s.entries, MAX_ENTRIES, s.removed, ms, 0);
        if (ok == 0) {
            int e = WindowsErrno.lastError(s.capture);
            if (e != WAIT_TIMEOUT) {
                throw new IllegalStateException("netpoll: GetQueuedCompletionStatusEx failed: " + WinError.name(e));
            }
            return;
        }
        int n = s.removed.get(ValueLayout.JAVA_INT, 0);
        boolean repostWake = false;
        for (int i = 0; i < n; i++) {
            long base = i * ENTRY_SIZE;
            long key = s.entries.get(ValueLayout.JAVA_LONG, base + E_KEY);
            long ovl = s.entries.get(ValueLayout.JAVA_LONG, base + E_OVL);
            if (ovl == 0) {
                if (key == WAKE_KEY) {
                    if (delayNanos != 0) {
                        wakeSig.set(0);
                    } else {
                        repostWake = wakeSig.get() != 0;
                    }
                }
                continue;
            }
            long id = ALL.get(ValueLayout.JAVA_LONG, ovl + CTL_ID);
            NetpollOp op = lookupOp((int) id, (int) (id >>> 32));
            if (op == null) {
                continue;
            }
            long res;
            s.bytes.set(ValueLayout.JAVA_INT, 0, 0);
            if (WindowsErrno.WSAGetOverlappedResult(s.capture, op.pd.fd, ((Ctl) op.backendData).ovl, s.bytes, 0,
                    s.flags) != 0) {
                res = Integer.toUnsignedLong(s.bytes.get(ValueLayout.JAVA_INT, 0));
            } else {
                int err = WindowsErrno.wsaLastError(s.capture);
                long moved = Integer.toUnsignedLong(s.bytes.get(ValueLayout.JAVA_INT, 0));
                // A send or receive cancelled (a deadline's CancelIoEx) after part of it went
                // through has still moved those bytes: report them, as Go's execIO does, so
                // that a timed-out write counts them and they are neither lost nor sent twice.
                res = err == ERROR_OPERATION_ABORTED && moved > 0 ? moved : -err;
            }
            op.complete(res, out);
        }
        if (delayNanos != 0) {
            wakeSig.set(0);
        }
        if (repostWake) {
            postWake();
        }
    }

    @Override
    void wakeup() {
        if (wakeSig.compareAndSet(0, 1)) {
            postWake();
        }
    }

    private void postWake() {
        synchronized (ctlCapture) {
            if (WindowsErrno.PostQueuedCompletionStatus(ctlCapture, port, 0, WAKE_KEY, MemorySegment.NULL) == 0) {
                throw new IllegalStateException("netpoll: PostQueuedCompletionStatus failed: "
                        + WinError.name(WindowsErrno.lastError(ctlCapture)));
            }
        }
    }
}
