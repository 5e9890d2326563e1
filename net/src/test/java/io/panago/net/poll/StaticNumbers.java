package io.panago.net.poll;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.TreeMap;

/** The constants a socket layer class holds, for the tests that check them against an SDK. */
final class StaticNumbers {
    private StaticNumbers() {}

    /** Every {@code static final} int, short or long field of {@code c}, by name. */
    static Map<String, Long> of(Class<?> c) throws IllegalAccessException {
        Map<String, Long> out = new TreeMap<>();
        for (Field f : c.getDeclaredFields()) {
            int m = f.getModifiers();
            Class<?> t = f.getType();
            if (Modifier.isStatic(m) && Modifier.isFinal(m)
                    && (t == int.class || t == short.class || t == long.class)) {
                f.setAccessible(true);
                out.put(f.getName(), ((Number) f.get(null)).longValue());
            }
        }
        return out;
    }
}
