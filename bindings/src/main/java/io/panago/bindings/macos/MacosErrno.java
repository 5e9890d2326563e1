package io.panago.bindings.macos;

import io.panago.bindings.internal.ErrnoCalls;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * The functions of {@link Macos} with {@code errno} captured, the hand-kept variant beside the
 * jextract-shaped class (jextract has no option for {@link Linker.Option#captureCallState}).
 *
 * <p>Each method takes a leading capture segment from {@link #captureSegment(SegmentAllocator)};
 * after a failed call {@link #errno(MemorySegment)} reads the {@code errno} it set. On macOS the
 * JDK captures {@code errno} itself ({@code captureCallState("errno")}). On any other OS the
 * functions can only run against a lookup given to {@link Macos#bindLookup}, and there each call is
 * followed by a call of that lookup's {@code __error} (macOS's {@code int *__error(void)}, the
 * address of the calling thread's {@code errno}), whose value is copied into the capture
 * segment: a fake serves {@code __error} from a per-thread slot it sets, since a Java upcall
 * cannot reliably leave a value in the native {@code errno} for the JDK to capture.
 *
 * <p>The {@code *Heap} variants of {@code read}, {@code write}, {@code recv} and {@code send} take a
 * heap segment ({@code MemorySegment.ofArray(byte[])}, possibly sliced) and are meant for
 * non-blocking descriptors only. On JDK 24 and later they are {@code critical(true)} downcalls:
 * the kernel reads or writes the Java array in place, no copy. JDK 22 and 23 reject
 * {@code critical} combined with {@code captureCallState} (JDK-8336768 lifted that in 24), and a
 * plain downcall refuses heap segments, so there they go through a pooled 64 KiB off-heap
 * buffer and transfer at most that much per call: a short count, which read/write/recv/send
 * callers on non-blocking sockets handle anyway. {@link #heapCallsAreCritical()} says which path
 * this JVM takes. The critical path must never block: a critical call keeps its thread from
 * reaching a safepoint, stalling the garbage collector for as long as it runs.
 *
 * <p>An {@link Error} thrown while a call is made ({@link OutOfMemoryError} under a full heap,
 * {@link StackOverflowError}) is rethrown as it is, not wrapped as jextract wraps it: callers
 * that handle those must see them.
 */
public final class MacosErrno {

    private MacosErrno() {
    }

    /** True where the JDK captures the state itself; elsewhere only a bound fake can serve calls. */
    private static final boolean NATIVE_CAPTURE = Macos.NATIVE_OS;
    private static final StructLayout CAPTURE_LAYOUT = NATIVE_CAPTURE ? Linker.Option.captureStateLayout()
            : MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("errno"));
    private static final Linker.Option CAPTURE = NATIVE_CAPTURE ? Linker.Option.captureCallState("errno") : null;

    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** {@return the {@code errno} captured into {@code capture} by the last call that used it} */
    public static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** {@return the layout of a capture segment} */
    public static StructLayout captureLayout() {
        return CAPTURE_LAYOUT;
    }

    /** {@return a new capture segment (the layout of {@link #captureLayout()}) from {@code allocator}} */
    public static MemorySegment captureSegment(SegmentAllocator allocator) {
        return allocator.allocate(CAPTURE_LAYOUT);
    }

    /** Copies the bound lookup's {@code *__error()} into {@code capture} (no native capture here). */
    private static void emulate(MemorySegment capture) {
        ERRNO.set(capture, 0L, Macos.__error().get(ValueLayout.JAVA_INT, 0));
    }

    /** {@return true if the {@code *Heap} variants are critical downcalls, false if they copy} */
    public static boolean heapCallsAreCritical() {
        return NATIVE_CAPTURE && readHeap.HANDLE != null;
    }

    private static final class kqueue {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.kqueue$address(), Macos.kqueue$descriptor(), CAPTURE);
    }

    /** {@link Macos#kqueue()}, capturing {@code errno} into {@code errno}. */
    public static int kqueue(MemorySegment errno) {
        if (NATIVE_CAPTURE) {
            var mh$ = kqueue.HANDLE;
            try {
                return (int)mh$.invokeExact(errno);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.kqueue();
        emulate(errno);
        return r$;
    }

    private static final class kevent {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.kevent$address(), Macos.kevent$descriptor(), CAPTURE);
    }

    /** {@link Macos#kevent(int, MemorySegment, int, MemorySegment, int, MemorySegment)}, capturing {@code errno} into {@code errno}. */
    public static int kevent(MemorySegment errno, int kq, MemorySegment changelist, int nchanges, MemorySegment eventlist, int nevents, MemorySegment timeout) {
        if (NATIVE_CAPTURE) {
            var mh$ = kevent.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, kq, changelist, nchanges, eventlist, nevents, timeout);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.kevent(kq, changelist, nchanges, eventlist, nevents, timeout);
        emulate(errno);
        return r$;
    }

    private static final class socket {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.socket$address(), Macos.socket$descriptor(), CAPTURE);
    }

    /** {@link Macos#socket(int, int, int)}, capturing {@code errno} into {@code errno}. */
    public static int socket(MemorySegment errno, int x0, int x1, int x2) {
        if (NATIVE_CAPTURE) {
            var mh$ = socket.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1, x2);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.socket(x0, x1, x2);
        emulate(errno);
        return r$;
    }

    private static final class bind {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.bind$address(), Macos.bind$descriptor(), CAPTURE);
    }

    /** {@link Macos#bind(int, MemorySegment, int)}, capturing {@code errno} into {@code errno}. */
    public static int bind(MemorySegment errno, int x0, MemorySegment x1, int x2) {
        if (NATIVE_CAPTURE) {
            var mh$ = bind.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1, x2);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.bind(x0, x1, x2);
        emulate(errno);
        return r$;
    }

    private static final class listen {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.listen$address(), Macos.listen$descriptor(), CAPTURE);
    }

    /** {@link Macos#listen(int, int)}, capturing {@code errno} into {@code errno}. */
    public static int listen(MemorySegment errno, int x0, int x1) {
        if (NATIVE_CAPTURE) {
            var mh$ = listen.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.listen(x0, x1);
        emulate(errno);
        return r$;
    }

    private static final class accept {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.accept$address(), Macos.accept$descriptor(), CAPTURE);
    }

    /** {@link Macos#accept(int, MemorySegment, MemorySegment)}, capturing {@code errno} into {@code errno}. */
    public static int accept(MemorySegment errno, int x0, MemorySegment x1, MemorySegment x2) {
        if (NATIVE_CAPTURE) {
            var mh$ = accept.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1, x2);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.accept(x0, x1, x2);
        emulate(errno);
        return r$;
    }

    private static final class connect {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.connect$address(), Macos.connect$descriptor(), CAPTURE);
    }

    /** {@link Macos#connect(int, MemorySegment, int)}, capturing {@code errno} into {@code errno}. */
    public static int connect(MemorySegment errno, int x0, MemorySegment x1, int x2) {
        if (NATIVE_CAPTURE) {
            var mh$ = connect.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1, x2);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.connect(x0, x1, x2);
        emulate(errno);
        return r$;
    }

    private static final class getsockname {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.getsockname$address(), Macos.getsockname$descriptor(), CAPTURE);
    }

    /** {@link Macos#getsockname(int, MemorySegment, MemorySegment)}, capturing {@code errno} into {@code errno}. */
    public static int getsockname(MemorySegment errno, int x0, MemorySegment x1, MemorySegment x2) {
        if (NATIVE_CAPTURE) {
            var mh$ = getsockname.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1, x2);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.getsockname(x0, x1, x2);
        emulate(errno);
        return r$;
    }

    private static final class getpeername {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.getpeername$address(), Macos.getpeername$descriptor(), CAPTURE);
    }

    /** {@link Macos#getpeername(int, MemorySegment, MemorySegment)}, capturing {@code errno} into {@code errno}. */
    public static int getpeername(MemorySegment errno, int x0, MemorySegment x1, MemorySegment x2) {
        if (NATIVE_CAPTURE) {
            var mh$ = getpeername.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1, x2);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.getpeername(x0, x1, x2);
        emulate(errno);
        return r$;
    }

    private static final class setsockopt {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.setsockopt$address(), Macos.setsockopt$descriptor(), CAPTURE);
    }

    /** {@link Macos#setsockopt(int, int, int, MemorySegment, int)}, capturing {@code errno} into {@code errno}. */
    public static int setsockopt(MemorySegment errno, int x0, int x1, int x2, MemorySegment x3, int x4) {
        if (NATIVE_CAPTURE) {
            var mh$ = setsockopt.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1, x2, x3, x4);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.setsockopt(x0, x1, x2, x3, x4);
        emulate(errno);
        return r$;
    }

    private static final class getsockopt {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.getsockopt$address(), Macos.getsockopt$descriptor(), CAPTURE);
    }

    /** {@link Macos#getsockopt(int, int, int, MemorySegment, MemorySegment)}, capturing {@code errno} into {@code errno}. */
    public static int getsockopt(MemorySegment errno, int x0, int x1, int x2, MemorySegment x3, MemorySegment x4) {
        if (NATIVE_CAPTURE) {
            var mh$ = getsockopt.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1, x2, x3, x4);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.getsockopt(x0, x1, x2, x3, x4);
        emulate(errno);
        return r$;
    }

    private static final class shutdown {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.shutdown$address(), Macos.shutdown$descriptor(), CAPTURE);
    }

    /** {@link Macos#shutdown(int, int)}, capturing {@code errno} into {@code errno}. */
    public static int shutdown(MemorySegment errno, int x0, int x1) {
        if (NATIVE_CAPTURE) {
            var mh$ = shutdown.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.shutdown(x0, x1);
        emulate(errno);
        return r$;
    }

    private static final class close {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.close$address(), Macos.close$descriptor(), CAPTURE);
    }

    /** {@link Macos#close(int)}, capturing {@code errno} into {@code errno}. */
    public static int close(MemorySegment errno, int x0) {
        if (NATIVE_CAPTURE) {
            var mh$ = close.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.close(x0);
        emulate(errno);
        return r$;
    }

    private static final class read {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.read$address(), Macos.read$descriptor(), CAPTURE);
    }

    /** {@link Macos#read(int, MemorySegment, long)}, capturing {@code errno} into {@code errno}. */
    public static long read(MemorySegment errno, int x0, MemorySegment x1, long x2) {
        if (NATIVE_CAPTURE) {
            var mh$ = read.HANDLE;
            try {
                return (long)mh$.invokeExact(errno, x0, x1, x2);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        long r$ = Macos.read(x0, x1, x2);
        emulate(errno);
        return r$;
    }

    private static final class write {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.write$address(), Macos.write$descriptor(), CAPTURE);
    }

    /** {@link Macos#write(int, MemorySegment, long)}, capturing {@code errno} into {@code errno}. */
    public static long write(MemorySegment errno, int __fd, MemorySegment __buf, long __nbyte) {
        if (NATIVE_CAPTURE) {
            var mh$ = write.HANDLE;
            try {
                return (long)mh$.invokeExact(errno, __fd, __buf, __nbyte);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        long r$ = Macos.write(__fd, __buf, __nbyte);
        emulate(errno);
        return r$;
    }

    private static final class readv {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.readv$address(), Macos.readv$descriptor(), CAPTURE);
    }

    /** {@link Macos#readv(int, MemorySegment, int)}, capturing {@code errno} into {@code errno}. */
    public static long readv(MemorySegment errno, int x0, MemorySegment x1, int x2) {
        if (NATIVE_CAPTURE) {
            var mh$ = readv.HANDLE;
            try {
                return (long)mh$.invokeExact(errno, x0, x1, x2);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        long r$ = Macos.readv(x0, x1, x2);
        emulate(errno);
        return r$;
    }

    private static final class writev {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.writev$address(), Macos.writev$descriptor(), CAPTURE);
    }

    /** {@link Macos#writev(int, MemorySegment, int)}, capturing {@code errno} into {@code errno}. */
    public static long writev(MemorySegment errno, int x0, MemorySegment x1, int x2) {
        if (NATIVE_CAPTURE) {
            var mh$ = writev.HANDLE;
            try {
                return (long)mh$.invokeExact(errno, x0, x1, x2);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        long r$ = Macos.writev(x0, x1, x2);
        emulate(errno);
        return r$;
    }

    private static final class recv {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.recv$address(), Macos.recv$descriptor(), CAPTURE);
    }

    /** {@link Macos#recv(int, MemorySegment, long, int)}, capturing {@code errno} into {@code errno}. */
    public static long recv(MemorySegment errno, int x0, MemorySegment x1, long x2, int x3) {
        if (NATIVE_CAPTURE) {
            var mh$ = recv.HANDLE;
            try {
                return (long)mh$.invokeExact(errno, x0, x1, x2, x3);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        long r$ = Macos.recv(x0, x1, x2, x3);
        emulate(errno);
        return r$;
    }

    private static final class send {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.send$address(), Macos.send$descriptor(), CAPTURE);
    }

    /** {@link Macos#send(int, MemorySegment, long, int)}, capturing {@code errno} into {@code errno}. */
    public static long send(MemorySegment errno, int x0, MemorySegment x1, long x2, int x3) {
        if (NATIVE_CAPTURE) {
            var mh$ = send.HANDLE;
            try {
                return (long)mh$.invokeExact(errno, x0, x1, x2, x3);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        long r$ = Macos.send(x0, x1, x2, x3);
        emulate(errno);
        return r$;
    }

    private static final class dup {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.dup$address(), Macos.dup$descriptor(), CAPTURE);
    }

    /** {@link Macos#dup(int)}, capturing {@code errno} into {@code errno}. */
    public static int dup(MemorySegment errno, int x0) {
        if (NATIVE_CAPTURE) {
            var mh$ = dup.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.dup(x0);
        emulate(errno);
        return r$;
    }

    private static final class pipe {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.pipe$address(), Macos.pipe$descriptor(), CAPTURE);
    }

    /** {@link Macos#pipe(MemorySegment)}, capturing {@code errno} into {@code errno}. */
    public static int pipe(MemorySegment errno, MemorySegment x0) {
        if (NATIVE_CAPTURE) {
            var mh$ = pipe.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.pipe(x0);
        emulate(errno);
        return r$;
    }

    private static final class poll {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.poll$address(), Macos.poll$descriptor(), CAPTURE);
    }

    /** {@link Macos#poll(MemorySegment, int, int)}, capturing {@code errno} into {@code errno}. */
    public static int poll(MemorySegment errno, MemorySegment x0, int x1, int x2) {
        if (NATIVE_CAPTURE) {
            var mh$ = poll.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1, x2);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.poll(x0, x1, x2);
        emulate(errno);
        return r$;
    }

    private static final class sysctlbyname {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Macos.sysctlbyname$address(), Macos.sysctlbyname$descriptor(), CAPTURE);
    }

    /** {@link Macos#sysctlbyname(MemorySegment, MemorySegment, MemorySegment, MemorySegment, long)}, capturing {@code errno} into {@code errno}. */
    public static int sysctlbyname(MemorySegment errno, MemorySegment x0, MemorySegment x1, MemorySegment x2, MemorySegment x3, long x4) {
        if (NATIVE_CAPTURE) {
            var mh$ = sysctlbyname.HANDLE;
            try {
                return (int)mh$.invokeExact(errno, x0, x1, x2, x3, x4);
            } catch (Error ex$) {
                throw ex$;
            } catch (Throwable ex$) {
                throw new AssertionError("should not reach here", ex$);
            }
        }
        int r$ = Macos.sysctlbyname(x0, x1, x2, x3, x4);
        emulate(errno);
        return r$;
    }

    private static final class readHeap {
        static final MethodHandle HANDLE = ErrnoCalls.criticalOrNull(Macos.read$address(), Macos.read$descriptor(), CAPTURE);
    }

    /**
     * {@link Macos#read(int, MemorySegment, long)} on a heap segment ({@code MemorySegment.ofArray}), capturing
     * {@code errno}; for non-blocking descriptors only (see the class comment).
     */
    public static long readHeap(MemorySegment errno, int x0, MemorySegment x1, long x2) {
        Objects.checkFromIndexSize(0L, x2, x1.byteSize());
        if (NATIVE_CAPTURE && !x1.isNative()) {
            MethodHandle mh$ = readHeap.HANDLE;
            if (mh$ != null) {
                try {
                    return (long) mh$.invokeExact(errno, x0, x1, x2);
                } catch (Error ex$) {
                    throw ex$;
                } catch (Throwable ex$) {
                    throw new AssertionError("should not reach here", ex$);
                }
            }
        }
        return readHeapCopy(errno, x0, x1, x2);
    }

    /** {@link #readHeap} through a bounce buffer: the path where no critical handle exists. */
    static long readHeapCopy(MemorySegment errno, int x0, MemorySegment x1, long x2) {
        return ErrnoCalls.receive(x1, x2, (b$, n$) -> read(errno, x0, b$, n$));
    }

    private static final class writeHeap {
        static final MethodHandle HANDLE = ErrnoCalls.criticalOrNull(Macos.write$address(), Macos.write$descriptor(), CAPTURE);
    }

    /**
     * {@link Macos#write(int, MemorySegment, long)} on a heap segment ({@code MemorySegment.ofArray}), capturing
     * {@code errno}; for non-blocking descriptors only (see the class comment).
     */
    public static long writeHeap(MemorySegment errno, int __fd, MemorySegment __buf, long __nbyte) {
        Objects.checkFromIndexSize(0L, __nbyte, __buf.byteSize());
        if (NATIVE_CAPTURE && !__buf.isNative()) {
            MethodHandle mh$ = writeHeap.HANDLE;
            if (mh$ != null) {
                try {
                    return (long) mh$.invokeExact(errno, __fd, __buf, __nbyte);
                } catch (Error ex$) {
                    throw ex$;
                } catch (Throwable ex$) {
                    throw new AssertionError("should not reach here", ex$);
                }
            }
        }
        return writeHeapCopy(errno, __fd, __buf, __nbyte);
    }

    /** {@link #writeHeap} through a bounce buffer: the path where no critical handle exists. */
    static long writeHeapCopy(MemorySegment errno, int __fd, MemorySegment __buf, long __nbyte) {
        return ErrnoCalls.send(__buf, __nbyte, (b$, n$) -> write(errno, __fd, b$, n$));
    }

    private static final class recvHeap {
        static final MethodHandle HANDLE = ErrnoCalls.criticalOrNull(Macos.recv$address(), Macos.recv$descriptor(), CAPTURE);
    }

    /**
     * {@link Macos#recv(int, MemorySegment, long, int)} on a heap segment ({@code MemorySegment.ofArray}), capturing
     * {@code errno}; for non-blocking descriptors only (see the class comment).
     */
    public static long recvHeap(MemorySegment errno, int x0, MemorySegment x1, long x2, int x3) {
        Objects.checkFromIndexSize(0L, x2, x1.byteSize());
        if (NATIVE_CAPTURE && !x1.isNative()) {
            MethodHandle mh$ = recvHeap.HANDLE;
            if (mh$ != null) {
                try {
                    return (long) mh$.invokeExact(errno, x0, x1, x2, x3);
                } catch (Error ex$) {
                    throw ex$;
                } catch (Throwable ex$) {
                    throw new AssertionError("should not reach here", ex$);
                }
            }
        }
        return recvHeapCopy(errno, x0, x1, x2, x3);
    }

    /** {@link #recvHeap} through a bounce buffer: the path where no critical handle exists. */
    static long recvHeapCopy(MemorySegment errno, int x0, MemorySegment x1, long x2, int x3) {
        return ErrnoCalls.receive(x1, x2, (b$, n$) -> recv(errno, x0, b$, n$, x3));
    }

    private static final class sendHeap {
        static final MethodHandle HANDLE = ErrnoCalls.criticalOrNull(Macos.send$address(), Macos.send$descriptor(), CAPTURE);
    }

    /**
     * {@link Macos#send(int, MemorySegment, long, int)} on a heap segment ({@code MemorySegment.ofArray}), capturing
     * {@code errno}; for non-blocking descriptors only (see the class comment).
     */
    public static long sendHeap(MemorySegment errno, int x0, MemorySegment x1, long x2, int x3) {
        Objects.checkFromIndexSize(0L, x2, x1.byteSize());
        if (NATIVE_CAPTURE && !x1.isNative()) {
            MethodHandle mh$ = sendHeap.HANDLE;
            if (mh$ != null) {
                try {
                    return (long) mh$.invokeExact(errno, x0, x1, x2, x3);
                } catch (Error ex$) {
                    throw ex$;
                } catch (Throwable ex$) {
                    throw new AssertionError("should not reach here", ex$);
                }
            }
        }
        return sendHeapCopy(errno, x0, x1, x2, x3);
    }

    /** {@link #sendHeap} through a bounce buffer: the path where no critical handle exists. */
    static long sendHeapCopy(MemorySegment errno, int x0, MemorySegment x1, long x2, int x3) {
        return ErrnoCalls.send(x1, x2, (b$, n$) -> send(errno, x0, b$, n$, x3));
    }

    private static final class fcntl {
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(Macos.fcntl.address(),
                FunctionDescriptor.of(Macos.C_INT, Macos.C_INT, Macos.C_INT, Macos.C_INT),
                NATIVE_CAPTURE ? new Linker.Option[] {CAPTURE, Linker.Option.firstVariadicArg(2)}
                        : new Linker.Option[] {Linker.Option.firstVariadicArg(2)});
    }

    /**
     * {@code fcntl(fd, cmd, arg)} with an {@code int} argument ({@code F_GETFL}, {@code F_SETFL},
     * {@code F_GETFD}, {@code F_SETFD}, {@code F_DUPFD_CLOEXEC}; pass 0 where {@code cmd} takes
     * none), capturing {@code errno}. Unlike {@link Macos.fcntl} it allocates nothing per call.
     */
    public static int fcntl(MemorySegment errno, int x0, int x1, int arg) {
        var mh$ = fcntl.HANDLE;
        try {
            if (NATIVE_CAPTURE) {
                return (int) mh$.invokeExact(errno, x0, x1, arg);
            }
            int r$ = (int) mh$.invokeExact(x0, x1, arg);
            emulate(errno);
            return r$;
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class ioctl {
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(Macos.ioctl.address(),
                FunctionDescriptor.of(Macos.C_INT, Macos.C_INT, Macos.C_LONG, Macos.C_POINTER),
                NATIVE_CAPTURE ? new Linker.Option[] {CAPTURE, Linker.Option.firstVariadicArg(2)}
                        : new Linker.Option[] {Linker.Option.firstVariadicArg(2)});
    }

    /**
     * {@code ioctl(fd, request, argp)} with a pointer argument ({@code FIONREAD} and its
     * {@code int} out-parameter), capturing {@code errno}. Unlike {@link Macos.ioctl} it
     * allocates nothing per call.
     */
    public static int ioctl(MemorySegment errno, int x0, long x1, MemorySegment argp) {
        var mh$ = ioctl.HANDLE;
        try {
            if (NATIVE_CAPTURE) {
                return (int) mh$.invokeExact(errno, x0, x1, argp);
            }
            int r$ = (int) mh$.invokeExact(x0, x1, argp);
            emulate(errno);
            return r$;
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

}
