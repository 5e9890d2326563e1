package io.panago.bench.net;

import io.panago.Go;
import io.panago.net.TcpListener;
import io.panago.net.TcpStream;

import java.io.IOException;

/**
 * panago: {@code Go.run}, a {@link TcpListener} accept loop and a goroutine per connection
 * that reads and writes back, the shape of the Go peer.
 */
final class PanagoEchoServer {
    private PanagoEchoServer() {
    }

    static void serve() throws Exception {
        Go.run(() -> {
            try (TcpListener listener = TcpListener.bind("127.0.0.1:0", EchoServers.BACKLOG)) {
                EchoServers.listening(listener.localAddress().getPort());
                while (true) {
                    TcpStream s = listener.accept();
                    Go.go(() -> echo(s));
                }
            }
        });
    }

    private static void echo(TcpStream s) {
        try (s) {
            byte[] buf = new byte[EchoServers.BUFFER];
            int n;
            while ((n = s.read(buf)) > 0) {
                s.writeAll(buf, 0, n);
            }
        } catch (IOException e) {
            // the client went away: this connection is done
        }
    }
}
