package io.panago.runtime;

import java.util.ArrayList;
import java.util.List;

/** The JVM flags panago needs, checked once at start-up so a missing one fails with its name. */
final class Flags {
    private Flags() {
    }

    /** @throws IllegalStateException naming every missing flag, exactly as it is to be written */
    static void check() {
        Module core = Flags.class.getModule();
        boolean named = core.isNamed();
        List<String> flags = new ArrayList<>(), why = new ArrayList<>();
        if (!Object.class.getModule().isExported("jdk.internal.vm", core)) {
            flags.add("--add-exports java.base/jdk.internal.vm=" + (named ? core.getName() : "ALL-UNNAMED"));
            why.add("goroutines are jdk.internal.vm.Continuations");
        }
        Module bindings = null;
        if (named && core.getLayer() != null) {
            bindings = core.getLayer().findModule("io.panago.bindings").orElse(null);
        }
        if (!core.isNativeAccessEnabled() || (bindings != null && !bindings.isNativeAccessEnabled())) {
            flags.add("--enable-native-access=" + (named ? "io.panago.bindings,io.panago.core" : "ALL-UNNAMED"));
            why.add("the network poller calls epoll through FFM");
        }
        if (!flags.isEmpty()) {
            boolean one = flags.size() == 1;
            throw new IllegalStateException("panago needs the JVM option" + (one ? " " : "s ")
                    + String.join(" ", flags) + " (" + String.join("; ", why) + "); add "
                    + (one ? "it" : "them") + " to the java command line");
        }
    }
}
