package io.panago.bindings.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.panago.bindings.CProbe;
import io.panago.bindings.HeaderShape;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks every size, alignment, field offset, field width, constant, typedef and function return
 * width of {@code io.panago.bindings.linux} against the system headers: a C probe, generated from
 * what the package binds (found by reflection, so nothing new can go unchecked), is compiled with
 * gcc against {@code bindings/jextract/linux.h} and run; each line it prints is compared with the
 * Java side. The probe also calls every function with arguments of the Java carriers' C types, so a
 * wrong arity or an int passed where the header wants a pointer fails to compile.
 */
class LinuxLayoutProbeTest {

    private static final HeaderShape SHAPE = HeaderShape.of(Linux.class);
    private static Map<String, Long> probe;

    @BeforeAll
    static void runProbe(@TempDir Path dir) throws IOException {
        CProbe.require("gcc", "gcc",
                "The Linux layout test compiles a C probe against the system headers (linux-libc-dev comes with gcc).");
        Path header = Path.of("jextract", "linux.h").toAbsolutePath();
        assertTrue(Files.isRegularFile(header), header + " (tests run from the bindings module directory)");
        String source = probeSource(header);
        CProbe.Result cc = CProbe.compile(dir, "probe.c", source, "gcc", List.of("-std=gnu11",
                "-Werror=int-conversion", "-Werror=incompatible-pointer-types",
                "-Werror=implicit-function-declaration", "-o", dir.resolve("probe").toString()));
        if (cc.exitCode() != 0) {
            fail("the probe does not compile against the system headers:\n" + cc.output());
        }
        CProbe.Result run = CProbe.run(List.of(dir.resolve("probe").toString()), dir);
        assertEquals(0, run.exitCode(), run.output());
        probe = new HashMap<>();
        for (String line : run.output().split("\n")) {
            int eq = line.indexOf('=');
            probe.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).trim()));
        }
    }

    private static String probeSource(Path header) {
        StringBuilder c = new StringBuilder();
        c.append("#include \"").append(header).append("\"\n#include <stddef.h>\n#include <stdio.h>\n");
        c.append("#define P(name, expr) printf(\"%s=%lld\\n\", name, (long long)(expr))\n");
        c.append("int main(void) {\n");
        for (HeaderShape.Constant k : SHAPE.constants().values()) {
            String expr = k.type() == MemorySegment.class ? "(long long)(intptr_t)(" + k.name() + ")" : k.name();
            c.append("  P(\"const.").append(k.name()).append("\", ").append(expr).append(");\n");
            c.append("  P(\"csize.").append(k.name()).append("\", sizeof(").append(k.name()).append("));\n");
        }
        for (String t : SHAPE.typedefs().keySet()) {
            c.append("  P(\"typedef.").append(t).append("\", sizeof(").append(t).append("));\n");
        }
        for (HeaderShape.Function f : SHAPE.functions().values()) {
            String args = f.parameters().stream().map(p -> "(" + CProbe.cCarrier(p) + ")0")
                    .collect(Collectors.joining(", "));
            String call = f.name() + "(" + args + ")";
            if (f.returns() == void.class) {
                c.append("  if (0) ").append(call).append(";\n");
            } else {
                c.append("  P(\"ret.").append(f.name()).append("\", sizeof(").append(call).append("));\n");
            }
        }
        java.util.function.Function<String, String> tags = CProbe.tags(SHAPE);
        for (HeaderShape.Struct s : SHAPE.structs()) {
            String t = CProbe.cType(s, tags);
            c.append("  P(\"size.").append(s.cPath()).append("\", sizeof(").append(t).append("));\n");
            c.append("  P(\"align.").append(s.cPath()).append("\", __alignof__(").append(t).append("));\n");
            for (HeaderShape.StructField f : s.fields()) {
                String key = s.cPath() + "." + f.name();
                c.append("  P(\"offset.").append(key).append("\", offsetof(").append(t).append(", ")
                        .append(f.name()).append("));\n");
                c.append("  P(\"fsize.").append(key).append("\", sizeof(((").append(t).append(" *)0)->")
                        .append(f.name()).append(f.flexible() ? "[0]" : "").append("));\n");
            }
        }
        c.append("  return 0;\n}\n");
        return c.toString();
    }

    private static long probed(String key) {
        Long v = probe.get(key);
        if (v == null) {
            throw new AssertionError("the probe printed no " + key);
        }
        return v;
    }

    @Test
    void everyConstantHasTheHeadersValueAndWidth() {
        List<String> wrong = new ArrayList<>();
        for (HeaderShape.Constant k : SHAPE.constants().values()) {
            long c = probed("const." + k.name());
            long expected = k.type() == int.class ? (int) c : c;
            if (expected != k.asLong()) {
                wrong.add(k.name() + ": C " + c + ", Java " + k.value());
            }
            if (probed("csize." + k.name()) != CProbe.width(k.type())) {
                wrong.add(k.name() + ": C sizeof " + probed("csize." + k.name()) + ", Java " + k.type());
            }
        }
        assertEquals(List.of(), wrong);
        assertTrue(SHAPE.constants().size() > 150, "constants found: " + SHAPE.constants().size());
    }

    @Test
    void everyTypedefHasTheHeadersWidth() {
        List<String> wrong = new ArrayList<>();
        SHAPE.typedefs().forEach((name, layout) -> {
            if (probed("typedef." + name) != layout.byteSize()) {
                wrong.add(name + ": C " + probed("typedef." + name) + ", Java " + layout.byteSize());
            }
        });
        assertEquals(List.of(), wrong);
        assertTrue(SHAPE.typedefs().size() >= 8);
    }

    @Test
    void everyFunctionReturnsTheHeadersWidthAndResolves() {
        List<String> wrong = new ArrayList<>();
        for (HeaderShape.Function f : SHAPE.functions().values()) {
            if (f.returns() != void.class && probed("ret." + f.name()) != CProbe.width(f.returns())) {
                wrong.add(f.name() + ": C returns " + probed("ret." + f.name()) + " bytes, Java " + f.returns());
            }
            MemorySegment address = address(f);
            if (address.equals(MemorySegment.NULL)) {
                wrong.add(f.name() + " resolves to NULL");
            }
        }
        assertEquals(List.of(), wrong);
        assertTrue(SHAPE.functions().size() >= 24);
    }

    private static MemorySegment address(HeaderShape.Function f) {
        try {
            if (f.variadic()) {
                Class<?> invoker = Stream.of(Linux.class.getDeclaredClasses())
                        .filter(c -> c.getSimpleName().equals(f.name())).findFirst().orElseThrow();
                return (MemorySegment) invoker.getMethod("address").invoke(null);
            }
            return (MemorySegment) Linux.class.getMethod(f.name() + "$address").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(f.name(), e);
        }
    }

    @Test
    void everyStructHasTheHeadersSizeAlignmentOffsetsAndFieldWidths() {
        List<String> wrong = new ArrayList<>();
        int fields = 0;
        for (HeaderShape.Struct s : SHAPE.structs()) {
            check(wrong, "sizeof " + s.cPath(), probed("size." + s.cPath()), s.size());
            check(wrong, "alignof " + s.cPath(), probed("align." + s.cPath()), s.alignment());
            for (HeaderShape.StructField f : s.fields()) {
                String key = s.cPath() + "." + f.name();
                check(wrong, "offsetof " + key, probed("offset." + key), f.offset());
                check(wrong, "sizeof " + key, probed("fsize." + key), f.size());
                fields++;
            }
        }
        assertEquals(List.of(), wrong);
        assertTrue(SHAPE.structs().size() >= 12 && fields >= 30, SHAPE.structs().size() + " structs, " + fields + " fields");
    }

    private static void check(List<String> wrong, String what, long c, long java) {
        if (c != java) {
            wrong.add(what + ": C " + c + ", Java " + java);
        }
    }

    @Test
    void linuxErrnoHasACapturingVariantOfEveryFixedArityFunction() throws NoSuchMethodException {
        assertEquals(List.of(), SHAPE.missingVariants(LinuxErrno.class, java.util.Set.of()));
        LinuxErrno.class.getMethod("fcntl", MemorySegment.class, int.class, int.class, int.class);
        LinuxErrno.class.getMethod("ioctl", MemorySegment.class, int.class, long.class, MemorySegment.class);
    }

    @Test
    void errnoNamesEveryErrnoConstant() {
        assertEquals(List.of(), SHAPE.misnamed(n -> n.matches("E[A-Z0-9]+") && !n.startsWith("EPOLL"), Errno::name));
        assertEquals("EAGAIN", Errno.name(Linux.EWOULDBLOCK()));
        assertEquals("errno 4000", Errno.name(4000));
    }

    @Test
    void jextractCommandLineNamesExactlyWhatThePackageBinds() throws IOException {
        assertEquals(List.of(), io.panago.bindings.JextractScript.differences(
                Path.of("jextract", "linux.sh"), SHAPE, java.util.Set.of()));
    }
}
