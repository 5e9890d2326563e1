package io.panago.runtime;

/** The JVM flags panago needs, checked once at start-up so a missing one fails with its name. */
final class Flags {
    private Flags() {
    }

    /** @throws IllegalStateException naming the exact missing flag */
    static void check() {
        Module core = Flags.class.getModule();
        boolean named = core.isNamed();
        if (!Object.class.getModule().isExported("jdk.internal.vm", core)) {
            throw new IllegalStateException("panago needs the JVM option --add-exports java.base/jdk.internal.vm="
                    + (named ? core.getName() : "ALL-UNNAMED")
                    + " (goroutines are jdk.internal.vm.Continuations); add it to the java command line");
        }
        Module bindings = null;
        if (named && core.getLayer() != null) {
            bindings = core.getLayer().findModule("io.panago.bindings").orElse(null);
        }
        if (!core.isNativeAccessEnabled() || (bindings != null && !bindings.isNativeAccessEnabled())) {
            throw new IllegalStateException("panago needs the JVM option --enable-native-access="
                    + (named ? "io.panago.bindings,io.panago.core" : "ALL-UNNAMED")
                    + " (the network poller calls epoll through FFM); add it to the java command line");
        }
    }
}
