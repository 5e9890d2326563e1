package io.panago.bindings.linux;

import io.panago.bindings.internal.ErrnoCalls;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * The functions of {@link Linux} with {@code errno} captured, the hand-kept variant beside the
 * jextract-shaped class (jextract has no option for {@link Linker.Option#captureCallState}).
 *
 * <p>Each method takes a leading capture segment from {@link #captureSegment(SegmentAllocator)};
 * after a call that returned -1, {@link #errno(MemorySegment)} reads the {@code errno} the call
 * set. Reading {@code errno} through a second downcall would be wrong: the JVM may run code (and
 * libc calls of its own) between the two. Callers keep one capture segment per thread or
 * goroutine, so no call allocates.
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
public final class LinuxErrno {

    private LinuxErrno() {
    }

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

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

    /** {@return true if the {@code *Heap} variants are critical downcalls, false if they copy} */
    public static boolean heapCallsAreCritical() {
        return readHeap.HANDLE != null;
    }

    private static final class epoll_create1 {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.epoll_create1$address(), Linux.epoll_create1$descriptor(), CAPTURE);
    }

    /** {@link Linux#epoll_create1(int)}, capturing {@code errno} into {@code errno}. */
    public static int epoll_create1(MemorySegment errno, int __flags) {
        var mh$ = epoll_create1.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __flags);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class epoll_ctl {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.epoll_ctl$address(), Linux.epoll_ctl$descriptor(), CAPTURE);
    }

    /** {@link Linux#epoll_ctl(int, int, int, MemorySegment)}, capturing {@code errno} into {@code errno}. */
    public static int epoll_ctl(MemorySegment errno, int __epfd, int __op, int __fd, MemorySegment __event) {
        var mh$ = epoll_ctl.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __epfd, __op, __fd, __event);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class epoll_wait {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.epoll_wait$address(), Linux.epoll_wait$descriptor(), CAPTURE);
    }

    /** {@link Linux#epoll_wait(int, MemorySegment, int, int)}, capturing {@code errno} into {@code errno}. */
    public static int epoll_wait(MemorySegment errno, int __epfd, MemorySegment __events, int __maxevents, int __timeout) {
        var mh$ = epoll_wait.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __epfd, __events, __maxevents, __timeout);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class eventfd {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.eventfd$address(), Linux.eventfd$descriptor(), CAPTURE);
    }

    /** {@link Linux#eventfd(int, int)}, capturing {@code errno} into {@code errno}. */
    public static int eventfd(MemorySegment errno, int __count, int __flags) {
        var mh$ = eventfd.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __count, __flags);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class read {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.read$address(), Linux.read$descriptor(), CAPTURE);
    }

    /** {@link Linux#read(int, MemorySegment, long)}, capturing {@code errno} into {@code errno}. */
    public static long read(MemorySegment errno, int __fd, MemorySegment __buf, long __nbytes) {
        var mh$ = read.HANDLE;
        try {
            return (long)mh$.invokeExact(errno, __fd, __buf, __nbytes);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class write {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.write$address(), Linux.write$descriptor(), CAPTURE);
    }

    /** {@link Linux#write(int, MemorySegment, long)}, capturing {@code errno} into {@code errno}. */
    public static long write(MemorySegment errno, int __fd, MemorySegment __buf, long __n) {
        var mh$ = write.HANDLE;
        try {
            return (long)mh$.invokeExact(errno, __fd, __buf, __n);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class close {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.close$address(), Linux.close$descriptor(), CAPTURE);
    }

    /** {@link Linux#close(int)}, capturing {@code errno} into {@code errno}. */
    public static int close(MemorySegment errno, int __fd) {
        var mh$ = close.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fd);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class socket {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.socket$address(), Linux.socket$descriptor(), CAPTURE);
    }

    /** {@link Linux#socket(int, int, int)}, capturing {@code errno} into {@code errno}. */
    public static int socket(MemorySegment errno, int __domain, int __type, int __protocol) {
        var mh$ = socket.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __domain, __type, __protocol);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class bind {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.bind$address(), Linux.bind$descriptor(), CAPTURE);
    }

    /** {@link Linux#bind(int, MemorySegment, int)}, capturing {@code errno} into {@code errno}. */
    public static int bind(MemorySegment errno, int __fd, MemorySegment __addr, int __len) {
        var mh$ = bind.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fd, __addr, __len);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class listen {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.listen$address(), Linux.listen$descriptor(), CAPTURE);
    }

    /** {@link Linux#listen(int, int)}, capturing {@code errno} into {@code errno}. */
    public static int listen(MemorySegment errno, int __fd, int __n) {
        var mh$ = listen.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fd, __n);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class accept4 {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.accept4$address(), Linux.accept4$descriptor(), CAPTURE);
    }

    /** {@link Linux#accept4(int, MemorySegment, MemorySegment, int)}, capturing {@code errno} into {@code errno}. */
    public static int accept4(MemorySegment errno, int __fd, MemorySegment __addr, MemorySegment __addr_len, int __flags) {
        var mh$ = accept4.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fd, __addr, __addr_len, __flags);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class connect {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.connect$address(), Linux.connect$descriptor(), CAPTURE);
    }

    /** {@link Linux#connect(int, MemorySegment, int)}, capturing {@code errno} into {@code errno}. */
    public static int connect(MemorySegment errno, int __fd, MemorySegment __addr, int __len) {
        var mh$ = connect.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fd, __addr, __len);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class getsockname {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.getsockname$address(), Linux.getsockname$descriptor(), CAPTURE);
    }

    /** {@link Linux#getsockname(int, MemorySegment, MemorySegment)}, capturing {@code errno} into {@code errno}. */
    public static int getsockname(MemorySegment errno, int __fd, MemorySegment __addr, MemorySegment __len) {
        var mh$ = getsockname.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fd, __addr, __len);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class getpeername {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.getpeername$address(), Linux.getpeername$descriptor(), CAPTURE);
    }

    /** {@link Linux#getpeername(int, MemorySegment, MemorySegment)}, capturing {@code errno} into {@code errno}. */
    public static int getpeername(MemorySegment errno, int __fd, MemorySegment __addr, MemorySegment __len) {
        var mh$ = getpeername.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fd, __addr, __len);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class setsockopt {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.setsockopt$address(), Linux.setsockopt$descriptor(), CAPTURE);
    }

    /** {@link Linux#setsockopt(int, int, int, MemorySegment, int)}, capturing {@code errno} into {@code errno}. */
    public static int setsockopt(MemorySegment errno, int __fd, int __level, int __optname, MemorySegment __optval, int __optlen) {
        var mh$ = setsockopt.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fd, __level, __optname, __optval, __optlen);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class getsockopt {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.getsockopt$address(), Linux.getsockopt$descriptor(), CAPTURE);
    }

    /** {@link Linux#getsockopt(int, int, int, MemorySegment, MemorySegment)}, capturing {@code errno} into {@code errno}. */
    public static int getsockopt(MemorySegment errno, int __fd, int __level, int __optname, MemorySegment __optval, MemorySegment __optlen) {
        var mh$ = getsockopt.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fd, __level, __optname, __optval, __optlen);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class shutdown {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.shutdown$address(), Linux.shutdown$descriptor(), CAPTURE);
    }

    /** {@link Linux#shutdown(int, int)}, capturing {@code errno} into {@code errno}. */
    public static int shutdown(MemorySegment errno, int __fd, int __how) {
        var mh$ = shutdown.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fd, __how);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class readv {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.readv$address(), Linux.readv$descriptor(), CAPTURE);
    }

    /** {@link Linux#readv(int, MemorySegment, int)}, capturing {@code errno} into {@code errno}. */
    public static long readv(MemorySegment errno, int __fd, MemorySegment __iovec, int __count) {
        var mh$ = readv.HANDLE;
        try {
            return (long)mh$.invokeExact(errno, __fd, __iovec, __count);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class writev {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.writev$address(), Linux.writev$descriptor(), CAPTURE);
    }

    /** {@link Linux#writev(int, MemorySegment, int)}, capturing {@code errno} into {@code errno}. */
    public static long writev(MemorySegment errno, int __fd, MemorySegment __iovec, int __count) {
        var mh$ = writev.HANDLE;
        try {
            return (long)mh$.invokeExact(errno, __fd, __iovec, __count);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class recv {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.recv$address(), Linux.recv$descriptor(), CAPTURE);
    }

    /** {@link Linux#recv(int, MemorySegment, long, int)}, capturing {@code errno} into {@code errno}. */
    public static long recv(MemorySegment errno, int __fd, MemorySegment __buf, long __n, int __flags) {
        var mh$ = recv.HANDLE;
        try {
            return (long)mh$.invokeExact(errno, __fd, __buf, __n, __flags);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class send {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.send$address(), Linux.send$descriptor(), CAPTURE);
    }

    /** {@link Linux#send(int, MemorySegment, long, int)}, capturing {@code errno} into {@code errno}. */
    public static long send(MemorySegment errno, int __fd, MemorySegment __buf, long __n, int __flags) {
        var mh$ = send.HANDLE;
        try {
            return (long)mh$.invokeExact(errno, __fd, __buf, __n, __flags);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class dup {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.dup$address(), Linux.dup$descriptor(), CAPTURE);
    }

    /** {@link Linux#dup(int)}, capturing {@code errno} into {@code errno}. */
    public static int dup(MemorySegment errno, int __fd) {
        var mh$ = dup.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fd);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class poll {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.poll$address(), Linux.poll$descriptor(), CAPTURE);
    }

    /** {@link Linux#poll(MemorySegment, long, int)}, capturing {@code errno} into {@code errno}. */
    public static int poll(MemorySegment errno, MemorySegment __fds, long __nfds, int __timeout) {
        var mh$ = poll.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __fds, __nfds, __timeout);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class mmap {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.mmap$address(), Linux.mmap$descriptor(), CAPTURE);
    }

    /** {@link Linux#mmap(MemorySegment, long, int, int, int, long)}, capturing {@code errno} into {@code errno}. */
    public static MemorySegment mmap(MemorySegment errno, MemorySegment __addr, long __len, int __prot, int __flags, int __fd, long __offset) {
        var mh$ = mmap.HANDLE;
        try {
            return (MemorySegment)mh$.invokeExact(errno, __addr, __len, __prot, __flags, __fd, __offset);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class munmap {
        static final MethodHandle HANDLE = ErrnoCalls.capturing(Linux.munmap$address(), Linux.munmap$descriptor(), CAPTURE);
    }

    /** {@link Linux#munmap(MemorySegment, long)}, capturing {@code errno} into {@code errno}. */
    public static int munmap(MemorySegment errno, MemorySegment __addr, long __len) {
        var mh$ = munmap.HANDLE;
        try {
            return (int)mh$.invokeExact(errno, __addr, __len);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class readHeap {
        static final MethodHandle HANDLE = ErrnoCalls.criticalOrNull(Linux.read$address(), Linux.read$descriptor(), CAPTURE);
    }

    /**
     * {@link Linux#read(int, MemorySegment, long)} on a heap segment ({@code MemorySegment.ofArray}), capturing
     * {@code errno}; for non-blocking descriptors only (see the class comment).
     */
    public static long readHeap(MemorySegment errno, int __fd, MemorySegment __buf, long __nbytes) {
        Objects.checkFromIndexSize(0L, __nbytes, __buf.byteSize());
        if (!__buf.isNative()) {
            MethodHandle mh$ = readHeap.HANDLE;
            if (mh$ != null) {
                try {
                    return (long) mh$.invokeExact(errno, __fd, __buf, __nbytes);
                } catch (Error ex$) {
                    throw ex$;
                } catch (Throwable ex$) {
                    throw new AssertionError("should not reach here", ex$);
                }
            }
        }
        return readHeapCopy(errno, __fd, __buf, __nbytes);
    }

    /** {@link #readHeap} through a bounce buffer: the path where no critical handle exists. */
    static long readHeapCopy(MemorySegment errno, int __fd, MemorySegment __buf, long __nbytes) {
        return ErrnoCalls.receive(__buf, __nbytes, (b$, n$) -> read(errno, __fd, b$, n$));
    }

    private static final class writeHeap {
        static final MethodHandle HANDLE = ErrnoCalls.criticalOrNull(Linux.write$address(), Linux.write$descriptor(), CAPTURE);
    }

    /**
     * {@link Linux#write(int, MemorySegment, long)} on a heap segment ({@code MemorySegment.ofArray}), capturing
     * {@code errno}; for non-blocking descriptors only (see the class comment).
     */
    public static long writeHeap(MemorySegment errno, int __fd, MemorySegment __buf, long __n) {
        Objects.checkFromIndexSize(0L, __n, __buf.byteSize());
        if (!__buf.isNative()) {
            MethodHandle mh$ = writeHeap.HANDLE;
            if (mh$ != null) {
                try {
                    return (long) mh$.invokeExact(errno, __fd, __buf, __n);
                } catch (Error ex$) {
                    throw ex$;
                } catch (Throwable ex$) {
                    throw new AssertionError("should not reach here", ex$);
                }
            }
        }
        return writeHeapCopy(errno, __fd, __buf, __n);
    }

    /** {@link #writeHeap} through a bounce buffer: the path where no critical handle exists. */
    static long writeHeapCopy(MemorySegment errno, int __fd, MemorySegment __buf, long __n) {
        return ErrnoCalls.send(__buf, __n, (b$, n$) -> write(errno, __fd, b$, n$));
    }

    private static final class recvHeap {
        static final MethodHandle HANDLE = ErrnoCalls.criticalOrNull(Linux.recv$address(), Linux.recv$descriptor(), CAPTURE);
    }

    /**
     * {@link Linux#recv(int, MemorySegment, long, int)} on a heap segment ({@code MemorySegment.ofArray}), capturing
     * {@code errno}; for non-blocking descriptors only (see the class comment).
     */
    public static long recvHeap(MemorySegment errno, int __fd, MemorySegment __buf, long __n, int __flags) {
        Objects.checkFromIndexSize(0L, __n, __buf.byteSize());
        if (!__buf.isNative()) {
            MethodHandle mh$ = recvHeap.HANDLE;
            if (mh$ != null) {
                try {
                    return (long) mh$.invokeExact(errno, __fd, __buf, __n, __flags);
                } catch (Error ex$) {
                    throw ex$;
                } catch (Throwable ex$) {
                    throw new AssertionError("should not reach here", ex$);
                }
            }
        }
        return recvHeapCopy(errno, __fd, __buf, __n, __flags);
    }

    /** {@link #recvHeap} through a bounce buffer: the path where no critical handle exists. */
    static long recvHeapCopy(MemorySegment errno, int __fd, MemorySegment __buf, long __n, int __flags) {
        return ErrnoCalls.receive(__buf, __n, (b$, n$) -> recv(errno, __fd, b$, n$, __flags));
    }

    private static final class sendHeap {
        static final MethodHandle HANDLE = ErrnoCalls.criticalOrNull(Linux.send$address(), Linux.send$descriptor(), CAPTURE);
    }

    /**
     * {@link Linux#send(int, MemorySegment, long, int)} on a heap segment ({@code MemorySegment.ofArray}), capturing
     * {@code errno}; for non-blocking descriptors only (see the class comment).
     */
    public static long sendHeap(MemorySegment errno, int __fd, MemorySegment __buf, long __n, int __flags) {
        Objects.checkFromIndexSize(0L, __n, __buf.byteSize());
        if (!__buf.isNative()) {
            MethodHandle mh$ = sendHeap.HANDLE;
            if (mh$ != null) {
                try {
                    return (long) mh$.invokeExact(errno, __fd, __buf, __n, __flags);
                } catch (Error ex$) {
                    throw ex$;
                } catch (Throwable ex$) {
                    throw new AssertionError("should not reach here", ex$);
                }
            }
        }
        return sendHeapCopy(errno, __fd, __buf, __n, __flags);
    }

    /** {@link #sendHeap} through a bounce buffer: the path where no critical handle exists. */
    static long sendHeapCopy(MemorySegment errno, int __fd, MemorySegment __buf, long __n, int __flags) {
        return ErrnoCalls.send(__buf, __n, (b$, n$) -> send(errno, __fd, b$, n$, __flags));
    }

    private static final class fcntl {
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(Linux.fcntl.address(),
                FunctionDescriptor.of(Linux.C_INT, Linux.C_INT, Linux.C_INT, Linux.C_INT),
                CAPTURE, Linker.Option.firstVariadicArg(2));
    }

    /**
     * {@code fcntl(fd, cmd, arg)} with an {@code int} argument ({@code F_GETFL}, {@code F_SETFL},
     * {@code F_GETFD}, {@code F_SETFD}, {@code F_DUPFD_CLOEXEC}; pass 0 where {@code cmd} takes
     * none), capturing {@code errno}. Unlike {@link Linux.fcntl} it allocates nothing per call.
     */
    public static int fcntl(MemorySegment errno, int __fd, int __cmd, int arg) {
        var mh$ = fcntl.HANDLE;
        try {
            return (int) mh$.invokeExact(errno, __fd, __cmd, arg);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class ioctl {
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(Linux.ioctl.address(),
                FunctionDescriptor.of(Linux.C_INT, Linux.C_INT, Linux.C_LONG, Linux.C_POINTER),
                CAPTURE, Linker.Option.firstVariadicArg(2));
    }

    /**
     * {@code ioctl(fd, request, argp)} with a pointer argument ({@code FIONREAD} and its
     * {@code int} out-parameter), capturing {@code errno}. Unlike {@link Linux.ioctl} it
     * allocates nothing per call.
     */
    public static int ioctl(MemorySegment errno, int __fd, long __request, MemorySegment argp) {
        var mh$ = ioctl.HANDLE;
        try {
            return (int) mh$.invokeExact(errno, __fd, __request, argp);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class io_uring_setup {
        static final MethodHandle HANDLE = syscall(Linux.C_LONG, Linux.C_POINTER);
    }

    private static final class io_uring_enter {
        static final MethodHandle HANDLE = syscall(Linux.C_LONG, Linux.C_LONG, Linux.C_LONG, Linux.C_LONG,
                Linux.C_POINTER, Linux.C_LONG);
    }

    private static final class io_uring_register {
        static final MethodHandle HANDLE = syscall(Linux.C_LONG, Linux.C_LONG, Linux.C_POINTER, Linux.C_LONG);
    }

    /**
     * {@code long syscall(long sysno, ...)} specialised to the given variadic argument layouts,
     * capturing {@code errno}. Integer arguments are passed as C {@code long}, the width glibc's
     * {@code syscall} reads every argument at, so no upper half is left undefined.
     */
    static MethodHandle syscall(MemoryLayout... variadic) {
        FunctionDescriptor d = FunctionDescriptor.of(Linux.C_LONG, Linux.C_LONG).appendArgumentLayouts(variadic);
        return Linker.nativeLinker().downcallHandle(Linux.syscall.address(), d, CAPTURE,
                Linker.Option.firstVariadicArg(1));
    }

    /**
     * {@code int io_uring_setup(u32 entries, struct io_uring_params *p)} through
     * {@code syscall(SYS_io_uring_setup, ...)} (glibc has no wrapper), capturing {@code errno}.
     * Returns the ring's fd, or -1.
     */
    public static int io_uring_setup(MemorySegment errno, int entries, MemorySegment p) {
        try {
            return (int) (long) io_uring_setup.HANDLE.invokeExact(errno, (long) Linux.SYS_io_uring_setup(),
                    Integer.toUnsignedLong(entries), p);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    /**
     * {@code int io_uring_enter(unsigned fd, u32 to_submit, u32 min_complete, u32 flags,
     * const void *argp, size_t argsz)} through {@code syscall(SYS_io_uring_enter, ...)}, capturing
     * {@code errno}. {@code argp} is a {@code sigset_t *} (or, with {@code IORING_ENTER_EXT_ARG},
     * a {@code struct io_uring_getevents_arg *}); pass {@code MemorySegment.NULL} and 0 for none.
     * Returns the number of submissions consumed, or -1. It may block (min_complete with
     * {@code IORING_ENTER_GETEVENTS}), so it is never a critical call.
     */
    public static int io_uring_enter(MemorySegment errno, int fd, int to_submit, int min_complete, int flags,
                                     MemorySegment argp, long argsz) {
        try {
            return (int) (long) io_uring_enter.HANDLE.invokeExact(errno, (long) Linux.SYS_io_uring_enter(),
                    (long) fd, Integer.toUnsignedLong(to_submit), Integer.toUnsignedLong(min_complete),
                    Integer.toUnsignedLong(flags), argp, argsz);
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    /**
     * {@code int io_uring_register(unsigned fd, unsigned opcode, void *arg, unsigned nr_args)}
     * through {@code syscall(SYS_io_uring_register, ...)}, capturing {@code errno}.
     */
    public static int io_uring_register(MemorySegment errno, int fd, int opcode, MemorySegment arg, int nr_args) {
        try {
            return (int) (long) io_uring_register.HANDLE.invokeExact(errno, (long) Linux.SYS_io_uring_register(),
                    (long) fd, Integer.toUnsignedLong(opcode), arg, Integer.toUnsignedLong(nr_args));
        } catch (Error ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

}
