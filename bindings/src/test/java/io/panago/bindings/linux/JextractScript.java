package io.panago.bindings.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Reads the {@code --include-*} options of a jextract command line script. */
final class JextractScript {

    private JextractScript() {
    }

    /** {@return option name to the set of names it includes, for every --include-* option} */
    static Map<String, Set<String>> includes(Path script) throws IOException {
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
}
