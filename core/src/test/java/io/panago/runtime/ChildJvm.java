package io.panago.runtime;

import io.panago.bindings.linux.Linux;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a main class of these tests in a fresh JVM, for behaviour that must not touch this one. */
final class ChildJvm {
    record Result(int exit, String out) {
    }

    private ChildJvm() {
    }

    static Path location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /**
     * Runs {@code main} with {@code jvmArgs}; on the module path (test classes patched into
     * io.panago.core) if {@code modulePath}, else on the class path. Output is stdout+stderr.
     */
    static Result run(boolean modulePath, Class<?> main, List<String> jvmArgs, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path core = location(Sched.class);
        Path tests = location(ChildJvm.class);
        Path bindings = location(Linux.class);
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmArgs);
        if (modulePath) {
            cmd.add("--module-path");
            cmd.add(core + File.pathSeparator + bindings);
            cmd.add("--patch-module");
            cmd.add("io.panago.core=" + tests);
            cmd.add("--add-modules");
            cmd.add("io.panago.core");
            cmd.add("-m");
            cmd.add("io.panago.core/" + main.getName());
        } else {
            cmd.add("-cp");
            cmd.add(core + File.pathSeparator + tests + File.pathSeparator + bindings);
            cmd.add(main.getName());
        }
        cmd.addAll(List.of(args));
        // Output to a file, not a pipe read to its end first: a child that hangs must fail the
        // test at the timeout, not block it on the read for ever.
        Path log = Files.createTempFile("panago-child", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("child JVM did not exit within 60 s: " + cmd + "\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
