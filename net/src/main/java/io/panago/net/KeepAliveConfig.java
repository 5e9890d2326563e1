package io.panago.net;

import java.time.Duration;
import java.util.Objects;

/**
 * Keep-alive settings for {@link TcpStream#setKeepAliveConfig}, Go's {@code net.KeepAliveConfig}
 * (Go 1.23). A zero time or count means Go's default (15 s, 15 s, 9 probes); a negative one
 * leaves the socket's current value as it is. Times are rounded up to whole seconds.
 *
 * @param enable   whether keep-alive probes are sent (SO_KEEPALIVE)
 * @param idle     how long the connection stays idle before the first probe
 * @param interval the time between unanswered probes
 * @param count    how many unanswered probes drop the connection (the system's own number on
 *                 Windows, where it cannot be set)
 */
public record KeepAliveConfig(boolean enable, Duration idle, Duration interval, int count) {

    /** Go's defaults: probes on, after 15 s idle, every 15 s, 9 unanswered drop the connection. */
    public static final KeepAliveConfig DEFAULT = new KeepAliveConfig(true, Duration.ZERO, Duration.ZERO, 0);

    /**
     * Checks that neither time is null.
     *
     * @throws NullPointerException if {@code idle} or {@code interval} is null
     */
    public KeepAliveConfig {
        Objects.requireNonNull(idle, "idle");
        Objects.requireNonNull(interval, "interval");
    }
}
