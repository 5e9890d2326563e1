package io.panago.runtime;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The on-demand goroutine dump: {@code kill -USR1 <pid>} prints {@link Traceback#dump()} to
 * stderr, as SIGQUIT does for a Go program (the JVM keeps SIGQUIT for its thread dump). The
 * signal is chosen with {@code -Dpanago.dumpsignal=NAME} ({@code none} disables it), and is
 * only taken if nobody else handles it: an application's own handler is put back.
 */
final class DumpSignal {
    private DumpSignal() {
    }

    static void install() {
        String name = System.getProperty("panago.dumpsignal", "USR1");
        if (name.isBlank() || name.equalsIgnoreCase("none")) {
            return;
        }
        try {
            Signal sig = new Signal(name);
            SignalHandler old = Signal.handle(sig, s -> {
                System.err.print("panago goroutine dump (SIG" + s.getName() + ")\n\n" + Traceback.dump());
                System.err.flush();
            });
            if (old != SignalHandler.SIG_DFL) {
                Signal.handle(sig, old);
            }
        } catch (IllegalArgumentException unavailable) {
            // Unknown on this OS, or reserved by the JVM: the dump stays available as Go.dump().
        }
    }
}
