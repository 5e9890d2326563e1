package io.panago.bindings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.UnionLayout;
import java.lang.foreign.ValueLayout;
import java.lang.module.ModuleReader;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a jextract-shaped package binds, found by reflection so that no constant, typedef,
 * function, struct or field can escape the layout and constant checks: a check iterates this,
 * never a list of its own.
 */
public final class HeaderShape {

    /** A constant getter of the header class: its name, Java type and value. */
    public record Constant(String name, Class<?> type, Object value) {
        /** {@return the value as a long (a segment's address for pointer constants)} */
        public long asLong() {
            return value instanceof MemorySegment s ? s.address() : ((Number) value).longValue();
        }
    }

    /** A downcall of the header class; {@code variadic} when jextract made it an invoker class. */
    public record Function(String name, List<Class<?>> parameters, Class<?> returns, boolean variadic) {
    }

    /**
     * A field of a struct class: its name, offset and size; for an array of no elements (a
     * flexible or zero-length array member, which has no C {@code sizeof}) the size of one element
     * instead, flagged by {@code flexible}.
     */
    public record StructField(String name, long offset, long size, boolean flexible) {
    }

    /**
     * A struct or union class: {@code cPath} is the C type name ({@code in6_addr}) or, for a
     * nested class of a named member, the enclosing struct and the member path
     * ({@code in6_addr.__in6_u}, {@code in_addr.S_un.S_un_b}).
     */
    public record Struct(Class<?> type, String cPath, boolean union, long size, long alignment,
                         List<StructField> fields) {
        /** {@return true for a class jextract made of a named member of an anonymous type} */
        public boolean nested() {
            return cPath.contains(".");
        }
    }

    private final Class<?> header;
    private final List<Class<?>> packageClasses;

    private HeaderShape(Class<?> header, List<Class<?>> packageClasses) {
        this.header = header;
        this.packageClasses = packageClasses;
    }

    /** Reads the package of {@code header} from its module's contents. */
    public static HeaderShape of(Class<?> header) {
        String dir = header.getPackageName().replace('.', '/') + "/";
        Module module = header.getModule();
        var ref = module.getLayer().configuration().findModule(module.getName()).orElseThrow().reference();
        List<Class<?>> classes = new ArrayList<>();
        try (ModuleReader reader = ref.open(); Stream<String> names = reader.list()) {
            for (String n : names.filter(n -> n.startsWith(dir) && n.endsWith(".class")
                    && n.indexOf('/', dir.length()) < 0).sorted().toList()) {
                String cls = n.substring(0, n.length() - ".class".length()).replace('/', '.');
                Class<?> c = Class.forName(cls, false, header.getClassLoader());
                // a patched test module lists the test classes too; keep the package's own
                if (c.getProtectionDomain().getCodeSource().getLocation()
                        .equals(header.getProtectionDomain().getCodeSource().getLocation())) {
                    classes.add(c);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
        return new HeaderShape(header, classes);
    }

    /** {@return the header class} */
    public Class<?> header() {
        return header;
    }

    /** {@return every class of the package, nested ones included} */
    public List<Class<?>> classes() {
        return packageClasses;
    }

    /** {@return every constant getter of the header class, by name} */
    public Map<String, Constant> constants() {
        Map<String, Constant> out = new TreeMap<>();
        for (Method m : header.getDeclaredMethods()) {
            if (!isPublicStatic(m) || m.getParameterCount() != 0 || m.getName().contains("$")
                    || hasMethod(m.getName() + "$handle")) {
                continue;
            }
            Class<?> t = m.getReturnType();
            if (t != int.class && t != long.class && t != short.class && t != byte.class && t != MemorySegment.class) {
                continue;
            }
            try {
                out.put(m.getName(), new Constant(m.getName(), t, m.invoke(null)));
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(m.getName(), e);
            }
        }
        return out;
    }

    /** {@return every typedef of the header class (a public layout field not named C_*)} */
    public Map<String, ValueLayout> typedefs() {
        Map<String, ValueLayout> out = new TreeMap<>();
        for (Field f : header.getDeclaredFields()) {
            if (Modifier.isPublic(f.getModifiers()) && Modifier.isStatic(f.getModifiers())
                    && ValueLayout.class.isAssignableFrom(f.getType()) && !f.getName().startsWith("C_")) {
                try {
                    out.put(f.getName(), (ValueLayout) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return out;
    }

    /** {@return every function: the {@code $handle} ones and the variadic invoker classes} */
    public Map<String, Function> functions() {
        Map<String, Function> out = new TreeMap<>();
        for (Method m : header.getDeclaredMethods()) {
            if (isPublicStatic(m) && m.getName().endsWith("$handle")) {
                String name = m.getName().substring(0, m.getName().length() - "$handle".length());
                Method call = wrapper(name);
                out.put(name, new Function(name, List.of(call.getParameterTypes()), call.getReturnType(), false));
            }
        }
        for (Class<?> c : header.getDeclaredClasses()) {
            if (Modifier.isPublic(c.getModifiers())) {
                Method apply = Stream.of(c.getDeclaredMethods()).filter(m -> m.getName().equals("apply"))
                        .findFirst().orElseThrow(() -> new AssertionError(c + " is not a variadic invoker"));
                List<Class<?>> fixed = List.of(apply.getParameterTypes()).subList(0, apply.getParameterCount() - 1);
                out.put(c.getSimpleName(), new Function(c.getSimpleName(), fixed, apply.getReturnType(), true));
            }
        }
        return out;
    }

    private Method wrapper(String name) {
        return Stream.of(header.getDeclaredMethods())
                .filter(m -> m.getName().equals(name) && isPublicStatic(m))
                .findFirst().orElseThrow(() -> new AssertionError("no wrapper for " + name));
    }

    /** {@return every struct and union class of the package, nested ones after their parents} */
    public List<Struct> structs() {
        List<Struct> out = new ArrayList<>();
        for (Class<?> c : packageClasses) {
            Method layout;
            try {
                layout = c.getDeclaredMethod("layout");
            } catch (NoSuchMethodException e) {
                continue;
            }
            if (!isPublicStatic(layout) || !GroupLayout.class.isAssignableFrom(layout.getReturnType())) {
                continue;
            }
            GroupLayout g = (GroupLayout) invoke(layout);
            String cPath = c.getSimpleName();
            for (Class<?> outer = c.getEnclosingClass(); outer != null; outer = outer.getEnclosingClass()) {
                cPath = outer.getSimpleName() + "." + cPath;
            }
            List<StructField> fields = new ArrayList<>();
            for (Method m : c.getDeclaredMethods()) {
                if (isPublicStatic(m) && m.getName().endsWith("$offset") && m.getParameterCount() == 0) {
                    String f = m.getName().substring(0, m.getName().length() - "$offset".length());
                    MemoryLayout fl = (MemoryLayout) invoke(method(c, f + "$layout"));
                    boolean flexible = fl instanceof SequenceLayout seq && seq.elementCount() == 0;
                    long size = flexible ? ((SequenceLayout) fl).elementLayout().byteSize() : fl.byteSize();
                    fields.add(new StructField(f, (long) invoke(m), size, flexible));
                }
            }
            fields.sort(Comparator.comparingLong(StructField::offset).thenComparing(StructField::name));
            long sizeof = (long) invoke(method(c, "sizeof"));
            if (sizeof != g.byteSize()) {
                throw new AssertionError(c + ": sizeof() " + sizeof + " != layout().byteSize() " + g.byteSize());
            }
            out.add(new Struct(c, cPath, g instanceof UnionLayout, g.byteSize(), g.byteAlignment(), List.copyOf(fields)));
        }
        out.sort(Comparator.comparing(Struct::cPath));
        return out;
    }

    /** {@return the names of the public static methods of {@code c}, for coverage checks} */
    public static List<String> publicStaticMethods(Class<?> c) {
        return Stream.of(c.getDeclaredMethods()).filter(HeaderShape::isPublicStatic).map(Method::getName)
                .distinct().sorted().collect(Collectors.toList());
    }

    private static Method method(Class<?> c, String name) {
        try {
            return c.getDeclaredMethod(name);
        } catch (NoSuchMethodException e) {
            throw new AssertionError(c + " has no " + name + "()", e);
        }
    }

    private static Object invoke(Method m) {
        try {
            return m.invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(m.toString(), e);
        }
    }

    private boolean hasMethod(String name) {
        return Stream.of(header.getDeclaredMethods()).anyMatch(m -> m.getName().equals(name));
    }

    private static boolean isPublicStatic(Method m) {
        return Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers());
    }

    /**
     * {@return the constants {@code isError} selects whose name in {@code table} is not a constant
     * of the same value (an alias is fine), as "NAME -> tableName"}
     */
    public List<String> misnamed(java.util.function.Predicate<String> isError, java.util.function.IntFunction<String> table) {
        Map<String, Constant> constants = constants();
        List<String> wrong = new ArrayList<>();
        for (Constant k : constants.values()) {
            if (isError.test(k.name())) {
                String name = table.apply((int) k.asLong());
                if (!constants.containsKey(name) || constants.get(name).asLong() != k.asLong()) {
                    wrong.add(k.name() + " -> " + name);
                }
            }
        }
        return wrong;
    }

    /**
     * {@return the fixed-arity functions, other than those in {@code except}, for which
     * {@code variant} has no method of the same name taking a capture segment first and the
     * function's parameters after it, with the same return type}
     */
    public List<String> missingVariants(Class<?> variant, java.util.Set<String> except) {
        List<String> missing = new ArrayList<>();
        for (Function f : functions().values()) {
            if (f.variadic() || except.contains(f.name())) {
                continue;
            }
            List<Class<?>> params = new ArrayList<>();
            params.add(MemorySegment.class);
            params.addAll(f.parameters());
            try {
                if (variant.getMethod(f.name(), params.toArray(Class<?>[]::new)).getReturnType() != f.returns()) {
                    missing.add(f.name() + " (return type)");
                }
            } catch (NoSuchMethodException e) {
                missing.add(f.name());
            }
        }
        return missing;
    }
}
