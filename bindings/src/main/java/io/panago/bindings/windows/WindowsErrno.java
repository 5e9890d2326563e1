package io.panago.bindings.windows;

import io.panago.bindings.internal.ErrnoCalls;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The functions of {@link Windows} with {@code GetLastError()} and {@code WSAGetLastError()}
 * captured, the hand-kept variant beside the jextract-shaped class (jextract has no option for
 * {@link Linker.Option#captureCallState}).
 *
 * <p>Each method takes a leading capture segment from {@link #captureSegment(SegmentAllocator)};
 * after a failed call {@link #lastError(MemorySegment)} and {@link #wsaLastError(MemorySegment)}
 * read what the call left. On Windows the JDK captures both itself. Elsewhere
 * {@code captureCallState} does not know these names, so the functions can only run against a
 * lookup given to {@link Windows#bindLookup}, and each call is followed by calls of that lookup's
 * {@code GetLastError} and {@code WSAGetLastError}, whose results fill the capture segment: a
 * fake keeps both per thread, as Windows does.
 *
 * <p>{@code AcceptEx} and {@code ConnectEx} are called through the function pointers
 * {@code WSAIoctl} returned, with the same capture.
 *
 * <p>An {@link Error} thrown while a call is made ({@link OutOfMemoryError} under a full heap,
 * {@link StackOverflowError}) is rethrown as it is, not wrapped as jextract wraps it: callers
 * that handle those must see them.
 */
public final class WindowsErrno {

    private WindowsErrno() {
    }

    /** True where the JDK captures the state itself; elsewhere only a bound fake can serve calls. */
    private static final boolean NATIVE_CAPTURE = Windows.NATIVE_OS;
    private static final StructLayout CAPTURE_LAYOUT = NATIVE_CAPTURE ? Linker.Option.captureStateLayout()
            : MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("GetLastError"), ValueLayout.JAVA_INT.withName("WSAGetLastError"));
    private static final Linker.Option CAPTURE = NATIVE_CAPTURE ? Linker.Option.captureCallState("GetLastError", "WSAGetLastError") : null;

    private static final VarHandle GETLASTERROR = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("GetLastError"));

    /** {@return the {@code GetLastError()} captured into {@code capture} by the last call that used it} */
    public static int lastError(MemorySegment capture) {
        return (int) GETLASTERROR.get(capture, 0L);
    }

    private static final VarHandle WSAGETLASTERROR = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("WSAGetLastError"));

    /** {@return the {@code WSAGetLastError()} captured into {@code capture} by the last call that used it} */
    public static int wsaLastError(MemorySegment capture) {
        return (int) WSAGETLASTERROR.get(capture, 0L);
    }

    /** {@return the layout of a capture segment} */
    public static StructLayout captureLayout() {
        return CAPTURE_LAYOUT;
    }

    /** {@return a new capture segment (the layout of {@link #captureLayout()}) from {@code allocator}} */
    public static MemorySegment captureSegment(SegmentAllocator allocator) {
        return allocator.allocate(CAPTURE_LAYOUT);
    }

    /** Fills {@code capture} from the bound lookup's accessors (no native capture here). */
    private static void emulate(MemorySegment capture) {
        GETLASTERROR.set(capture, 0L, Windows.GetLastError());
        WSAGETLASTERROR.set(capture, 0L, Windows.WSAGetLastError());
    }

    private static final class WSAStartup {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.WSAStartup$address(), Windows.WSAStartup$descriptor(), CAPTURE);
    }

    /** {@link Windows#WSAStartup(short, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int WSAStartup(MemorySegment capture, short wVersionRequested, MemorySegment lpWSAData) {
        if (NATIVE_CAPTURE) {
            var mh$ = WSAStartup.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, wVersionRequested, lpWSAData);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.WSAStartup(wVersionRequested, lpWSAData);
        emulate(capture);
        return r$;
    }

    private static final class WSACleanup {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.WSACleanup$address(), Windows.WSACleanup$descriptor(), CAPTURE);
    }

    /** {@link Windows#WSACleanup()}, capturing {@code last errors} into {@code capture}. */
    public static int WSACleanup(MemorySegment capture) {
        if (NATIVE_CAPTURE) {
            var mh$ = WSACleanup.HANDLE;
            try {
                return (int)mh$.invokeExact(capture);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.WSACleanup();
        emulate(capture);
        return r$;
    }

    private static final class WSASocketW {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.WSASocketW$address(), Windows.WSASocketW$descriptor(), CAPTURE);
    }

    /** {@link Windows#WSASocketW(int, int, int, MemorySegment, int, int)}, capturing {@code last errors} into {@code capture}. */
    public static long WSASocketW(MemorySegment capture, int af, int type, int protocol, MemorySegment lpProtocolInfo, int g, int dwFlags) {
        if (NATIVE_CAPTURE) {
            var mh$ = WSASocketW.HANDLE;
            try {
                return (long)mh$.invokeExact(capture, af, type, protocol, lpProtocolInfo, g, dwFlags);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        long r$ = Windows.WSASocketW(af, type, protocol, lpProtocolInfo, g, dwFlags);
        emulate(capture);
        return r$;
    }

    private static final class bind {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.bind$address(), Windows.bind$descriptor(), CAPTURE);
    }

    /** {@link Windows#bind(long, MemorySegment, int)}, capturing {@code last errors} into {@code capture}. */
    public static int bind(MemorySegment capture, long s, MemorySegment name, int namelen) {
        if (NATIVE_CAPTURE) {
            var mh$ = bind.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, name, namelen);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.bind(s, name, namelen);
        emulate(capture);
        return r$;
    }

    private static final class listen {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.listen$address(), Windows.listen$descriptor(), CAPTURE);
    }

    /** {@link Windows#listen(long, int)}, capturing {@code last errors} into {@code capture}. */
    public static int listen(MemorySegment capture, long s, int backlog) {
        if (NATIVE_CAPTURE) {
            var mh$ = listen.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, backlog);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.listen(s, backlog);
        emulate(capture);
        return r$;
    }

    private static final class connect {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.connect$address(), Windows.connect$descriptor(), CAPTURE);
    }

    /** {@link Windows#connect(long, MemorySegment, int)}, capturing {@code last errors} into {@code capture}. */
    public static int connect(MemorySegment capture, long s, MemorySegment name, int namelen) {
        if (NATIVE_CAPTURE) {
            var mh$ = connect.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, name, namelen);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.connect(s, name, namelen);
        emulate(capture);
        return r$;
    }

    private static final class closesocket {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.closesocket$address(), Windows.closesocket$descriptor(), CAPTURE);
    }

    /** {@link Windows#closesocket(long)}, capturing {@code last errors} into {@code capture}. */
    public static int closesocket(MemorySegment capture, long s) {
        if (NATIVE_CAPTURE) {
            var mh$ = closesocket.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.closesocket(s);
        emulate(capture);
        return r$;
    }

    private static final class shutdown {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.shutdown$address(), Windows.shutdown$descriptor(), CAPTURE);
    }

    /** {@link Windows#shutdown(long, int)}, capturing {@code last errors} into {@code capture}. */
    public static int shutdown(MemorySegment capture, long s, int how) {
        if (NATIVE_CAPTURE) {
            var mh$ = shutdown.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, how);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.shutdown(s, how);
        emulate(capture);
        return r$;
    }

    private static final class getsockname {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.getsockname$address(), Windows.getsockname$descriptor(), CAPTURE);
    }

    /** {@link Windows#getsockname(long, MemorySegment, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int getsockname(MemorySegment capture, long s, MemorySegment name, MemorySegment namelen) {
        if (NATIVE_CAPTURE) {
            var mh$ = getsockname.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, name, namelen);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.getsockname(s, name, namelen);
        emulate(capture);
        return r$;
    }

    private static final class getpeername {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.getpeername$address(), Windows.getpeername$descriptor(), CAPTURE);
    }

    /** {@link Windows#getpeername(long, MemorySegment, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int getpeername(MemorySegment capture, long s, MemorySegment name, MemorySegment namelen) {
        if (NATIVE_CAPTURE) {
            var mh$ = getpeername.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, name, namelen);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.getpeername(s, name, namelen);
        emulate(capture);
        return r$;
    }

    private static final class setsockopt {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.setsockopt$address(), Windows.setsockopt$descriptor(), CAPTURE);
    }

    /** {@link Windows#setsockopt(long, int, int, MemorySegment, int)}, capturing {@code last errors} into {@code capture}. */
    public static int setsockopt(MemorySegment capture, long s, int level, int optname, MemorySegment optval, int optlen) {
        if (NATIVE_CAPTURE) {
            var mh$ = setsockopt.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, level, optname, optval, optlen);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.setsockopt(s, level, optname, optval, optlen);
        emulate(capture);
        return r$;
    }

    private static final class getsockopt {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.getsockopt$address(), Windows.getsockopt$descriptor(), CAPTURE);
    }

    /** {@link Windows#getsockopt(long, int, int, MemorySegment, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int getsockopt(MemorySegment capture, long s, int level, int optname, MemorySegment optval, MemorySegment optlen) {
        if (NATIVE_CAPTURE) {
            var mh$ = getsockopt.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, level, optname, optval, optlen);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.getsockopt(s, level, optname, optval, optlen);
        emulate(capture);
        return r$;
    }

    private static final class ioctlsocket {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.ioctlsocket$address(), Windows.ioctlsocket$descriptor(), CAPTURE);
    }

    /** {@link Windows#ioctlsocket(long, int, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int ioctlsocket(MemorySegment capture, long s, int cmd, MemorySegment argp) {
        if (NATIVE_CAPTURE) {
            var mh$ = ioctlsocket.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, cmd, argp);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.ioctlsocket(s, cmd, argp);
        emulate(capture);
        return r$;
    }

    private static final class WSARecv {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.WSARecv$address(), Windows.WSARecv$descriptor(), CAPTURE);
    }

    /** {@link Windows#WSARecv(long, MemorySegment, int, MemorySegment, MemorySegment, MemorySegment, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int WSARecv(MemorySegment capture, long s, MemorySegment lpBuffers, int dwBufferCount, MemorySegment lpNumberOfBytesRecvd, MemorySegment lpFlags, MemorySegment lpOverlapped, MemorySegment lpCompletionRoutine) {
        if (NATIVE_CAPTURE) {
            var mh$ = WSARecv.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpOverlapped, lpCompletionRoutine);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.WSARecv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpOverlapped, lpCompletionRoutine);
        emulate(capture);
        return r$;
    }

    private static final class WSASend {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.WSASend$address(), Windows.WSASend$descriptor(), CAPTURE);
    }

    /** {@link Windows#WSASend(long, MemorySegment, int, MemorySegment, int, MemorySegment, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int WSASend(MemorySegment capture, long s, MemorySegment lpBuffers, int dwBufferCount, MemorySegment lpNumberOfBytesSent, int dwFlags, MemorySegment lpOverlapped, MemorySegment lpCompletionRoutine) {
        if (NATIVE_CAPTURE) {
            var mh$ = WSASend.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpOverlapped, lpCompletionRoutine);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.WSASend(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpOverlapped, lpCompletionRoutine);
        emulate(capture);
        return r$;
    }

    private static final class WSAIoctl {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.WSAIoctl$address(), Windows.WSAIoctl$descriptor(), CAPTURE);
    }

    /** {@link Windows#WSAIoctl(long, int, MemorySegment, int, MemorySegment, int, MemorySegment, MemorySegment, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int WSAIoctl(MemorySegment capture, long s, int dwIoControlCode, MemorySegment lpvInBuffer, int cbInBuffer, MemorySegment lpvOutBuffer, int cbOutBuffer, MemorySegment lpcbBytesReturned, MemorySegment lpOverlapped, MemorySegment lpCompletionRoutine) {
        if (NATIVE_CAPTURE) {
            var mh$ = WSAIoctl.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer, lpcbBytesReturned, lpOverlapped, lpCompletionRoutine);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.WSAIoctl(s, dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer, lpcbBytesReturned, lpOverlapped, lpCompletionRoutine);
        emulate(capture);
        return r$;
    }

    private static final class WSAGetOverlappedResult {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.WSAGetOverlappedResult$address(), Windows.WSAGetOverlappedResult$descriptor(), CAPTURE);
    }

    /** {@link Windows#WSAGetOverlappedResult(long, MemorySegment, MemorySegment, int, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int WSAGetOverlappedResult(MemorySegment capture, long s, MemorySegment lpOverlapped, MemorySegment lpcbTransfer, int fWait, MemorySegment lpdwFlags) {
        if (NATIVE_CAPTURE) {
            var mh$ = WSAGetOverlappedResult.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, lpOverlapped, lpcbTransfer, fWait, lpdwFlags);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.WSAGetOverlappedResult(s, lpOverlapped, lpcbTransfer, fWait, lpdwFlags);
        emulate(capture);
        return r$;
    }

    private static final class WSADuplicateSocketW {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.WSADuplicateSocketW$address(), Windows.WSADuplicateSocketW$descriptor(), CAPTURE);
    }

    /** {@link Windows#WSADuplicateSocketW(long, int, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int WSADuplicateSocketW(MemorySegment capture, long s, int dwProcessId, MemorySegment lpProtocolInfo) {
        if (NATIVE_CAPTURE) {
            var mh$ = WSADuplicateSocketW.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, s, dwProcessId, lpProtocolInfo);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.WSADuplicateSocketW(s, dwProcessId, lpProtocolInfo);
        emulate(capture);
        return r$;
    }

    private static final class CreateIoCompletionPort {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.CreateIoCompletionPort$address(), Windows.CreateIoCompletionPort$descriptor(), CAPTURE);
    }

    /** {@link Windows#CreateIoCompletionPort(MemorySegment, MemorySegment, long, int)}, capturing {@code last errors} into {@code capture}. */
    public static MemorySegment CreateIoCompletionPort(MemorySegment capture, MemorySegment FileHandle, MemorySegment ExistingCompletionPort, long CompletionKey, int NumberOfConcurrentThreads) {
        if (NATIVE_CAPTURE) {
            var mh$ = CreateIoCompletionPort.HANDLE;
            try {
                return (MemorySegment)mh$.invokeExact(capture, FileHandle, ExistingCompletionPort, CompletionKey, NumberOfConcurrentThreads);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        MemorySegment r$ = Windows.CreateIoCompletionPort(FileHandle, ExistingCompletionPort, CompletionKey, NumberOfConcurrentThreads);
        emulate(capture);
        return r$;
    }

    private static final class GetQueuedCompletionStatusEx {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.GetQueuedCompletionStatusEx$address(), Windows.GetQueuedCompletionStatusEx$descriptor(), CAPTURE);
    }

    /** {@link Windows#GetQueuedCompletionStatusEx(MemorySegment, MemorySegment, int, MemorySegment, int, int)}, capturing {@code last errors} into {@code capture}. */
    public static int GetQueuedCompletionStatusEx(MemorySegment capture, MemorySegment CompletionPort, MemorySegment lpCompletionPortEntries, int ulCount, MemorySegment ulNumEntriesRemoved, int dwMilliseconds, int fAlertable) {
        if (NATIVE_CAPTURE) {
            var mh$ = GetQueuedCompletionStatusEx.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, CompletionPort, lpCompletionPortEntries, ulCount, ulNumEntriesRemoved, dwMilliseconds, fAlertable);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.GetQueuedCompletionStatusEx(CompletionPort, lpCompletionPortEntries, ulCount, ulNumEntriesRemoved, dwMilliseconds, fAlertable);
        emulate(capture);
        return r$;
    }

    private static final class PostQueuedCompletionStatus {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.PostQueuedCompletionStatus$address(), Windows.PostQueuedCompletionStatus$descriptor(), CAPTURE);
    }

    /** {@link Windows#PostQueuedCompletionStatus(MemorySegment, int, long, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int PostQueuedCompletionStatus(MemorySegment capture, MemorySegment CompletionPort, int dwNumberOfBytesTransferred, long dwCompletionKey, MemorySegment lpOverlapped) {
        if (NATIVE_CAPTURE) {
            var mh$ = PostQueuedCompletionStatus.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, CompletionPort, dwNumberOfBytesTransferred, dwCompletionKey, lpOverlapped);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.PostQueuedCompletionStatus(CompletionPort, dwNumberOfBytesTransferred, dwCompletionKey, lpOverlapped);
        emulate(capture);
        return r$;
    }

    private static final class CancelIoEx {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.CancelIoEx$address(), Windows.CancelIoEx$descriptor(), CAPTURE);
    }

    /** {@link Windows#CancelIoEx(MemorySegment, MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int CancelIoEx(MemorySegment capture, MemorySegment hFile, MemorySegment lpOverlapped) {
        if (NATIVE_CAPTURE) {
            var mh$ = CancelIoEx.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, hFile, lpOverlapped);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.CancelIoEx(hFile, lpOverlapped);
        emulate(capture);
        return r$;
    }

    private static final class SetFileCompletionNotificationModes {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.SetFileCompletionNotificationModes$address(), Windows.SetFileCompletionNotificationModes$descriptor(), CAPTURE);
    }

    /** {@link Windows#SetFileCompletionNotificationModes(MemorySegment, byte)}, capturing {@code last errors} into {@code capture}. */
    public static int SetFileCompletionNotificationModes(MemorySegment capture, MemorySegment FileHandle, byte Flags) {
        if (NATIVE_CAPTURE) {
            var mh$ = SetFileCompletionNotificationModes.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, FileHandle, Flags);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.SetFileCompletionNotificationModes(FileHandle, Flags);
        emulate(capture);
        return r$;
    }

    private static final class DuplicateHandle {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.DuplicateHandle$address(), Windows.DuplicateHandle$descriptor(), CAPTURE);
    }

    /** {@link Windows#DuplicateHandle(MemorySegment, MemorySegment, MemorySegment, MemorySegment, int, int, int)}, capturing {@code last errors} into {@code capture}. */
    public static int DuplicateHandle(MemorySegment capture, MemorySegment hSourceProcessHandle, MemorySegment hSourceHandle, MemorySegment hTargetProcessHandle, MemorySegment lpTargetHandle, int dwDesiredAccess, int bInheritHandle, int dwOptions) {
        if (NATIVE_CAPTURE) {
            var mh$ = DuplicateHandle.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, hSourceProcessHandle, hSourceHandle, hTargetProcessHandle, lpTargetHandle, dwDesiredAccess, bInheritHandle, dwOptions);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.DuplicateHandle(hSourceProcessHandle, hSourceHandle, hTargetProcessHandle, lpTargetHandle, dwDesiredAccess, bInheritHandle, dwOptions);
        emulate(capture);
        return r$;
    }

    private static final class GetCurrentProcess {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.GetCurrentProcess$address(), Windows.GetCurrentProcess$descriptor(), CAPTURE);
    }

    /** {@link Windows#GetCurrentProcess()}, capturing {@code last errors} into {@code capture}. */
    public static MemorySegment GetCurrentProcess(MemorySegment capture) {
        if (NATIVE_CAPTURE) {
            var mh$ = GetCurrentProcess.HANDLE;
            try {
                return (MemorySegment)mh$.invokeExact(capture);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        MemorySegment r$ = Windows.GetCurrentProcess();
        emulate(capture);
        return r$;
    }

    private static final class GetCurrentProcessId {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.GetCurrentProcessId$address(), Windows.GetCurrentProcessId$descriptor(), CAPTURE);
    }

    /** {@link Windows#GetCurrentProcessId()}, capturing {@code last errors} into {@code capture}. */
    public static int GetCurrentProcessId(MemorySegment capture) {
        if (NATIVE_CAPTURE) {
            var mh$ = GetCurrentProcessId.HANDLE;
            try {
                return (int)mh$.invokeExact(capture);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.GetCurrentProcessId();
        emulate(capture);
        return r$;
    }

    private static final class CloseHandle {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Windows.CloseHandle$address(), Windows.CloseHandle$descriptor(), CAPTURE);
    }

    /** {@link Windows#CloseHandle(MemorySegment)}, capturing {@code last errors} into {@code capture}. */
    public static int CloseHandle(MemorySegment capture, MemorySegment hObject) {
        if (NATIVE_CAPTURE) {
            var mh$ = CloseHandle.HANDLE;
            try {
                return (int)mh$.invokeExact(capture, hObject);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Windows.CloseHandle(hObject);
        emulate(capture);
        return r$;
    }

    private static final class AcceptEx {
        static final MethodHandle HANDLE = NATIVE_CAPTURE
                ? Linker.nativeLinker().downcallHandle(LPFN_ACCEPTEX.descriptor(), CAPTURE) : null;
    }

    /**
     * {@code AcceptEx} through {@code funcPtr}, the pointer {@code WSAIoctl} returned for
     * {@link WsaIds#WSAID_ACCEPTEX()} ({@link LPFN_ACCEPTEX#invoke}), capturing the last errors.
     */
    public static int AcceptEx(MemorySegment capture, MemorySegment funcPtr, long sListenSocket, long sAcceptSocket, MemorySegment lpOutputBuffer, int dwReceiveDataLength, int dwLocalAddressLength, int dwRemoteAddressLength, MemorySegment lpdwBytesReceived, MemorySegment lpOverlapped) {
        if (NATIVE_CAPTURE) {
            var mh$ = AcceptEx.HANDLE;
            try {
                return (int) mh$.invokeExact(funcPtr, capture, sListenSocket, sAcceptSocket, lpOutputBuffer, dwReceiveDataLength, dwLocalAddressLength, dwRemoteAddressLength, lpdwBytesReceived, lpOverlapped);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = LPFN_ACCEPTEX.invoke(funcPtr, sListenSocket, sAcceptSocket, lpOutputBuffer, dwReceiveDataLength, dwLocalAddressLength, dwRemoteAddressLength, lpdwBytesReceived, lpOverlapped);
        emulate(capture);
        return r$;
    }

    private static final class ConnectEx {
        static final MethodHandle HANDLE = NATIVE_CAPTURE
                ? Linker.nativeLinker().downcallHandle(LPFN_CONNECTEX.descriptor(), CAPTURE) : null;
    }

    /**
     * {@code ConnectEx} through {@code funcPtr}, the pointer {@code WSAIoctl} returned for
     * {@link WsaIds#WSAID_CONNECTEX()} ({@link LPFN_CONNECTEX#invoke}), capturing the last errors.
     */
    public static int ConnectEx(MemorySegment capture, MemorySegment funcPtr, long s, MemorySegment name, int namelen, MemorySegment lpSendBuffer, int dwSendDataLength, MemorySegment lpdwBytesSent, MemorySegment lpOverlapped) {
        if (NATIVE_CAPTURE) {
            var mh$ = ConnectEx.HANDLE;
            try {
                return (int) mh$.invokeExact(funcPtr, capture, s, name, namelen, lpSendBuffer, dwSendDataLength, lpdwBytesSent, lpOverlapped);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = LPFN_CONNECTEX.invoke(funcPtr, s, name, namelen, lpSendBuffer, dwSendDataLength, lpdwBytesSent, lpOverlapped);
        emulate(capture);
        return r$;
    }

}
