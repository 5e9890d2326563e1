package io.panago;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages users see (io.panago, .sync, .context, .time) expose nothing of the runtime: no
 * public class implements or extends a type of a package they cannot see, and no public or
 * protected member takes, returns or is of such a type. A public method that only exists to
 * serve the runtime (a timer's callback was one) would let a user drive the runtime's side.
 */
class ApiSurfaceTest {
    private static final Set<String> EXPORTED = Set.of("io.panago", "io.panago.sync", "io.panago.context",
            "io.panago.time");

    @Test
    void exportedClassesShowNoRuntimeType() throws Exception {
        List<String> leaks = new ArrayList<>();
        List<Class<?>> classes = exportedClasses();
        assertTrue(classes.size() > 20, "found only " + classes);
        for (Class<?> c : classes) {
            if (!Modifier.isPublic(c.getModifiers())) {
                continue;
            }
            List<Type> supers = new ArrayList<>(List.of(c.getGenericInterfaces()));
            if (c.getSuperclass() != null) {
                supers.add(c.getSuperclass());
            }
            for (Type t : supers) {
                check(leaks, c.getName() + " inherits", t);
            }
            for (Executable e : Stream.concat(Stream.of(c.getDeclaredMethods()),
                    Stream.of(c.getDeclaredConstructors())).toList()) {
                if (!visible(e.getModifiers()) || e.isSynthetic()) {
                    continue;
                }
                for (Type t : e.getGenericParameterTypes()) {
                    check(leaks, c.getName() + "." + e.getName() + " takes", t);
                }
                if (e instanceof Method m) {
                    check(leaks, c.getName() + "." + m.getName() + " returns", m.getGenericReturnType());
                }
            }
            for (Field f : c.getDeclaredFields()) {
                if (visible(f.getModifiers())) {
                    check(leaks, c.getName() + "." + f.getName() + " is", f.getGenericType());
                }
            }
        }
        assertEquals(List.of(), leaks);
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    /** A leak if {@code t} (or a type argument of it) is panago's but not in an exported package. */
    private static void check(List<String> leaks, String what, Type t) {
        String name = t.getTypeName();
        for (String part : name.split("[<>,\\[\\] ?]+")) {
            int dot = part.lastIndexOf('.');
            if (part.startsWith("io.panago.") && dot > 0) {
                String pkg = part.substring(0, dot);
                // a nested class: its package is that of its outermost class
                while (!pkg.equals("io.panago") && Character.isUpperCase(pkg.charAt(pkg.lastIndexOf('.') + 1))) {
                    pkg = pkg.substring(0, pkg.lastIndexOf('.'));
                }
                if (!EXPORTED.contains(pkg)) {
                    leaks.add(what + " " + name);
                }
            }
        }
    }

    /** Every class of the exported packages, from the directory or jar Go was loaded from. */
    private static List<Class<?>> exportedClasses() throws URISyntaxException, IOException {
        Path root = Path.of(Go.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> out = new ArrayList<>();
        if (Files.isDirectory(root)) {
            for (String pkg : EXPORTED) {
                Path dir = root.resolve(pkg.replace('.', '/'));
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                        String simple = f.getFileName().toString().replace(".class", "");
                        out.add(load(pkg + "." + simple));
                    }
                }
            }
        } else {
            try (var fs = java.nio.file.FileSystems.newFileSystem(root)) {
                for (String pkg : EXPORTED) {
                    try (Stream<Path> files = Files.list(fs.getPath(pkg.replace('.', '/')))) {
                        for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                            out.add(load(pkg + "." + f.getFileName().toString().replace(".class", "")));
                        }
                    }
                }
            }
        }
        return out;
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, Go.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
