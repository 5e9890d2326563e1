/**
 * FFM bindings in the shape jextract generates, one package per operating system.
 * Nothing here is convenient on purpose: the layer above (io.panago.core, io.panago.net)
 * adds meaning. Downcalls are restricted methods, so a program using panago passes
 * {@code --enable-native-access=io.panago.bindings,io.panago.core}.
 */
module io.panago.bindings {
    exports io.panago.bindings.linux to io.panago.core, io.panago.net, io.panago.bench;
    exports io.panago.bindings.freebsd to io.panago.core;
    exports io.panago.bindings.macos to io.panago.core, io.panago.net, io.panago.bench;
    exports io.panago.bindings.windows to io.panago.core, io.panago.net, io.panago.bench;
}
