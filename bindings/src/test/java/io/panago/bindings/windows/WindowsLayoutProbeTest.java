package io.panago.bindings.windows;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.panago.bindings.CProbe;
import io.panago.bindings.HeaderShape;
import io.panago.bindings.JextractScript;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks {@code io.panago.bindings.windows} against the Windows headers at compile time: a probe
 * generated from what the package binds (by reflection, so nothing new goes unchecked) is compiled
 * with mingw-w64's {@code x86_64-w64-mingw32-gcc} against {@code bindings/jextract/windows.h}. One
 * {@code _Static_assert} per fact: every constant's value and width, every typedef's width, every
 * struct's size and alignment, every field's offset and width, every function's (and function
 * pointer type's) return width and arity, with no pointer passed where the header wants an integer.
 * What no static assertion can see (pointer constants and the extension GUIDs) goes into a data
 * section of the object, which is read back and compared. Nothing is run: there is no Windows here.
 *
 * <p>Skipped only when the compiler is absent and the environment variable {@code CI} is unset;
 * in CI a missing compiler fails (Debian package {@code gcc-mingw-w64-x86-64-win32}).
 */
class WindowsLayoutProbeTest {

    private static final String CC = "x86_64-w64-mingw32-gcc";
    private static final String OBJCOPY = "x86_64-w64-mingw32-objcopy";
    private static final HeaderShape SHAPE = HeaderShape.of(Windows.class);
    private static final Pattern FAILED = Pattern.compile("static assertion failed: \"([^\"]*)\"");

    private static int assertions;
    private static CProbe.Result compiled;
    private static byte[] data;
    private static byte[] guids;
    private static List<String> dataNames;
    private static List<Method> guidMethods;

    @BeforeAll
    static void compileProbe(@TempDir Path dir) throws IOException {
        if (!CProbe.available(CC)) {
            Assumptions.assumeTrue(System.getenv("CI") != null,
                    CC + " is not installed (apt-get install gcc-mingw-w64-x86-64-win32); skipped outside CI only");
            CProbe.require(CC, "gcc-mingw-w64-x86-64-win32", "The Windows layout test checks the bindings against mingw-w64's headers.");
        }
        Path header = Path.of("jextract", "windows.h").toAbsolutePath();
        assertTrue(Files.isRegularFile(header), header.toString());
        compiled = CProbe.compile(dir, "probe.c", probeSource(header), CC, List.of("-std=gnu11", "-c",
                "-fmax-errors=0", "-Werror=int-conversion", "-Werror=incompatible-pointer-types",
                "-Werror=implicit-function-declaration", "-o", dir.resolve("probe.o").toString()));
        if (compiled.exitCode() == 0) {
            data = section(dir, ".probe");
            guids = section(dir, ".probeg");
        }
    }

    private static byte[] section(Path dir, String name) throws IOException {
        Path out = dir.resolve(name.substring(1) + ".bin");
        CProbe.Result r = CProbe.run(List.of(OBJCOPY, "-O", "binary", "-j", name,
                dir.resolve("probe.o").toString(), out.toString()), dir);
        assertEquals(0, r.exitCode(), r.output());
        return Files.readAllBytes(out);
    }

    private static String probeSource(Path header) {
        StringBuilder c = new StringBuilder();
        c.append("#include \"").append(header).append("\"\n#include <stddef.h>\n#include <stdint.h>\n");
        dataNames = new ArrayList<>();
        for (HeaderShape.Constant k : SHAPE.constants().values()) {
            if (k.type() == MemorySegment.class) {
                dataNames.add(k.name());
                continue;
            }
            String cast = k.type() == long.class ? "(long long)" : "(int)";
            check(c, cast + "(" + k.name() + ") == " + cast + "(" + k.asLong() + "LL)",
                    "const " + k.name() + " = " + k.value());
            check(c, "sizeof(" + k.name() + ") == " + CProbe.width(k.type()), "const width " + k.name());
        }
        SHAPE.typedefs().forEach((name, layout) ->
                check(c, "sizeof(" + name + ") == " + layout.byteSize(), "typedef " + name + " " + layout.byteSize()));
        Function<String, String> root = name -> name.equals(name.toUpperCase()) ? name : "struct " + name;
        for (HeaderShape.Struct s : SHAPE.structs()) {
            String t = CProbe.cType(s, root);
            check(c, "sizeof(" + t + ") == " + s.size(), "sizeof " + s.cPath() + " = " + s.size());
            check(c, "__alignof__(" + t + ") == " + s.alignment(), "alignof " + s.cPath() + " = " + s.alignment());
            for (HeaderShape.StructField f : s.fields()) {
                check(c, "offsetof(" + t + ", " + f.name() + ") == " + f.offset(),
                        "offsetof " + s.cPath() + "." + f.name() + " = " + f.offset());
                check(c, "sizeof(((" + t + " *)0)->" + f.name() + (f.flexible() ? "[0]" : "") + ") == " + f.size(),
                        "sizeof " + s.cPath() + "." + f.name() + " = " + f.size());
            }
        }
        c.append("void probe_calls(void) {\n");
        for (HeaderShape.Function f : SHAPE.functions().values()) {
            call(c, f.name(), f.parameters(), f.returns());
        }
        for (Class<?> ptr : functionPointerTypes()) {
            Method invoke = invoke(ptr);
            List<Class<?>> params = List.of(invoke.getParameterTypes()).subList(1, invoke.getParameterCount());
            call(c, "((" + ptr.getSimpleName() + ")0)", params, invoke.getReturnType());
        }
        c.append("}\n");
        c.append("__attribute__((section(\".probe\"), used)) long long probe_values[] = {\n");
        for (String name : dataNames) {
            c.append("  (long long)(intptr_t)(").append(name).append("),\n");
        }
        c.append("  0 };\n");
        guidMethods = Stream.of(WsaIds.class.getMethods()).filter(m -> Modifier.isStatic(m.getModifiers())
                && m.getReturnType() == MemorySegment.class).sorted((a, b) -> a.getName().compareTo(b.getName())).toList();
        c.append("__attribute__((section(\".probeg\"), used)) GUID probe_guids[] = {\n");
        for (Method m : guidMethods) {
            c.append("  ").append(m.getName()).append(",\n");
        }
        c.append("};\n");
        return c.toString();
    }

    private static void check(StringBuilder c, String expr, String what) {
        c.append("_Static_assert(").append(expr).append(", \"").append(what).append("\");\n");
        assertions++;
    }

    private static void call(StringBuilder c, String fn, List<Class<?>> params, Class<?> returns) {
        String args = params.stream().map(p -> "(" + CProbe.cCarrier(p) + ")0").collect(Collectors.joining(", "));
        String call = fn + "(" + args + ")";
        if (returns == void.class) {
            c.append("  if (0) ").append(call).append(";\n");
        } else {
            check(c, "sizeof(" + call + ") == " + CProbe.width(returns), "return width " + fn);
        }
    }

    private static List<Class<?>> functionPointerTypes() {
        List<Class<?>> out = new ArrayList<>();
        for (Class<?> c : SHAPE.classes()) {
            boolean jextractFunctionPointer = Stream.of(c.getDeclaredClasses()).anyMatch(i -> i.getSimpleName().equals("Function"))
                    && Stream.of(c.getDeclaredMethods()).anyMatch(m -> m.getName().equals("descriptor"));
            if (c.getEnclosingClass() == null && jextractFunctionPointer) {
                out.add(c);
            }
        }
        return out;
    }

    private static Method invoke(Class<?> ptr) {
        return Stream.of(ptr.getDeclaredMethods()).filter(m -> m.getName().equals("invoke")).findFirst().orElseThrow();
    }

    @Test
    void everyConstantTypedefStructFieldAndFunctionMatchesTheWindowsHeaders() {
        if (compiled.exitCode() != 0) {
            List<String> failed = new ArrayList<>();
            Matcher m = FAILED.matcher(compiled.output());
            while (m.find()) {
                failed.add(m.group(1));
            }
            fail("the Windows probe does not compile; failed static assertions (Java side shown): " + failed
                    + "\n" + compiled.output());
        }
        assertTrue(assertions > 400, "static assertions: " + assertions);
    }

    @Test
    void pointerConstantsMatchTheWindowsHeaders() {
        Assumptions.assumeTrue(compiled.exitCode() == 0, "reported by the static assertions");
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        for (String name : dataNames) {
            assertEquals(b.getLong(), SHAPE.constants().get(name).asLong(), name);
        }
        assertEquals(List.of("INVALID_HANDLE_VALUE"), dataNames);
    }

    @Test
    void extensionGuidsAreTheBytesOfTheMswsockMacros() throws ReflectiveOperationException {
        Assumptions.assumeTrue(compiled.exitCode() == 0, "reported by the static assertions");
        assertEquals(3, guidMethods.size());
        for (int i = 0; i < guidMethods.size(); i++) {
            MemorySegment g = (MemorySegment) guidMethods.get(i).invoke(null);
            byte[] expected = java.util.Arrays.copyOfRange(guids, 16 * i, 16 * i + 16);
            assertArrayEquals(expected, g.toArray(ValueLayout.JAVA_BYTE), guidMethods.get(i).getName());
        }
    }

    @Test
    void windowsErrnoCapturesEveryFunctionButTheErrorAccessors() {
        assertEquals(List.of(), SHAPE.missingVariants(WindowsErrno.class, Set.of("GetLastError", "WSAGetLastError")));
    }

    @Test
    void winErrorNamesEveryErrorConstant() {
        assertEquals(List.of(), SHAPE.misnamed(n -> n.startsWith("ERROR_") || n.startsWith("WSAE")
                || (n.startsWith("WSA_") && !n.startsWith("WSA_FLAG_")) || n.equals("WSANOTINITIALISED"),
                WinError::name));
        assertEquals("error 1", WinError.name(Windows.WSA_FLAG_OVERLAPPED()), "a flag is no error code");
        assertEquals(10054, WinError.code("WSAECONNRESET"));
        assertEquals(-1, WinError.code("EPIPE"));
        assertEquals("ERROR_IO_PENDING", WinError.name(Windows.WSA_IO_PENDING()));
        assertEquals("WSAECONNRESET", WinError.name(10054));
    }

    @Test
    void theIssuesLayoutsHoldOnAnyHost() {
        assertEquals(32, OVERLAPPED.sizeof());
        assertEquals(32, OVERLAPPED_ENTRY.sizeof());
        assertEquals(16, WSABUF.sizeof());
        assertEquals(28, sockaddr_in6.sizeof());
        assertEquals(4, Windows.C_LONG.byteSize(), "C long is 4 bytes on Windows");
    }

    @Test
    void jextractCommandLineNamesExactlyWhatThePackageBinds() throws IOException {
        Set<String> fnptrs = functionPointerTypes().stream().map(Class::getSimpleName)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(List.of(), JextractScript.differences(Path.of("jextract", "windows.sh"), SHAPE, fnptrs));
    }
}
