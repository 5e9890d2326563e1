package io.panago.net;

import io.panago.Go;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An echo server and its clients live through a full heap: 50 connections echo while the main
 * goroutine fills the heap, holds it full for 200 ms and frees it, five times. A connection the
 * error reached may fail (its goroutine catches it and reconnects, as a server's per-connection
 * handler would), but no byte may come back wrong, and after each round the echo must go on and
 * a new connection must work. Before, the first read or send that met the full heap could fail
 * its binding's class initialiser, and every later read or send in the JVM then threw
 * NoClassDefFoundError. On io_uring it also found receives that an error (the full heap) ended
 * while the kernel still owned their operation: the buffer went back to the pool under the
 * kernel's write and the late completion was taken by the op's next call, so a connection echoed
 * bytes it was never sent (see NetpollOp's outlast). Runs in a JVM of its own with a 96 MiB heap, on the real kernel (epoll,
 * or io_uring on that execution): the Java stand-ins of the kqueue and IOCP executions would
 * share the full heap, and what a full heap does to them says nothing about panago.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OutOfMemoryEchoTest {
    /** Child main: prints "ok deaths=N" or what failed. */
    public static final class Main {
        /** Heap the watchdog frees for its dump (see main). */
        static volatile long[] RESERVE;

        public static void main(String[] args) throws Exception {
            AtomicLong echoed = new AtomicLong();
            AtomicLong wrong = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger deaths = new AtomicInteger();
            Thread.setDefaultUncaughtExceptionHandler((t, e) -> deaths.incrementAndGet());
            // A run that hangs shows why: every goroutine and thread, before the test's bound. A
            // hang may be a heap held full, so the watchdog keeps a reserve to free for its dump,
            // and halts the JVM whatever the dump meets.
            RESERVE = new long[1 << 20];
            byte[] hung = "watchdog: no result after 80 s\n".getBytes(StandardCharsets.US_ASCII);
            byte[] heapFull = "watchdog: no dump, the heap is full\n".getBytes(StandardCharsets.US_ASCII);
            Thread watchdog = new Thread(() -> {
                try {
                    Thread.sleep(80_000);
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    System.out.write(hung, 0, hung.length);
                    System.out.flush();
                    RESERVE = null;
                    System.gc();
                    StringBuilder b = new StringBuilder(Go.dump());
                    Thread.getAllStackTraces().forEach((t, st) -> {
                        b.append(t).append('\n');
                        for (StackTraceElement f : st) {
                            b.append("\tat ").append(f).append('\n');
                        }
                    });
                    System.out.println(b);
                    System.out.flush();
                } catch (Throwable t) {
                    System.out.write(heapFull, 0, heapFull.length); // nothing to allocate
                    System.out.flush();
                } finally {
                    Runtime.getRuntime().halt(2);
                }
            }, "watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            Go.setPanicHandler((id, t) -> { }); // a goroutine the error reached outside its catch
            String r;
            try {
                r = Go.run(() -> {
                    TcpListener ln = TcpListener.bind("127.0.0.1:0");
                    String addr = "127.0.0.1:" + ((InetSocketAddress) ln.localAddress()).getPort();
                    Go.go(() -> {
                        while (!stop.get()) {
                            try {
                                TcpStream s = ln.accept();
                                Go.go(() -> echo(s));
                            } catch (IOException | OutOfMemoryError e) {
                                // the listener closed, or no heap for this one
                            }
                        }
                    });
                    for (int c = 0; c < 50; c++) {
                        int id = c;
                        Go.go(() -> client(addr, id, stop, echoed, wrong));
                    }
                    for (int round = 0; round < 5; round++) {
                        List<long[]> hog = new ArrayList<>();
                        try {
                            for (;;) {
                                hog.add(new long[1024]);
                            }
                        } catch (OutOfMemoryError full) {
                            // the heap is full: hold it so for a while
                        }
                        long until = System.nanoTime() + 200_000_000L;
                        while (System.nanoTime() < until) {
                            try {
                                Go.yield();
                            } catch (OutOfMemoryError e) {
                                // a yield that found no heap
                            }
                        }
                        hog = null;
                        // Collected now: the main goroutine's own next allocation (a timer, a
                        // socket) must not be the one that meets the full heap.
                        System.gc();
                        long before = echoed.get();
                        long deadline = System.nanoTime() + 30_000_000_000L;
                        while (echoed.get() - before < 2000) {
                            if (System.nanoTime() > deadline) {
                                return "no echo after round " + round + "\n" + Go.dump();
                            }
                            Go.sleep(Duration.ofMillis(5));
                        }
                        try (TcpStream s = TcpStream.connect(addr, Duration.ofSeconds(10))) {
                            s.setDeadline(Instant.now().plusSeconds(10));
                            byte[] b = new byte[64];
                            b[7] = 42;
                            s.writeAll(b, 0, 64);
                            s.readFully(b, 0, 64);
                            if (b[7] != 42) {
                                return "a new connection echoed wrong after round " + round;
                            }
                        }
                    }
                    stop.set(true);
                    ln.close();
                    return wrong.get() == 0 ? "ok" : wrong.get() + " wrong echoes";
                });
            } catch (Throwable t) { // the main goroutine's own error: say which, and where
                java.io.StringWriter w = new java.io.StringWriter();
                t.printStackTrace(new java.io.PrintWriter(w));
                r = "Go.run threw " + w;
            }
            System.out.println(r + " deaths=" + deaths.get());
            System.exit(0);
        }

        private static void echo(TcpStream s) {
            byte[] buf = new byte[64];
            try (s) {
                for (;;) {
                    s.readFully(buf, 0, 64);
                    s.writeAll(buf, 0, 64);
                }
            } catch (IOException | OutOfMemoryError e) {
                // the client went, or no heap: this connection ends
            }
        }

        private static void client(String addr, int id, AtomicBoolean stop, AtomicLong echoed, AtomicLong wrong) {
            byte[] out = new byte[64];
            byte[] in = new byte[64];
            long seq = 0;
            while (!stop.get()) {
                try (TcpStream s = TcpStream.connect(addr)) {
                    while (!stop.get()) {
                        for (int i = 0; i < 64; i++) {
                            out[i] = (byte) (id * 31 + seq + i);
                        }
                        s.writeAll(out, 0, 64);
                        s.readFully(in, 0, 64);
                        if (!java.util.Arrays.equals(in, out)) {
                            wrong.incrementAndGet();
                        }
                        seq++;
                        echoed.incrementAndGet();
                    }
                } catch (IOException | OutOfMemoryError e) {
                    // reconnect: a connection the error reached is given up, as a client would
                }
            }
        }
    }

    @Test
    void echoGoesOnAfterAFullHeapAndNoByteComesBackWrong() throws Exception {
        List<String> cp = new ArrayList<>();
        for (String prop : new String[] {"jdk.module.path", "java.class.path"}) {
            String v = System.getProperty(prop);
            if (v != null && !v.isEmpty()) {
                cp.add(v);
            }
        }
        cp.add(new File(Main.class.getProtectionDomain().getCodeSource().getLocation().getPath()).getPath());
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx96m",
                "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"));
        if ("io_uring".equals(System.getProperty("panago.netpoll"))) {
            cmd.add("-Dpanago.netpoll=io_uring");
        }
        cmd.addAll(List.of("-cp", String.join(File.pathSeparator, cp), Main.class.getName()));
        Path log = Files.createTempFile("panago-oom-echo", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(100, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail("the child hung:\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            // A line of its own: an M may still print an error it lived through after it.
            assertTrue(out.lines().anyMatch("ok deaths=0"::equals), out);
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
