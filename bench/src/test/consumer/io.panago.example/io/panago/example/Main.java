package io.panago.example;

import io.panago.Chan;
import io.panago.Go;
import io.panago.net.TcpListener;
import io.panago.net.TcpStream;

import java.io.IOException;
import java.io.UncheckedIOException;

import static java.nio.charset.StandardCharsets.UTF_8;

/** An echo server and its client as goroutines, the reply handed back over a channel. */
public final class Main {
    public static void main(String[] args) throws Exception {
        String reply = Go.run(() -> {
            try (TcpListener listener = TcpListener.bind("127.0.0.1:0")) {
                Go.go(() -> {                           // the server: one goroutine
                    try (TcpStream conn = listener.accept()) {
                        conn.inputStream().transferTo(conn.outputStream()); // echo until EOF
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                Chan<String> replies = Chan.make();
                Go.go(() -> {                           // the client: another goroutine
                    try (TcpStream client = TcpStream.connect(listener.localAddress())) {
                        client.writeAll("hello, panago".getBytes(UTF_8));
                        client.shutdownOutput();
                        replies.send(new String(client.inputStream().readAllBytes(), UTF_8));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                return replies.recv();                  // "hello, panago"
            }
        });
        System.out.println("echoed: " + reply);
    }
}
