package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Queue;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared test plumbing: the per-class leak check (no socket or eventfd left open, no goroutine
 * left behind) and helpers to spawn goroutines that report their failures.
 */
final class NetTesting implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NetTesting.class);

    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    /** A test body on the two ends of one loopback connection. */
    @FunctionalInterface
    interface Pair {
        void run(TcpStream a, TcpStream b) throws Exception;
    }

    /** Runs {@code body} in {@code Go.run} on a fresh connection: {@code a} dialled, {@code b} accepted. */
    static void withPair(Pair body) throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                body.run(a, b);
            }
            return null;
        });
    }

    /**
     * The name an error message gives errno {@code name} on this run's socket layer: itself, or
     * on Windows' its Winsock twin ("ECONNRESET" becomes "WSAECONNRESET").
     */
    static String errno(String name) {
        return FakeKernelSession.windowsSockets() ? "WSA" + name : name;
    }

    /** Whether this run's socket layer is macOS's (where some values read back differently). */
    static boolean macosSockets() {
        return FakeKernelSession.macosSockets();
    }

    /** Sockets and eventfds this process has open, as "fd -> target" lines. */
    static TreeSet<String> openSockets() {
        TreeSet<String> out = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : ds) {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    if (target.startsWith("socket:") || target.contains("eventfd")) {
                        out.add(p.getFileName() + " -> " + target);
                    }
                } catch (IOException gone) {
                    // closed while listing (the directory stream's own fd, a racing close)
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    /** CPU time (user + system) in a proc(5) stat line: fields 14 and 15, USER_HZ is 100. */
    private static long cpuNanos(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    }

    /** A /proc file's text (read in one go: some /proc files misbehave under a 1-byte probe). */
    static String readProc(Path p) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(p)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static long cpuNanos(Path statFile) throws IOException {
        return cpuNanos(readProc(statFile));
    }

    /**
     * This process's CPU time, read through a descriptor opened once: it keeps working while
     * a test has every other descriptor in use.
     */
    static final class ProcessCpu implements AutoCloseable {
        private final FileChannel stat = FileChannel.open(Path.of("/proc/self/stat"));
        private final ByteBuffer buf = ByteBuffer.allocate(4096);

        ProcessCpu() throws IOException {}

        long nanos() throws IOException {
            buf.clear();
            stat.read(buf, 0);
            return cpuNanos(new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII));
        }

        @Override
        public void close() throws IOException {
            stat.close();
        }
    }

    /** CPU time of the thread whose native name is {@code name} (at most 15 characters). */
    static long threadCpuNanos(String name) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : ds) {
                if (readProc(task.resolve("comm")).strip().equals(name)) {
                    return cpuNanos(task.resolve("stat"));
                }
            }
        }
        throw new AssertionError("no thread named " + name);
    }

    @Override
    public void beforeAll(ExtensionContext ctx) throws Exception {
        // Start the runtime (its epoll and eventfd are not a leak of the test class).
        Go.run(() -> {
            TcpListener.bind("127.0.0.1:0").close();
            return null;
        });
        // The JDK's sockets keep one socket of a socketpair open for good from their first
        // use (the dispatcher's pre-close descriptor): make it before the baseline too.
        java.nio.channels.SocketChannel.open().close();
        ExtensionContext.Store s = ctx.getStore(NS);
        s.put("fds", openSockets());
        s.put("gs", Go.numGoroutine());
    }

    @Override
    public void afterAll(ExtensionContext ctx) throws Exception {
        ExtensionContext.Store s = ctx.getStore(NS);
        if (s.get("gs") == null) {
            return; // beforeAll failed and said so
        }
        int gs = s.get("gs", Integer.class);
        // A goroutine that has just signalled its latch may still be on its way out (and the
        // baseline may count one that was).
        long until = System.nanoTime() + 10_000_000_000L;
        while (Go.numGoroutine() > gs && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        int left = Go.numGoroutine();
        assertTrue(left <= gs, left + " goroutines left behind, " + gs + " before:\n" + Go.dump());
        @SuppressWarnings("unchecked")
        TreeSet<String> before = s.get("fds", TreeSet.class);
        TreeSet<String> after = openSockets();
        after.removeAll(before);
        if (!after.isEmpty()) {
            fail("sockets/eventfds leaked: " + after);
        }
    }

    /** Runs {@code body} once at each GOMAXPROCS in {@code procs}, restoring the setting after. */
    static void atEachProcs(Body body, int... procs) throws Exception {
        for (int p : procs) {
            int before = Go.gomaxprocs(p);
            try {
                body.run();
            } finally {
                Go.gomaxprocs(before);
            }
        }
    }

    /** Spawns a goroutine running {@code body}; a failure lands in {@code errors}; counts down {@code done}. */
    static void go(Queue<Throwable> errors, Latch done, Body body) {
        Go.go(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                errors.add(t);
            } finally {
                if (done != null) {
                    done.countDown();
                }
            }
        });
    }

    /**
     * Waits for {@code done}; if {@code limit} passes first, fails with the count still
     * outstanding and the failures collected so far (a failed goroutine may strand others).
     */
    static void awaitOrFail(Latch done, java.time.Duration limit, Queue<Throwable> errors) {
        if (!done.await(limit)) {
            AssertionError e = new AssertionError(done.count() + " goroutines still running after " + limit);
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }

    /** Throws the first collected failure, the others suppressed. */
    static void rethrow(Queue<Throwable> errors) {
        Throwable first = errors.poll();
        if (first == null) {
            return;
        }
        AssertionError e = new AssertionError("failure in a goroutine: " + first, first);
        for (Throwable t : errors) {
            e.addSuppressed(t);
        }
        throw e;
    }

    static Queue<Throwable> errors() {
        return new ConcurrentLinkedQueue<>();
    }
}
