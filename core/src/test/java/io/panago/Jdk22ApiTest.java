package io.panago;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * panago supports any JDK 22+, but only JDK 25 runs here, and core cannot be built with
 * {@code --release 22} (javac refuses it together with the {@code --add-exports} that
 * {@code jdk.internal.vm.Continuation} needs), so the build alone would not notice a call to
 * an API newer than 22. This compiles core's sources with {@code --release 22} against
 * stand-ins for the two internal classes, declaring exactly the members core uses as JDK 22
 * has them: any other API JDK 22 lacks fails the compilation.
 */
class Jdk22ApiTest {
    private static final String SCOPE = """
            package jdk.internal.vm;
            public class ContinuationScope {
                public ContinuationScope(String name) {}
            }
            """;
    private static final String CONTINUATION = """
            package jdk.internal.vm;
            public class Continuation {
                public enum Pinned { NATIVE, MONITOR, CRITICAL_SECTION }
                public Continuation(ContinuationScope scope, Runnable target) {}
                public final void run() {}
                public static boolean yield(ContinuationScope scope) { return true; }
                public boolean isDone() { return false; }
                protected void onPinned(Pinned reason) {}
                public StackTraceElement[] getStackTrace() { return null; }
            }
            """;

    @Test
    void coreCompilesAgainstTheJdk22Api() throws Exception {
        Path sources = Path.of("src/main/java");
        assertTrue(Files.isDirectory(sources), "run from core/: " + sources.toAbsolutePath());
        Path tmp = Files.createTempDirectory("panago-jdk22");
        try {
            Path stubs = tmp.resolve("stubs/jdk/internal/vm");
            Files.createDirectories(stubs);
            Files.writeString(stubs.resolve("ContinuationScope.java"), SCOPE);
            Files.writeString(stubs.resolve("Continuation.java"), CONTINUATION);
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                    "--release", "22", "-nowarn", "-proc:none", "-encoding", "UTF-8",
                    "-d", tmp.resolve("classes").toString(),
                    "-cp", bindingsLocation()));
            cmd.addAll(javaFiles(sources));
            cmd.addAll(javaFiles(tmp.resolve("stubs")));
            Path log = tmp.resolve("javac.log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "javac did not finish in 120 s");
            assertEquals(0, p.exitValue(), "core does not compile against JDK 22's API:\n" + Files.readString(log));
            assertTrue(Files.exists(tmp.resolve("classes/io/panago/runtime/Sched.class")), "nothing compiled");
        } finally {
            try (Stream<Path> all = Files.walk(tmp)) {
                all.sorted((a, b) -> b.compareTo(a)).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** Every {@code .java} file under {@code dir} but module-info (core compiles unnamed here). */
    private static List<String> javaFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> !f.getFileName().toString().equals("module-info.java"))
                    .map(Path::toString)
                    .sorted()
                    .toList();
        }
    }

    /** The jar or directory the bindings' classes were loaded from. */
    private static String bindingsLocation() throws Exception {
        return Path.of(io.panago.bindings.linux.Linux.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
    }
}
