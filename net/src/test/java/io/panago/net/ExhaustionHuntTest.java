package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.SocketException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The socket layer while the process is out of file descriptors (EMFILE), in a fresh JVM (its
 * classes load from the build's directories, so a class loaded lazily on a failure path
 * cannot be loaded there, and this JVM's class loading is left alone): every call that needs a
 * descriptor fails at once with an IOException naming the cause, nothing hangs, closing still
 * works, and once descriptors are free again everything works with none leaked.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ExhaustionHuntTest {

    /**
     * Child main: warms the socket layer up, fills the descriptor table and runs each case,
     * printing one line per passed step and "ok" at the end; a failed step prints "FAIL".
     */
    public static final class Main {
        /** Everything written to System.err, which the default log handler writes to. */
        private static final java.io.ByteArrayOutputStream ERR = new java.io.ByteArrayOutputStream();

        public static void main(String[] args) throws Exception {
            java.io.PrintStream err = System.err;
            System.setErr(new java.io.PrintStream(new java.io.OutputStream() {
                @Override
                public void write(int b) {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public synchronized void write(byte[] b, int off, int len) {
                    ERR.write(b, off, len);
                    err.write(b, off, len);
                }
            }, true));
            String r;
            try {
                r = Go.run(() -> {
                warmUp();
                int baseline = openFds();
                try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                     TcpStream client = TcpStream.connect(ln.localAddress());
                     TcpStream server = ln.accept();
                     TcpListener ln2 = TcpListener.bind("127.0.0.1:0");
                     TcpStream client2 = TcpStream.connect(ln2.localAddress());
                     TcpStream server2 = ln2.accept();
                     NetTesting.ProcessCpu cpu = new NetTesting.ProcessCpu()) {
                    TcpListener acceptors = TcpListener.bind("127.0.0.1:0");
                    TcpStream queued = TcpStream.connect(acceptors.localAddress());
                    List<Backoff> backoffs = new ArrayList<>();
                    for (String mode : new String[] {"goroutine", "thread", "virtual"}) {
                        backoffs.add(new Backoff(mode));
                    }
                    List<FileChannel> filler = fill();
                    try {
                        expectEmfile("bind", () -> TcpListener.bind("127.0.0.1:0"));
                        expectEmfile("connect", () -> TcpStream.connect(ln.localAddress()));
                        expectEmfile("tryClone", client::tryClone);
                        threadReadWhileFull(client, server);
                        closeWakesAThreadReaderWhileFull(server2);
                        filler.addAll(fill()); // the descriptor that close freed
                        closeWakesAcceptorsInBackoff(acceptors);
                        for (Backoff b : backoffs) {
                            filler.addAll(fill()); // what the last close freed
                            b.run(cpu);
                        }
                        queued.close();
                        // Goroutines keep talking over what they have.
                        for (int i = 0; i < 50; i++) {
                            client.writeAll(new byte[] {(byte) i});
                            if (server.inputStream().read() != (i & 0xff)) {
                                throw new AssertionError("echo while full");
                            }
                        }
                        Go.sleep(Duration.ofMillis(2));
                        System.out.println("io while full");
                    } finally {
                        for (FileChannel f : filler) {
                            f.close();
                        }
                    }
                    try (TcpListener l2 = TcpListener.bind("127.0.0.1:0");
                         TcpStream c2 = TcpStream.connect(l2.localAddress());
                         TcpStream s2 = l2.accept();
                         TcpStream clone = c2.tryClone()) {
                        clone.writeAll(new byte[] {42});
                        if (s2.inputStream().read() != 42) {
                            throw new AssertionError("after freeing");
                        }
                    }
                    System.out.println("works again");
                    for (Backoff b : backoffs) {
                        b.close();
                    }
                }
                // The first log line came at EMFILE: the time zone its formatter needed must have
                // been there (FD.LogZone), or the JDK refuses the default zone from then on.
                java.time.ZonedDateTime.now(java.time.ZoneId.systemDefault());
                System.out.println("zone ok");
                int after = openFds();
                if (after > baseline) {
                    List<String> open = new ArrayList<>();
                    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
                        for (Path fd : (Iterable<Path>) fds::iterator) {
                            try {
                                open.add(fd.getFileName() + "->" + Files.readSymbolicLink(fd));
                            } catch (IOException gone) {
                                // the listing's own descriptor
                            }
                        }
                    }
                    throw new AssertionError(after - baseline + " descriptors leaked: " + open
                            + "\n" + Files.readString(Path.of("/proc/self/net/tcp")));
                }
                System.out.println("no leak");
                return "ok";
            });
            } catch (Throwable t) {
                r = "FAIL " + t; // stdout: the test shows it
            }
            System.out.println(r);
        }

        /** Loads what the cases use (the test's own classes too) while descriptors are free. */
        private static void warmUp() throws Exception {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream c = TcpStream.connect(ln.localAddress());
                 TcpStream s = ln.accept();
                 TcpStream d = c.tryClone()) {
                d.writeAll(new byte[] {1});
                s.inputStream().read();
                s.setSoTimeout(Duration.ofMillis(1));
                try {
                    s.read(new byte[1]);
                } catch (java.net.SocketTimeoutException expected) {
                    // loads the timeout path
                }
                s.setSoTimeout(Duration.ZERO);
            }
            Go.sleep(Duration.ofMillis(1));
            Thread t = new Thread(() -> { });
            t.start();
            t.join();
            new AtomicReference<>().set(new AtomicInteger());
            new Latch(1).countDown();
            // No log line here: the first comes at EMFILE, as in a program that never logged.
            Thread.ofVirtual().start(() -> { }).join();
            for (String mode : new String[] {"goroutine", "thread", "virtual"}) {
                new InCaller(mode, () -> null).await();
            }
            Backoff.warnings();
            // The JDK's first NIO socket keeps a descriptor of its own for good (its close trick).
            java.nio.channels.SocketChannel.open().close();
            try (NetTesting.ProcessCpu cpu = new NetTesting.ProcessCpu()) {
                cpu.nanos();
            }
            try {
                throw new AssertionError("warm");
            } catch (AssertionError expected) {
                // loads it
            }
        }

        /** {@code call} must fail with an IOException naming the exhaustion. */
        private static void expectEmfile(String name, Callable<AutoCloseable> call) {
            try {
                AutoCloseable c = call.call();
                System.out.println("FAIL " + name + " succeeded: " + c);
            } catch (Exception e) {
                String m = String.valueOf(e.getMessage());
                System.out.println(e instanceof IOException
                        && (m.contains("Too many open files") || m.contains("EMFILE"))
                        ? name + " fails with EMFILE" : "FAIL " + name + ": " + e);
            }
        }

        /**
         * A platform thread's read that must wait would make its wake-up descriptor (an
         * eventfd, a pipe on macOS), which cannot be made now: it polls in slices instead and
         * gets the data, as a JDK socket's read would.
         */
        private static void threadReadWhileFull(TcpStream client, TcpStream server) throws Exception {
            InCaller read = new InCaller("thread", () -> server.inputStream().read());
            Go.sleep(Duration.ofMillis(50));
            client.writeAll(new byte[] {7});
            Object g = read.await();
            if (g instanceof Integer i && i == 7) {
                System.out.println("thread read ok");
            } else {
                System.out.println("FAIL thread read: " + g);
            }
        }

        /**
         * A platform thread parked in a read with no wake-up descriptor (none could be made):
         * a close from a goroutine must end its read with "Socket closed" within its poll slice.
         */
        private static void closeWakesAThreadReaderWhileFull(TcpStream server) throws Exception {
            InCaller read = new InCaller("thread", () -> server.inputStream().read());
            Go.sleep(Duration.ofMillis(100));
            long t0 = System.nanoTime();
            server.close();
            Object g = read.await();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (!(g instanceof SocketException e) || !"Socket closed".equals(e.getMessage())) {
                System.out.println("FAIL thread reader at close: " + g);
            } else if (ms > 500) {
                System.out.println("FAIL thread reader woke " + ms + " ms after close");
            } else {
                System.out.println("close wakes a thread reader");
            }
        }

        /**
         * An accept loop in one kind of caller while no descriptor is free and connections keep
         * arriving: it backs off (Go's 5 ms doubling to 1 s) without spinning, and an arriving
         * connection does not cut a back-off short (each would cost an accept and a warning).
         * Made while descriptors are free: a listener with a connection queued, and 20 JDK
         * sockets that connect to it later (a connect needs no new descriptor).
         */
        private static final class Backoff {
            final String mode;
            final TcpListener ln = TcpListener.bind("127.0.0.1:0");
            final TcpStream queued;
            final List<java.nio.channels.SocketChannel> later = new ArrayList<>();

            Backoff(String mode) throws IOException {
                this.mode = mode;
                queued = TcpStream.connect(ln.localAddress());
                for (int i = 0; i < 20; i++) {
                    later.add(java.nio.channels.SocketChannel.open());
                }
            }

            void run(NetTesting.ProcessCpu cpu) throws Exception {
                InCaller a = new InCaller(mode, ln::accept);
                int warned0 = warnings();
                long cpu0 = cpu.nanos();
                for (java.nio.channels.SocketChannel c : later) {
                    c.connect(ln.localAddress());
                    Go.sleep(Duration.ofMillis(25));
                }
                long cpuMs = (cpu.nanos() - cpu0) / 1_000_000;
                int warned = warnings() - warned0;
                ln.close();
                Object end = a.await();
                if (!(end instanceof SocketException e) || !"Socket closed".equals(e.getMessage())) {
                    System.out.println("FAIL " + mode + " acceptor in back-off ended with " + end);
                } else if (cpuMs > 250) {
                    System.out.println("FAIL " + mode + " acceptor in back-off: the process used "
                            + cpuMs + " ms of CPU in 500 ms");
                } else if (warned < 3 || warned > 12) {
                    System.out.println("FAIL " + mode + " acceptor: " + warned
                            + " back-off warnings in 500 ms (5 ms doubling gives 7)");
                } else {
                    System.out.println(mode + " backs off");
                }
            }

            void close() throws IOException {
                queued.close();
                for (java.nio.channels.SocketChannel c : later) {
                    c.close();
                }
            }

            private static int warnings() {
                String text = new String(ERR.toByteArray(), StandardCharsets.UTF_8);
                int n = 0;
                for (int i = text.indexOf("retrying in"); i >= 0; i = text.indexOf("retrying in", i + 1)) {
                    n++;
                }
                return n;
            }
        }

        /** A call made in a goroutine, a platform thread or a virtual thread; how it ended. */
        private static final class InCaller {
            final AtomicReference<Object> end = new AtomicReference<>();
            final Latch done = new Latch(1);

            InCaller(String mode, Callable<Object> call) {
                Runnable body = () -> {
                    try {
                        end.set(call.call());
                    } catch (Throwable e) {
                        end.set(e);
                    } finally {
                        done.countDown();
                    }
                };
                switch (mode) {
                    case "goroutine" -> Go.go(body);
                    case "thread" -> new Thread(body).start();
                    default -> Thread.ofVirtual().start(body);
                }
            }

            /** The call's result or throwable, once it has ended. */
            Object await() throws InterruptedException {
                done.await();
                return end.get();
            }
        }

        /**
         * Goroutines in accept back off while a connection waits in the backlog and no
         * descriptor is free; closing the listener must end each of them at once with "Socket
         * closed", not after its back-off (up to a second) or never.
         */
        private static void closeWakesAcceptorsInBackoff(TcpListener ln) throws Exception {
            int n = 8;
            Latch done = new Latch(n);
            AtomicInteger closed = new AtomicInteger();
            AtomicReference<Throwable> other = new AtomicReference<>();
            for (int i = 0; i < n; i++) {
                Go.go(() -> {
                    try {
                        ln.accept().close();
                        other.set(new AssertionError("accepted while full"));
                    } catch (SocketException e) {
                        if ("Socket closed".equals(e.getMessage())) {
                            closed.incrementAndGet();
                        } else {
                            other.set(e);
                        }
                    } catch (Throwable e) {
                        other.set(e);
                    } finally {
                        done.countDown();
                    }
                });
            }
            Go.sleep(Duration.ofMillis(1200)); // the back-off grows past a second by now
            long t0 = System.nanoTime();
            ln.close();
            done.await();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (closed.get() != n || other.get() != null) {
                System.out.println("FAIL acceptors: " + closed.get() + " closed, " + other.get());
            } else if (ms > 500) {
                System.out.println("FAIL acceptors woke " + ms + " ms after close");
            } else {
                System.out.println("close wakes acceptors");
            }
        }

        private static List<FileChannel> fill() throws IOException {
            List<FileChannel> filler = new ArrayList<>();
            try {
                for (;;) {
                    filler.add(FileChannel.open(Path.of("/dev/null")));
                }
            } catch (IOException full) {
                if (!String.valueOf(full.getMessage()).contains("Too many open files")) {
                    throw full;
                }
            }
            return filler;
        }

        private static int openFds() throws IOException {
            try (var s = Files.list(Path.of("/proc/self/fd"))) {
                return (int) s.count();
            }
        }
    }

    @Test
    void socketCallsFailCleanlyWhileOutOfDescriptorsAndRecover() throws Exception {
        // Runs on the real kernels' backends only (net's pom leaves this class out of the
        // stand-in runs): the stand-in kernels are test code that links its own downcalls
        // lazily (the kqueue fake's write), which out of descriptors fails inside the fake.
        assertChild(Main.class, "bind fails with EMFILE", "connect fails with EMFILE",
                "tryClone fails with EMFILE", "thread read ok", "close wakes a thread reader",
                "close wakes acceptors", "goroutine backs off", "thread backs off",
                "virtual backs off", "io while full", "works again", "zone ok", "no leak", "ok");
    }

    /**
     * Runs {@code main} in a fresh JVM (on this run's backend and fake kernel) and checks that
     * its stdout holds {@code lines} in order, with no "FAIL"; a child that hangs is killed
     * after a bound and its output shown.
     */
    static void assertChild(Class<?> main, String... lines) throws Exception {
        Process p = EchoStressTest.startChild(List.of(), main);
        StringBuffer out = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    out.append(l).append('\n');
                }
            } catch (IOException e) {
                out.append(e).append('\n');
            }
        });
        reader.start();
        boolean exited = p.waitFor(25, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor();
        }
        reader.join();
        String text = out.toString();
        assertTrue(exited, "child hung; it printed:\n" + text);
        assertTrue(!text.contains("FAIL"), text);
        int at = 0;
        for (String l : lines) {
            int i = text.indexOf(l + "\n", at);
            assertTrue(i >= 0, "missing '" + l + "' in:\n" + text);
            at = i + l.length();
        }
        assertEquals(0, p.exitValue(), text);
    }
}
