/**
 * Goroutine-aware TCP: {@code TcpListener} and {@code TcpStream} park the calling goroutine,
 * never its carrier thread, until the socket is ready.
 */
module io.panago.net {
    requires transitive io.panago.core;
    requires io.panago.bindings;

    exports io.panago.net;
}
