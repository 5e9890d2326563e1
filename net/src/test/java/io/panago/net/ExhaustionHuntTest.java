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
        public static void main(String[] args) throws Exception {
            String r = Go.run(() -> {
                warmUp();
                int baseline = openFds();
                try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                     TcpStream client = TcpStream.connect(ln.localAddress());
                     TcpStream server = ln.accept()) {
                    TcpListener acceptors = TcpListener.bind("127.0.0.1:0");
                    TcpStream queued = TcpStream.connect(acceptors.localAddress());
                    List<FileChannel> filler = fill();
                    try {
                        expectEmfile("bind", () -> TcpListener.bind("127.0.0.1:0"));
                        expectEmfile("connect", () -> TcpStream.connect(ln.localAddress()));
                        expectEmfile("tryClone", client::tryClone);
                        threadReadWhileFull(client, server);
                        closeWakesAcceptorsInBackoff(acceptors);
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
                }
                int after = openFds();
                if (after > baseline) {
                    throw new AssertionError(after - baseline + " descriptors leaked");
                }
                System.out.println("no leak");
                return "ok";
            });
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
            System.getLogger("io.panago.net").log(System.Logger.Level.INFO,
                    "ExhaustionHuntTest: filling the descriptor table; EMFILE warnings follow");
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
         * A platform thread's read that must wait needs its wake-up descriptor (an eventfd, a
         * pipe on macOS), which cannot be made: the read either fails naming the exhaustion or
         * waits and gets the data; it must not hang, nor leave the stream unusable.
         */
        private static void threadReadWhileFull(TcpStream client, TcpStream server) throws Exception {
            AtomicReference<Object> got = new AtomicReference<>();
            Latch done = new Latch(1);
            Thread t = new Thread(() -> {
                try {
                    got.set(server.inputStream().read());
                } catch (Throwable e) {
                    got.set(e);
                } finally {
                    done.countDown();
                }
            });
            t.start();
            Go.sleep(Duration.ofMillis(50));
            client.writeAll(new byte[] {7});
            done.await();
            Object g = got.get();
            if (g instanceof Integer i && i == 7) {
                System.out.println("thread read ok");
            } else if (g instanceof IOException e && String.valueOf(e.getMessage()).contains("Too many open files")) {
                if (server.inputStream().read() != 7) { // the byte is still there for a goroutine
                    throw new AssertionError("byte lost");
                }
                System.out.println("thread read ok");
            } else {
                System.out.println("FAIL thread read: " + g);
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
                "tryClone fails with EMFILE", "thread read ok", "close wakes acceptors",
                "io while full", "works again", "no leak", "ok");
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
