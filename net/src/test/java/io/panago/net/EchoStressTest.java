package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many concurrent connections echoing through goroutines, every byte checked: 1,000
 * connections of 1 MiB each on GOMAXPROCS 1 and 2, and 10,000 connections at once.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 240, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EchoStressTest {
    private static final int MAX_CHUNK = 16 * 1024;

    /** Echoes everything until end of stream, then closes (the server half of every test). */
    static void echo(TcpStream s, int bufSize) throws IOException {
        try (s) {
            byte[] buf = new byte[bufSize];
            int n;
            while ((n = s.read(buf)) > 0) {
                s.writeAll(buf, 0, n);
            }
        }
    }

    /** Accepts {@code n} connections, each echoed by a goroutine of its own. */
    static void serve(TcpListener ln, int n, Queue<Throwable> errors, Latch done) {
        NetTesting.go(errors, null, () -> {
            for (int i = 0; i < n; i++) {
                TcpStream s = ln.accept();
                NetTesting.go(errors, done, () -> echo(s, MAX_CHUNK));
            }
        });
    }

    /** GOMAXPROCS 2: net's pom fixes it for the test JVM (-Dpanago.maxprocs=2). */
    @Test
    void thousandConnectionsEachEchoAMebibyteInRandomChunksOnTwoProcs() throws Exception {
        assertEquals(2, Go.gomaxprocs());
        thousandConnections();
    }

    /**
     * GOMAXPROCS 1, in a child JVM started with -Dpanago.maxprocs=1 (changing GOMAXPROCS of a
     * running scheduler can strand a runnable goroutine today; see the net helper's report).
     */
    @Test
    void thousandConnectionsEachEchoAMebibyteInRandomChunksOnOneProc() throws Exception {
        Process p = startChild(List.of("-Dpanago.maxprocs=1"), EchoStressMain.class, "thousand");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(200, TimeUnit.SECONDS), "child did not finish");
        assertEquals("ok GOMAXPROCS 1", out);
        assertEquals(0, p.exitValue());
    }

    /** 1,000 connections, each echoing 1 MiB written and read in random-sized chunks. */
    static void thousandConnections() throws Exception {
        int conns = 1000, size = 1 << 20;
        Queue<Throwable> errors = NetTesting.errors();
        AtomicLong received = new AtomicLong();
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                Latch done = new Latch(3 * conns);
                serve(ln, conns, errors, done);
                for (int i = 0; i < conns; i++) {
                    long seed = i;
                    NetTesting.go(errors, done, () -> {
                        boolean writerStarted = false;
                        try (TcpStream s = TcpStream.connect(ln.localAddress())) {
                            TcpStream w = s.tryClone();
                            NetTesting.go(errors, done, () -> {
                                try (w) {
                                    SplittableRandom r = new SplittableRandom(seed);
                                    byte[] buf = new byte[MAX_CHUNK];
                                    for (int pos = 0; pos < size; ) {
                                        int n = r.nextInt(1, Math.min(MAX_CHUNK, size - pos) + 1);
                                        Payload.fill(seed, pos, buf, 0, n);
                                        w.writeAll(buf, 0, n);
                                        pos += n;
                                    }
                                    w.shutdownOutput();
                                }
                            });
                            writerStarted = true;
                            SplittableRandom r = new SplittableRandom(~seed);
                            byte[] buf = new byte[MAX_CHUNK], scratch = new byte[MAX_CHUNK];
                            long pos = 0;
                            int n;
                            while ((n = s.read(buf, 0, r.nextInt(1, MAX_CHUNK + 1))) > 0) {
                                long bad = Payload.mismatch(seed, pos, buf, 0, n, scratch);
                                if (bad >= 0) {
                                    throw new AssertionError("connection " + seed + ": byte " + bad + " differs");
                                }
                                pos += n;
                            }
                            assertEquals(size, pos, "bytes echoed on connection " + seed);
                            received.addAndGet(pos);
                        } finally {
                            if (!writerStarted) {
                                done.countDown();
                            }
                        }
                    });
                }
                NetTesting.awaitOrFail(done, Duration.ofSeconds(200), errors);
            }
            return null;
        });
        NetTesting.rethrow(errors);
        assertEquals((long) conns * size, received.get());
    }

    /**
     * 10,000 connections open at once, each exchanging 16 KiB in random chunks after all are
     * connected. Both ends in one JVM would need 20,000 descriptors, and this machine's hard
     * RLIMIT_NOFILE is 20,000 with no CAP_SYS_RESOURCE to raise it, so the echo server (panago
     * too) runs in a child JVM: each process holds 10,000 sockets.
     */
    @Test
    void tenThousandConnectionsAtOnce() throws Exception {
        int conns = 10_000, size = 16 * 1024, chunk = 2048;
        Process server = startChild(List.of(), EchoServerMain.class);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertTrue(first != null && first.startsWith("port "), "child said: " + first);
            InetSocketAddress addr = new InetSocketAddress("127.0.0.1", Integer.parseInt(first.substring(5)));
            Queue<Throwable> errors = NetTesting.errors();
            AtomicLong received = new AtomicLong();
            Go.run(() -> {
                Latch connected = new Latch(conns);
                Latch done = new Latch(conns);
                for (int i = 0; i < conns; i++) {
                    long seed = 1_000_000L + i;
                    NetTesting.go(errors, done, () -> {
                        TcpStream s;
                        try {
                            s = TcpStream.connect(addr);
                        } finally {
                            connected.countDown();
                        }
                        try (s) {
                            connected.await();
                            SplittableRandom r = new SplittableRandom(seed);
                            byte[] buf = new byte[chunk], got = new byte[chunk], scratch = new byte[chunk];
                            for (int pos = 0; pos < size; ) {
                                int n = r.nextInt(1, Math.min(chunk, size - pos) + 1);
                                Payload.fill(seed, pos, buf, 0, n);
                                s.writeAll(buf, 0, n);
                                s.readFully(got, 0, n);
                                long bad = Payload.mismatch(seed, pos, got, 0, n, scratch);
                                if (bad >= 0) {
                                    throw new AssertionError("connection " + seed + ": byte " + bad + " differs");
                                }
                                pos += n;
                            }
                            received.addAndGet(size);
                        }
                    });
                }
                NetTesting.awaitOrFail(done, Duration.ofSeconds(120), errors);
                return null;
            });
            NetTesting.rethrow(errors);
            assertEquals((long) conns * size, received.get());
            server.getOutputStream().close();
            String last = out.readLine();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "child server did not exit");
            assertEquals("served " + conns + " errors 0", last);
            assertEquals(0, server.exitValue());
        } finally {
            server.destroyForcibly();
            server.waitFor();
        }
    }

    /**
     * Starts {@code main} in a JVM of its own, on the class path made of this JVM's module
     * and class path, with the flags a class-path user passes; stderr goes to ours.
     */
    static Process startChild(List<String> jvmArgs, Class<?> main, String... args) throws IOException {
        return startChild(jvmArgs, List.of(), main, args);
    }

    /** {@link #startChild(List, Class, String...)} with {@code extraCp} at the class path's end. */
    static Process startChild(List<String> jvmArgs, List<String> extraCp, Class<?> main, String... args)
            throws IOException {
        List<String> cp = new ArrayList<>();
        for (String prop : new String[] {"jdk.module.path", "java.class.path"}) {
            String v = System.getProperty(prop);
            if (v != null && !v.isEmpty()) {
                cp.add(v);
            }
        }
        cp.add(new File(main.getProtectionDomain().getCodeSource().getLocation().getPath()).getPath());
        cp.addAll(extraCp);
        String java = ProcessHandle.current().info().command().orElse(
                System.getProperty("java.home") + "/bin/java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:+UseSerialGC",
                "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmArgs);
        String netpoll = System.getProperty("panago.netpoll");
        if (netpoll != null) {
            cmd.add("-Dpanago.netpoll=" + netpoll); // the child runs on this JVM's backend
        }
        cmd.addAll(List.of("-cp", String.join(File.pathSeparator, cp)));
        cmd.addAll(FakeKernelSession.childMain(main)); // on a fake kernel, so is the child
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
