package io.panago.bindings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Compiles (and runs) a generated C probe with a C compiler found on the PATH. */
public final class CProbe {

    private CProbe() {
    }

    /** The output of one compiler or probe run. */
    public record Result(int exitCode, String output) {
    }

    /** {@return true if {@code compiler --version} runs} */
    public static boolean available(String compiler) {
        try {
            return run(List.of(compiler, "--version"), Path.of(".")).exitCode() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Fails with a message naming the compiler and the package that provides it, unless it is
     * on the PATH.
     */
    public static void require(String compiler, String aptPackage, String why) {
        if (!available(compiler)) {
            throw new AssertionError(compiler + " was not found on the PATH. " + why
                    + " Install it with: apt-get install " + aptPackage);
        }
    }

    /** Writes {@code source} to {@code dir/name} and runs {@code compiler args... file}. */
    public static Result compile(Path dir, String name, String source, String compiler, List<String> args)
            throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, source, StandardCharsets.UTF_8);
        List<String> cmd = new ArrayList<>();
        cmd.add(compiler);
        cmd.addAll(args);
        cmd.add(file.toString());
        return run(cmd, dir);
    }

    /** Runs {@code cmd} in {@code dir}, stdout and stderr merged, bounded to two minutes. */
    public static Result run(List<String> cmd, Path dir) throws IOException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + cmd, e);
        }
    }

    /**
     * {@return the C expression that names a (possibly nested) struct class's type, where
     * {@code root} names a top-level struct class's C type ({@code "struct in6_addr"},
     * {@code "OVERLAPPED"})}
     */
    public static String cType(HeaderShape.Struct s, java.util.function.Function<String, String> root) {
        if (!s.nested()) {
            return root.apply(s.cPath());
        }
        String[] parts = s.cPath().split("\\.", 2);
        return "__typeof__(((" + root.apply(parts[0]) + " *)0)->" + parts[1] + ")";
    }

    /** {@return the struct or union tag of a top-level struct class of {@code shape}} */
    public static java.util.function.Function<String, String> tags(HeaderShape shape) {
        java.util.Map<String, Boolean> unions = new java.util.HashMap<>();
        for (HeaderShape.Struct s : shape.structs()) {
            unions.put(s.cPath(), s.union());
        }
        return name -> (unions.get(name) ? "union " : "struct ") + name;
    }

    /** {@return the C type a jextract wrapper's Java carrier stands for, for a call expression} */
    public static String cCarrier(Class<?> c) {
        if (c == int.class) {
            return "int";
        } else if (c == long.class) {
            return "long long";
        } else if (c == short.class) {
            return "short";
        } else if (c == byte.class) {
            return "char";
        } else if (c == java.lang.foreign.MemorySegment.class) {
            return "void *";
        }
        throw new AssertionError("no C carrier for " + c);
    }

    /** {@return the width in bytes of a Java carrier of a C value} */
    public static long width(Class<?> c) {
        if (c == int.class) {
            return 4;
        } else if (c == long.class || c == java.lang.foreign.MemorySegment.class) {
            return 8;
        } else if (c == short.class) {
            return 2;
        } else if (c == byte.class) {
            return 1;
        }
        throw new AssertionError("no width for " + c);
    }
}
