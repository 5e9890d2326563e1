package io.panago.bench.net;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The servers the echo benchmark knows and how to start each: the Java ones as a child JVM
 * running {@link EchoServers} with this JVM's class or module path, Go and C compiled from
 * the sources shipped in the jar ({@code bench/src/main/go}, {@code bench/src/main/c}) with
 * the toolchain on {@code PATH}, once per run.
 */
final class Peers {
    /** Every server kind, in the default order of a run. */
    static final List<String> KINDS = List.of("c-epoll", "nio", "netty", "go", "vthreads", "panago");

    /** A server to measure: a kind, the label it is reported under and extra JVM options. */
    record Spec(String label, String kind, List<String> jvmOptions) {
        Spec {
            if (!KINDS.contains(kind)) {
                throw new IllegalArgumentException("unknown server '" + kind + "'; known: " + String.join(", ", KINDS));
            }
            jvmOptions = List.copyOf(jvmOptions);
        }

        static Spec of(String kind) {
            return new Spec(kind, kind, List.of());
        }
    }

    /** Why a server cannot run on this machine (a missing toolchain, a failed compile). */
    static final class Unavailable extends Exception {
        Unavailable(String reason) {
            super(reason);
        }
    }

    private final Path workDir;
    private final List<String> javaOptions;
    private final Map<String, Path> binaries = new HashMap<>();
    private final Map<String, String> versions = new HashMap<>();

    /** Compiles into {@code workDir}; every Java server also gets {@code javaOptions}. */
    Peers(Path workDir, List<String> javaOptions) {
        this.workDir = workDir;
        this.javaOptions = List.copyOf(javaOptions);
    }

    /** The command line that starts {@code spec}'s server (not yet pinned to a CPU). */
    List<String> command(Spec spec) throws Unavailable {
        return switch (spec.kind()) {
            case "go" -> List.of(binary("go").toString());
            case "c-epoll" -> List.of(binary("c-epoll").toString());
            default -> javaCommand(spec);
        };
    }

    /** What built or runs {@code kind} ("go1.19.8", "gcc 12.2.0", the JDK), once known. */
    String version(String kind) {
        return switch (kind) {
            case "go", "c-epoll" -> versions.getOrDefault(kind, "?");
            default -> "JDK " + Runtime.version();
        };
    }

    private List<String> javaCommand(Spec spec) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Module module = EchoServers.class.getModule();
        String modulePath = System.getProperty("jdk.module.path");
        boolean named = module.isNamed() && modulePath != null;
        if (named) {
            cmd.add("--add-exports=java.base/jdk.internal.vm=io.panago.core");
            cmd.add("--enable-native-access=io.panago.bindings,io.panago.core,io.netty.common");
        } else {
            cmd.add("--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED");
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        if (spec.kind().equals("netty") && Runtime.version().feature() >= 23) {
            // Netty 4.1 reads off-heap memory through sun.misc.Unsafe, which JDK 23+ warns about.
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.addAll(javaOptions);
        cmd.addAll(spec.jvmOptions());
        if (named) {
            // Netty's native transport jars are not modules the bench module names: they stay on the class path.
            cmd.addAll(List.of("-p", modulePath, "-cp", System.getProperty("java.class.path"),
                    "-m", module.getName() + "/" + EchoServers.class.getName()));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), EchoServers.class.getName()));
        }
        cmd.add(spec.kind());
        return cmd;
    }

    private Path binary(String kind) throws Unavailable {
        Path done = binaries.get(kind);
        if (done != null) {
            return done;
        }
        Path out = workDir.resolve("echo-" + kind);
        if (kind.equals("go")) {
            Path go = onPath("go").orElseThrow(() -> new Unavailable(
                    "go is not on PATH (Debian: apt-get install golang-go)"));
            Path src = extract("echo.go");
            versions.put(kind, firstLine(go.toString(), "version"));
            run(List.of(go.toString(), "build", "-o", out.toString(), src.toString()));
        } else {
            Path cc = onPath("gcc").or(() -> onPath("cc")).orElseThrow(() -> new Unavailable(
                    "no C compiler (gcc or cc) on PATH"));
            Path src = extract("echo_epoll.c");
            versions.put(kind, firstLine(cc.toString(), "--version") + ", -O2");
            run(List.of(cc.toString(), "-O2", "-o", out.toString(), src.toString()));
        }
        binaries.put(kind, out);
        return out;
    }

    private Path extract(String resource) throws Unavailable {
        Path target = workDir.resolve(resource);
        try (InputStream in = Peers.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new Unavailable(resource + " is missing from the jar");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new Unavailable("cannot write " + target + ": " + e.getMessage());
        }
    }

    private void run(List<String> command) throws Unavailable {
        String output;
        int status;
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
            if (System.getenv("GOCACHE") == null && System.getenv("HOME") == null) {
                pb.environment().put("GOCACHE", workDir.resolve("gocache").toString());
            }
            Process p = pb.start();
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new Unavailable(String.join(" ", command) + " took more than 5 minutes");
            }
            status = p.exitValue();
        } catch (IOException e) {
            throw new Unavailable(String.join(" ", command) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted");
        }
        if (status != 0) {
            throw new Unavailable(String.join(" ", command) + " failed (" + status + "): " + output);
        }
    }

    private static String firstLine(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out.lines().findFirst().orElse("?").trim();
        } catch (IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    /** The executable {@code name} on {@code PATH}, if any. */
    static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
