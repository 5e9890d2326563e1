package io.panago.runtime;

import io.panago.Go;
import org.junit.jupiter.api.Test;

import io.panago.bindings.linux.Linux;

import java.io.BufferedReader;
import java.io.File;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** Goroutine dumps and panic output in Go's shape. */
class DumpTest {
    static void parkedInChanReceive() {
        Sched.gopark((g, a) -> true, null, WaitReason.CHAN_RECEIVE);
    }

    static void sleepingHere() {
        Go.sleep(Duration.ofSeconds(30));
    }

    @Test
    void dumpShowsEachGoroutineWithStateReasonStackAndCreator() throws Exception {
        Go.run(() -> {
            G self = Sched.getg();
            List<G> parked = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Go.go(() -> {
                    synchronized (parked) {
                        parked.add(Sched.getg());
                    }
                    parkedInChanReceive();
                });
            }
            Go.go(DumpTest::sleepingHere);
            while (true) { // let them all reach their parks
                Go.sleep(Duration.ofMillis(2));
                synchronized (parked) {
                    if (parked.size() == 3 && parked.stream().allMatch(g -> g.state() == G.WAITING)) {
                        break;
                    }
                }
            }
            Go.sleep(Duration.ofMillis(5));
            String dump = Go.dump();
            assertTrue(dump.startsWith("goroutine " + self.id + " [running]:\n"), dump);
            assertTrue(dump.contains("DumpTest.lambda$dumpShowsEachGoroutineWithStateReasonStackAndCreator"), dump);
            for (G g : parked) {
                assertTrue(Pattern.compile("goroutine " + g.id + " \\[chan receive\\]:\n"
                                + "(\tat .*\n)*\tat [^\n]*DumpTest\\.parkedInChanReceive\\(DumpTest\\.java:\\d+\\)\n"
                                + "(\tat .*\n)*created by goroutine " + self.id + "\n")
                        .matcher(dump).find(), dump);
            }
            assertTrue(Pattern.compile("goroutine \\d+ \\[sleep\\]:\n(\tat .*\n)*\tat [^\n]*DumpTest\\.sleepingHere")
                    .matcher(dump).find(), dump);
            assertFalse(dump.contains("Sched.execute"), "scheduler frames must be trimmed: " + dump);
            for (G g : parked) {
                Sched.goready(g);
            }
        });
    }

    @Test
    void dumpWhileGoroutinesParkAndWakeIsSafe() throws Exception {
        // Dumps walk unmounted stacks; the SCAN bit must keep every walked goroutine unmounted.
        Go.run(() -> {
            int n = 16;
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(n);
            for (int i = 0; i < n; i++) {
                Go.go(() -> {
                    while (!stop.get()) {
                        Go.sleep(Duration.ofNanos(50_000));
                        Go.yield();
                    }
                    done.countDown();
                });
            }
            for (int i = 0; i < 200; i++) {
                assertTrue(Go.dump().contains("goroutine "));
            }
            stop.set(true);
            Go.blocking(() -> done.await(10, TimeUnit.SECONDS));
            return null;
        });
    }

    @Test
    void panicPrintsLikeGo() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.err;
        long[] id = new long[1];
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertThrows(IllegalStateException.class, () -> Go.run(() -> {
                Go.go(() -> {
                    id[0] = Sched.getg().id;
                    throw new IllegalStateException("boom", new ArithmeticException("root cause"));
                });
                Sched.gopark((g, a) -> true, null, WaitReason.SELECT_NO_CASES);
            }));
        } finally {
            System.setErr(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("panic: java.lang.IllegalStateException: boom\n\ngoroutine " + id[0]
                + " [running]:\n\tat "), out);
        assertTrue(out.contains("DumpTest.lambda$panicPrintsLikeGo"), out);
        assertTrue(out.contains("Caused by: java.lang.ArithmeticException: root cause"), out);
        assertFalse(out.contains("Sched.execute"), out);
    }

    /** Child main: parks a goroutine in a known frame, then waits to be signalled. */
    public static final class SignalMain {
        public static void main(String[] args) throws Exception {
            Go.go(DumpTest::parkedInChanReceive);
            Go.sleep(Duration.ofMillis(50));
            System.out.println("ready " + ProcessHandle.current().pid());
            System.out.flush();
            Thread.sleep(60_000);
        }
    }

    @Test
    void sigusr1PrintsTheDumpToStderr() throws Exception {
        String javaCmd = ProcessHandle.current().info().command().orElseThrow();
        String sep = File.pathSeparator;
        String cp = ChildJvm.location(Sched.class) + sep + ChildJvm.location(DumpTest.class)
                + sep + ChildJvm.location(Linux.class);
        Process p = new ProcessBuilder(javaCmd, "--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED", "-cp", cp, SignalMain.class.getName())
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line = r.readLine();
            assertNotNull(line);
            assertTrue(line.startsWith("ready "), line);
            new ProcessBuilder("kill", "-USR1", line.substring(6)).start().waitFor();
            StringBuilder seen = new StringBuilder();
            boolean found = false;
            while ((line = r.readLine()) != null) {
                seen.append(line).append('\n');
                if (line.contains("DumpTest.parkedInChanReceive")) {
                    found = true;
                    break;
                }
            }
            assertTrue(found, seen.toString());
            assertTrue(seen.toString().contains("[chan receive]:"), seen.toString());
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
