/**
 * Go's concurrency model: goroutines on a continuation-based G/M/P scheduler, channels,
 * select, sync, context and timers. Needs
 * {@code --add-exports java.base/jdk.internal.vm=io.panago.core} and
 * {@code --enable-native-access=io.panago.bindings,io.panago.core}.
 */
module io.panago.core {
    requires io.panago.bindings;

    // The scheduler and its public face (Go); the runtime only for net and bench.
    exports io.panago;
    exports io.panago.runtime to io.panago.net, io.panago.bench;
    requires jdk.unsupported; // sun.misc.Signal: the goroutine dump on SIGUSR1

    // Channels, select, sync, context and timers.
    exports io.panago.sync;
    exports io.panago.context;
    exports io.panago.time;

}
