package io.panago.runtime;

import io.panago.Chan;
import io.panago.Go;
import io.panago.time.Time;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failure paths of the runtime while the process is out of file descriptors (EMFILE), each in
 * a fresh JVM whose classes load from the build's directories: there a class the runtime
 * loads lazily on such a path (the panic report, say) cannot be loaded, and what then breaks
 * must be the failing call, never a carrier or the runtime.
 */
class ExhaustionHuntTest {
    private static final List<String> FLAGS = List.of("--add-exports=java.base/jdk.internal.vm=io.panago.core",
            "--enable-native-access=io.panago.bindings,io.panago.core", "-Dpanago.maxprocs=2");

    /**
     * Child main: with the table full, a goroutine panics (the first panic of this JVM, so
     * the panic's report is not loaded yet), {@code Go.blocking} calls throw Errors, and a
     * timer function panics; each must reach its caller (or the report), and sleeps, channels
     * and timers must keep working during and after. Prints one line per step, "ok" at the end.
     */
    public static final class PanicMain {
        public static void main(String[] args) throws Exception {
            Chan<Integer> warm = Chan.make(1);
            warm.trySend(1);
            warm.tryRecv();
            Time.afterFunc(Duration.ofMillis(1), () -> { }).stop();
            String r = Go.run(() -> {
                Go.sleep(Duration.ofMillis(1));
                List<FileChannel> filler = DescriptorTable.fill();
                try {
                    try {
                        Go.run(() -> {
                            Go.go(() -> {
                                throw new IllegalStateException("boom while out of descriptors");
                            });
                            Go.sleep(Duration.ofHours(1));
                            return null;
                        });
                        System.out.println("panic lost");
                    } catch (IllegalStateException e) {
                        System.out.println("panic reached Go.run");
                    }
                    try {
                        Go.blocking(() -> {
                            throw new OutOfMemoryError("fake");
                        });
                    } catch (OutOfMemoryError e) {
                        System.out.println("blocking OOM rethrown");
                    }
                    try {
                        Go.blocking(() -> {
                            throw new StackOverflowError("fake");
                        });
                    } catch (StackOverflowError e) {
                        System.out.println("blocking SOE rethrown");
                    }
                    Chan<Integer> fired = Chan.make(1);
                    try {
                        // A timer's function that panics fails the run that armed it.
                        Go.run(() -> {
                            Time.afterFunc(Duration.ofMillis(1), () -> {
                                throw new IllegalStateException("timer function panics");
                            });
                            Chan.make().recv();
                        });
                        System.out.println("FAIL the timer function's panic was lost");
                    } catch (IllegalStateException e) {
                        System.out.println("timer panic reached its run");
                    }
                    Time.afterFunc(Duration.ofMillis(3), () -> fired.send(1));
                    fired.recv();
                    System.out.println("timers go on");
                    pingPong();
                    System.out.println("channels while full");
                } finally {
                    DescriptorTable.free(filler);
                }
                pingPong();
                for (int i = 0; i < 10; i++) {
                    Go.sleep(Duration.ofMillis(1));
                }
                return "ok";
            });
            System.out.println(r);
        }

        private static void pingPong() {
            Chan<Integer> ping = Chan.make(), pong = Chan.make();
            Go.go(() -> {
                for (int i = 0; i < 100; i++) {
                    pong.send(ping.recv() + 1);
                }
            });
            for (int i = 0; i < 100; i++) {
                ping.send(i);
                if (pong.recv() != i + 1) {
                    throw new AssertionError("ping-pong");
                }
                if (i % 10 == 0) {
                    Go.sleep(Duration.ofMillis(1));
                }
            }
        }
    }

    @Test
    void panicWhileOutOfDescriptorsFailsItsRunOnEpoll() throws Exception {
        assertChild("epoll", PanicMain.class, "panic reached Go.run", "blocking OOM rethrown",
                "blocking SOE rethrown", "timer panic reached its run", "timers go on", "channels while full", "ok");
    }

    @Test
    void panicWhileOutOfDescriptorsFailsItsRunOnIoUring() throws Exception {
        assertChild("io_uring", PanicMain.class, "panic reached Go.run", "blocking OOM rethrown",
                "blocking SOE rethrown", "timer panic reached its run", "timers go on", "channels while full", "ok");
    }

    /**
     * Runs {@code main} in a fresh JVM on the module path and checks that its stdout holds
     * {@code lines} in order. Output goes to a file, so that a child that hangs fails the test
     * after a bound (with what it printed) instead of blocking a pipe read for ever.
     */
    static void assertChild(String backend, Class<?> main, String... lines) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(FLAGS);
        cmd.add("-Dpanago.netpoll=" + backend);
        cmd.add("--module-path");
        cmd.add(ChildJvm.location(Sched.class) + File.pathSeparator
                + ChildJvm.location(io.panago.bindings.linux.Linux.class));
        cmd.add("--patch-module");
        cmd.add("io.panago.core=" + ChildJvm.location(ExhaustionHuntTest.class));
        cmd.add("--add-modules");
        cmd.add("io.panago.core");
        cmd.add("-m");
        cmd.add("io.panago.core/" + main.getName());
        Path out = Files.createTempFile("exhaustion", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean exited = p.waitFor(20, TimeUnit.SECONDS);
            if (!exited) {
                p.destroyForcibly().waitFor();
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            assertTrue(exited, "child hung; it printed:\n" + text);
            int at = 0;
            for (String l : lines) {
                int i = text.indexOf(l + "\n", at);
                assertTrue(i >= 0, "missing '" + l + "' in:\n" + text);
                at = i + l.length();
            }
            assertEquals(0, p.exitValue(), text);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
