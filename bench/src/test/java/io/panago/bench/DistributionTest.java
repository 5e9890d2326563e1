package io.panago.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a user meets first: the module descriptors and the documented JVM flags (a separate
 * program compiled and run against the built jars on the module path), and {@code ./panago jshell}
 * driven with snippets on stdin. Runs in bench's test phase, after the reactor packaged
 * bindings, core and net.
 */
class DistributionTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final String VERSION = "0.1.0-SNAPSHOT";
    private static final Path JDK = Path.of(System.getProperty("java.home"));
    /** The JVM flags README.md gives for the module path, exactly. */
    private static final List<String> MODULE_FLAGS = List.of("--add-exports",
            "java.base/jdk.internal.vm=io.panago.core", "--enable-native-access=io.panago.bindings,io.panago.core");

    private static String modulePath() {
        return Stream.of("bindings", "core", "net")
                .map(m -> ROOT.resolve(m).resolve("target").resolve("panago-" + m + "-" + VERSION + ".jar"))
                .peek(jar -> assertTrue(Files.isRegularFile(jar), jar + " is not built"))
                .map(Path::toString)
                .collect(Collectors.joining(java.io.File.pathSeparator));
    }

    private record Result(int exit, String out) {}

    private static Result run(List<String> command, String stdin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("PANAGO_NO_BUILD", "1");
        pb.environment().put("JAVA_HOME", JDK.toString());
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + command);
        return new Result(p.exitValue(), out);
    }

    @Test
    void consumerModuleCompilesAndRunsWithTheDocumentedFlags() throws Exception {
        Path src = ROOT.resolve("bench/src/test/consumer");
        Path out = Files.createTempDirectory("panago-consumer");
        List<String> sources;
        try (Stream<Path> files = Files.walk(src)) {
            sources = files.filter(f -> f.toString().endsWith(".java")).map(Path::toString).toList();
        }
        List<String> javac = new ArrayList<>(List.of(JDK.resolve("bin/javac").toString(),
                "--module-path", modulePath(), "--module-source-path", src.toString(),
                "-d", out.toString()));
        javac.addAll(sources);
        Result compiled = run(javac, "");
        assertEquals(0, compiled.exit(), compiled.out());

        Result ran = run(List.of(JDK.resolve("bin/java").toString(),
                MODULE_FLAGS.get(0), MODULE_FLAGS.get(1), MODULE_FLAGS.get(2),
                "--module-path", modulePath() + java.io.File.pathSeparator + out,
                "-m", "io.panago.example/io.panago.example.Main"), "");
        assertEquals(0, ran.exit(), ran.out());
        assertEquals("echoed: hello, panago", ran.out().strip());
    }

    @Test
    void readmeFirstExampleIsTheConsumerProgramAndItsFlagsAreTheTestedOnes() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String open = "## A first example\n\n```java\n";
        int start = readme.indexOf(open);
        assertTrue(start >= 0, "README has no first example block");
        start += open.length();
        String block = readme.substring(start, readme.indexOf("```\n", start));
        String main = Files.readString(ROOT.resolve(
                "bench/src/test/consumer/io.panago.example/io/panago/example/Main.java"));
        assertEquals(main, block, "README's first example and bench/src/test/consumer's Main.java differ");
        String module = Files.readString(ROOT.resolve("bench/src/test/consumer/io.panago.example/module-info.java"));
        assertTrue(readme.contains("```java\n" + module + "```\n"),
                "README does not show bench/src/test/consumer's module-info.java");
        assertTrue(readme.contains("`" + String.join(" ", MODULE_FLAGS) + "`"),
                "README's module-path flags are not the ones the consumer test runs with");
    }

    @Test
    void jshellLauncherRunsGoroutinesFromSnippets() throws Exception {
        String snippets = """
                int answer = Go.run(() -> { Chan<Integer> ch = Chan.make(); Go.go(() -> ch.send(42)); return ch.recv(); });
                System.out.println("answer=" + answer);
                System.out.println("inGoroutine=" + Go.inGoroutine());
                /exit
                """;
        Result r = run(List.of(ROOT.resolve("panago").toString(), "jshell", "-q"), snippets);
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("answer=42"), r.out());
        assertTrue(r.out().contains("inGoroutine=false"), r.out());
        assertTrue(!r.out().contains("Error"), r.out());
    }

    @Test
    void launcherHelpNamesEveryCommand() throws Exception {
        Result r = run(List.of(ROOT.resolve("panago").toString(), "help"), "");
        assertEquals(0, r.exit(), r.out());
        for (String cmd : List.of("demo", "test", "bench", "jshell")) {
            assertTrue(r.out().contains("  " + cmd + " "), cmd + " missing from: " + r.out());
        }
    }

    @Test
    void launcherFailsWithOneClearLineWithoutAJdk22() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("panago").toString(), "java-home").redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64");
        pb.environment().put("PANAGO_JDK_SEARCH", "/nonexistent/*");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.startsWith("panago: no JDK 22+ found"), out);
        assertEquals(1, out.strip().lines().count(), out);
    }

    @Test
    void launcherHelpAndFlagsNeedNoJdk() throws Exception {
        for (String cmd : List.of("help", "flags")) {
            ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("panago").toString(), cmd).redirectErrorStream(true);
            pb.environment().put("JAVA_HOME", "/nonexistent");
            pb.environment().put("PANAGO_JDK_SEARCH", "/nonexistent/*");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains(cmd.equals("help") ? "  demo " : "--add-exports"), cmd + ": " + out);
        }
    }
}
