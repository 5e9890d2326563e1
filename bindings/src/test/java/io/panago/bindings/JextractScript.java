package io.panago.bindings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Reads the {@code --include-*} options of a jextract command line script. */
public final class JextractScript {

    private JextractScript() {
    }

    /** {@return option name to the set of names it includes, for every --include-* option} */
    public static Map<String, Set<String>> includes(Path script) throws IOException {
        Map<String, Set<String>> out = new TreeMap<>();
        for (String opt : new String[] {"--include-function", "--include-constant", "--include-struct",
                "--include-union", "--include-typedef"}) {
            out.put(opt, new TreeSet<>());
        }
        String[] words = Files.readString(script).split("\\s+");
        for (int i = 0; i + 1 < words.length; i++) {
            Set<String> set = out.get(words[i]);
            if (set != null) {
                set.add(words[++i]);
            }
        }
        return out;
    }

    /**
     * {@return a description of how {@code shape} and the script differ, empty when the script
     * includes exactly the functions, constants, typedefs and top-level structs and unions the
     * package binds (function pointer typedefs count as typedefs)}
     */
    public static java.util.List<String> differences(Path script, HeaderShape shape, Set<String> extraTypedefs)
            throws IOException {
        Map<String, Set<String>> listed = includes(script);
        java.util.List<String> out = new java.util.ArrayList<>();
        compare(out, "functions", shape.functions().keySet(), listed.get("--include-function"));
        compare(out, "constants", shape.constants().keySet(), listed.get("--include-constant"));
        Set<String> typedefs = new TreeSet<>(shape.typedefs().keySet());
        typedefs.addAll(extraTypedefs);
        Set<String> listedTypedefs = new TreeSet<>(listed.get("--include-typedef"));
        Set<String> records = new TreeSet<>(listed.get("--include-struct"));
        records.addAll(listed.get("--include-union"));
        Set<String> structs = new TreeSet<>();
        for (HeaderShape.Struct s : shape.structs()) {
            if (!s.nested()) {
                structs.add(s.cPath());
            }
        }
        // jextract names a struct class after its typedef when the typedef is what is included
        for (String s : structs) {
            if (!records.contains(s) && listedTypedefs.remove(s)) {
                records.add(s);
            }
        }
        compare(out, "typedefs", typedefs, listedTypedefs);
        compare(out, "structs and unions", structs, records);
        return out;
    }

    private static void compare(java.util.List<String> out, String what, Set<String> bound, Set<String> listed) {
        Set<String> missing = new TreeSet<>(bound);
        missing.removeAll(listed);
        Set<String> extra = new TreeSet<>(listed);
        extra.removeAll(bound);
        if (!missing.isEmpty()) {
            out.add(what + " bound but not in the script: " + missing);
        }
        if (!extra.isEmpty()) {
            out.add(what + " in the script but not bound: " + extra);
        }
    }
}
