package io.panago.runtime;

import io.panago.bindings.linux.Errno;
import io.panago.bindings.linux.Linux;
import io.panago.bindings.linux.LinuxErrno;
import io.panago.bindings.linux.pollfd;
import io.panago.bindings.linux.sockaddr_in;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real Linux descriptors for the backend tests, made with the Linux bindings: eventfds and
 * loopback TCP connections, all non-blocking, plus Go's read/write loops over a
 * {@link PollDesc} (try the syscall, park on EAGAIN). Results: bytes, or {@code -errno}, or
 * {@link #CLOSING}/{@link #TIMEOUT} when the wait ended that way.
 */
final class BackendFds {
    static final long CLOSING = Long.MIN_VALUE + PollDesc.ERR_CLOSING;
    static final long TIMEOUT = Long.MIN_VALUE + PollDesc.ERR_TIMEOUT;
    static final int EAGAIN = Linux.EAGAIN();

    private BackendFds() {
    }

    /**
     * Memory for one call. Not a ThreadLocal: goroutines call these helpers, and a carrier's
     * ThreadLocal read hoisted out of a loop that parks would be another carrier's after a
     * migration.
     */
    private static final class Scratch implements AutoCloseable {
        final Arena arena = Arena.ofConfined();
        final MemorySegment errno = LinuxErrno.captureSegment(arena);
        final MemorySegment buf;
        final MemorySegment addr = sockaddr_in.allocate(arena);
        final MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
        final MemorySegment pfd = pollfd.allocate(arena);

        Scratch(long bytes) {
            buf = arena.allocate(Math.max(8, bytes), 8);
        }

        Scratch() {
            this(8);
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    /**
     * This process's open descriptors as "number->target". A count is not enough: a child JVM
     * of an earlier test can have its pipes closed by the JDK's process reaper at any moment.
     * The listing's own directory descriptor (a /proc target) is left out.
     */
    static Set<String> openFds() {
        Set<String> out = new TreeSet<>();
        try (DirectoryStream<java.nio.file.Path> dir =
                     Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : dir) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException closedMeanwhile) {
                    continue;
                }
                if (!target.startsWith("/proc/")) {
                    out.add(fd.getFileName() + "->" + target);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /** Fails if a descriptor open now was not open in {@code before}. */
    static void assertNoNewFds(Set<String> before, String what) {
        Set<String> added = openFds();
        added.removeAll(before);
        assertTrue(added.isEmpty(), () -> what + ": " + added);
    }

    static String errnoName(long negErrno) {
        return Errno.name((int) -negErrno);
    }

    /** A non-blocking eventfd: readable while its counter is non-zero, writable at once. */
    static int eventfd() {
        try (Scratch s = new Scratch()) {
            int fd = LinuxErrno.eventfd(s.errno, 0, Linux.EFD_NONBLOCK() | Linux.EFD_CLOEXEC());
            assertTrue(fd >= 0, () -> "eventfd: " + Errno.name(LinuxErrno.errno(s.errno)));
            return fd;
        }
    }

    /** Adds 1 to an eventfd's counter. */
    static void signal(int efd) {
        try (Scratch s = new Scratch()) {
            s.buf.set(ValueLayout.JAVA_LONG, 0, 1L);
            assertEquals(8, LinuxErrno.write(s.errno, efd, s.buf, 8));
        }
    }

    static void close(int fd) {
        try (Scratch s = new Scratch()) {
            assertEquals(0, LinuxErrno.close(s.errno, fd),
                    () -> "close(" + fd + "): " + Errno.name(LinuxErrno.errno(s.errno)));
        }
    }

    /** A blocking eventfd (for io_uring's READ and WRITE, which hand EAGAIN back on O_NONBLOCK). */
    static int blockingEventfd() {
        try (Scratch s = new Scratch()) {
            int fd = LinuxErrno.eventfd(s.errno, 0, Linux.EFD_CLOEXEC());
            assertTrue(fd >= 0, () -> "eventfd: " + Errno.name(LinuxErrno.errno(s.errno)));
            return fd;
        }
    }

    /** A non-blocking, unconnected TCP socket. */
    static int socket() {
        try (Scratch s = new Scratch()) {
            int fd = LinuxErrno.socket(s.errno, Linux.AF_INET(),
                    Linux.SOCK_STREAM() | Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC(), 0);
            assertTrue(fd >= 0, () -> "socket: " + Errno.name(LinuxErrno.errno(s.errno)));
            return fd;
        }
    }

    /** {@code struct sockaddr_in} for 127.0.0.1:port, from {@code arena}. */
    static MemorySegment loopbackAddress(int port, Arena arena) {
        MemorySegment a = sockaddr_in.allocate(arena);
        sockaddr_in.sin_family(a, (short) Linux.AF_INET());
        sockaddr_in.sin_port(a, Short.reverseBytes((short) port));
        a.set(ValueLayout.JAVA_INT, sockaddr_in.sin_addr$offset(), Integer.reverseBytes(0x7f000001));
        return a;
    }

    /** The port of a {@code struct sockaddr_in}. */
    static int portOf(MemorySegment sockaddrIn) {
        return Short.toUnsignedInt(Short.reverseBytes(sockaddr_in.sin_port(sockaddrIn)));
    }

    /** A non-blocking listener on 127.0.0.1, ephemeral port. */
    static int listener() {
        try (Scratch s = new Scratch()) {
            int fd = LinuxErrno.socket(s.errno, Linux.AF_INET(),
                    Linux.SOCK_STREAM() | Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC(), 0);
            assertTrue(fd >= 0, () -> "socket: " + Errno.name(LinuxErrno.errno(s.errno)));
            loopback(s, 0);
            assertEquals(0, LinuxErrno.bind(s.errno, fd, s.addr, (int) sockaddr_in.sizeof()));
            assertEquals(0, LinuxErrno.listen(s.errno, fd, 1024));
            return fd;
        }
    }

    static int port(int listener) {
        try (Scratch s = new Scratch()) {
            s.len.set(ValueLayout.JAVA_INT, 0, (int) sockaddr_in.sizeof());
            assertEquals(0, LinuxErrno.getsockname(s.errno, listener, s.addr, s.len));
            return Short.toUnsignedInt(Short.reverseBytes(sockaddr_in.sin_port(s.addr)));
        }
    }

    private static void loopback(Scratch s, int port) {
        s.addr.fill((byte) 0);
        sockaddr_in.sin_family(s.addr, (short) Linux.AF_INET());
        sockaddr_in.sin_port(s.addr, Short.reverseBytes((short) port));
        s.addr.set(ValueLayout.JAVA_INT, sockaddr_in.sin_addr$offset(), Integer.reverseBytes(0x7f000001));
    }

    /** A non-blocking socket whose connect to 127.0.0.1:port was started (0 or EINPROGRESS). */
    static int startConnect(int port) {
        try (Scratch s = new Scratch()) {
            int fd = LinuxErrno.socket(s.errno, Linux.AF_INET(),
                    Linux.SOCK_STREAM() | Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC(), 0);
            assertTrue(fd >= 0);
            loopback(s, port);
            int r = LinuxErrno.connect(s.errno, fd, s.addr, (int) sockaddr_in.sizeof());
            if (r != 0 && LinuxErrno.errno(s.errno) != Linux.EINPROGRESS()) {
                fail("connect: " + Errno.name(LinuxErrno.errno(s.errno)));
            }
            return fd;
        }
    }

    /** {@code SO_ERROR} of a socket: 0 once a connect succeeded. */
    static int soError(int fd) {
        try (Scratch s = new Scratch()) {
            s.len.set(ValueLayout.JAVA_INT, 0, 4);
            assertEquals(0, LinuxErrno.getsockopt(s.errno, fd, Linux.SOL_SOCKET(), Linux.SO_ERROR(), s.buf, s.len));
            return s.buf.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** accept4 on a non-blocking listener: the new non-blocking fd, or -errno (-EAGAIN if none). */
    static int tryAccept(int listener) {
        try (Scratch s = new Scratch()) {
            int fd = LinuxErrno.accept4(s.errno, listener, MemorySegment.NULL, MemorySegment.NULL,
                    Linux.SOCK_NONBLOCK() | Linux.SOCK_CLOEXEC());
            return fd >= 0 ? fd : -LinuxErrno.errno(s.errno);
        }
    }

    /** A connected loopback pair {client, server}, both non-blocking; set-up only (blocks in poll(2)). */
    static int[] tcpPair(int listener) {
        int c = startConnect(port(listener));
        int a;
        while ((a = tryAccept(listener)) == -EAGAIN) {
            pollFor(listener, Linux.POLLIN());
        }
        int accepted = a;
        assertTrue(accepted >= 0, () -> "accept4: " + errnoName(accepted));
        pollFor(c, Linux.POLLOUT());
        assertEquals(0, soError(c));
        return new int[] {c, a};
    }

    private static void pollFor(int fd, int events) {
        try (Scratch s = new Scratch()) {
            pollfd.fd(s.pfd, fd);
            pollfd.events(s.pfd, (short) events);
            assertTrue(LinuxErrno.poll(s.errno, s.pfd, 1, 10_000) > 0, "set-up poll timed out");
        }
    }

    /** Shrinks both socket buffers, so that a writer fills them quickly. */
    static void setBuffers(int fd, int bytes) {
        try (Scratch s = new Scratch()) {
            s.buf.set(ValueLayout.JAVA_INT, 0, bytes);
            assertEquals(0, LinuxErrno.setsockopt(s.errno, fd, Linux.SOL_SOCKET(), Linux.SO_SNDBUF(), s.buf, 4));
            assertEquals(0, LinuxErrno.setsockopt(s.errno, fd, Linux.SOL_SOCKET(), Linux.SO_RCVBUF(), s.buf, 4));
        }
    }

    static void shutdownWrite(int fd) {
        try (Scratch s = new Scratch()) {
            assertEquals(0, LinuxErrno.shutdown(s.errno, fd, Linux.SHUT_WR()));
        }
    }

    /** One non-blocking read into {@code b[off..off+len)}: bytes, 0 at EOF, or -errno. */
    static long tryRead(int fd, byte[] b, int off, int len) {
        try (Scratch s = new Scratch(len)) {
            long n = LinuxErrno.read(s.errno, fd, s.buf, len);
            if (n < 0) {
                return -LinuxErrno.errno(s.errno);
            }
            MemorySegment.copy(s.buf, ValueLayout.JAVA_BYTE, 0, b, off, (int) n);
            return n;
        }
    }

    /** One non-blocking write of {@code b[off..off+len)}: bytes or -errno. */
    static long tryWrite(int fd, byte[] b, int off, int len) {
        try (Scratch s = new Scratch(len)) {
            MemorySegment.copy(b, off, s.buf, ValueLayout.JAVA_BYTE, 0, len);
            long r = LinuxErrno.send(s.errno, fd, s.buf, len, Linux.MSG_NOSIGNAL());
            return r < 0 ? -LinuxErrno.errno(s.errno) : r;
        }
    }

    /** Consumes an eventfd's counter: its value, or -errno. */
    static long tryConsume(int efd) {
        try (Scratch s = new Scratch()) {
            long n = LinuxErrno.read(s.errno, efd, s.buf, 8);
            return n == 8 ? s.buf.get(ValueLayout.JAVA_LONG, 0) : -LinuxErrno.errno(s.errno);
        }
    }

    /** Go's read loop: prepare, try, park on EAGAIN. */
    static long read(PollDesc pd, int fd, byte[] b, int off, int len) {
        for (;;) {
            int err = pd.prepare(PollDesc.MODE_READ);
            if (err != PollDesc.OK) {
                return Long.MIN_VALUE + err;
            }
            long n = tryRead(fd, b, off, len);
            if (n != -EAGAIN) {
                return n;
            }
            err = pd.waitRead();
            if (err != PollDesc.OK) {
                return Long.MIN_VALUE + err;
            }
        }
    }

    /** Go's write loop for one chunk: prepare, try, park on EAGAIN. */
    static long write(PollDesc pd, int fd, byte[] b, int off, int len) {
        for (;;) {
            int err = pd.prepare(PollDesc.MODE_WRITE);
            if (err != PollDesc.OK) {
                return Long.MIN_VALUE + err;
            }
            long n = tryWrite(fd, b, off, len);
            if (n != -EAGAIN) {
                return n;
            }
            err = pd.waitWrite();
            if (err != PollDesc.OK) {
                return Long.MIN_VALUE + err;
            }
        }
    }

    /** Go's consume loop on an eventfd. */
    static long consume(PollDesc pd, int efd) {
        for (;;) {
            int err = pd.prepare(PollDesc.MODE_READ);
            if (err != PollDesc.OK) {
                return Long.MIN_VALUE + err;
            }
            long n = tryConsume(efd);
            if (n != -EAGAIN) {
                return n;
            }
            err = pd.waitRead();
            if (err != PollDesc.OK) {
                return Long.MIN_VALUE + err;
            }
        }
    }

    /** Writes all of {@code b}, parking as needed; fails the test on an error. */
    static void writeAll(PollDesc pd, int fd, byte[] b) {
        int off = 0;
        while (off < b.length) {
            long n = write(pd, fd, b, off, b.length - off);
            assertTrue(n > 0, () -> "write: " + describe(n));
            off += (int) n;
        }
    }

    /** Reads exactly {@code b.length} bytes, parking as needed; fails the test on error or EOF. */
    static void readFully(PollDesc pd, int fd, byte[] b) {
        int off = 0;
        while (off < b.length) {
            long n = read(pd, fd, b, off, b.length - off);
            assertTrue(n > 0, () -> "read: " + describe(n));
            off += (int) n;
        }
    }

    static String describe(long r) {
        if (r == CLOSING) {
            return "ERR_CLOSING";
        }
        if (r == TIMEOUT) {
            return "ERR_TIMEOUT";
        }
        return r < 0 ? errnoName(r) : r + " bytes";
    }
}
