package io.panago.net;

import io.panago.Go;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Address parsing and name resolution for {@link TcpListener} and {@link TcpStream}.
 *
 * <p>Parsing follows Go's {@code net.SplitHostPort}: {@code "host:port"},
 * {@code "[v6-literal]:port"} (with an optional {@code %zone}), and {@code ":port"} for "no
 * host". The port is decimal, 0 to 65535; 0 asks the kernel for an ephemeral port. A host that
 * is an IP literal never touches the resolver; any other name is resolved with
 * {@link InetAddress#getAllByName} inside {@link Go#blocking}, so a slow DNS lookup hands the
 * goroutine's P to another thread instead of stalling every goroutine queued on it (Go's
 * resolver runs the cgo lookup as a syscall for the same reason).
 */
final class Addresses {
    private Addresses() {}

    /** A parsed {@code host:port}; {@code host} is empty for {@code ":port"}. */
    record HostPort(String host, int port) {}

    /**
     * Splits {@code address} as Go's {@code net.SplitHostPort} does and parses the port.
     *
     * @throws IllegalArgumentException with Go's wording when the address is malformed
     */
    static HostPort split(String address) {
        Objects.requireNonNull(address, "address");
        int colon = address.lastIndexOf(':');
        if (colon < 0) {
            throw bad(address, "missing port in address");
        }
        String host;
        if (address.startsWith("[")) {
            int end = address.indexOf(']');
            if (end < 0) {
                throw bad(address, "missing ']' in address");
            }
            if (end + 1 == address.length()) {
                throw bad(address, "missing port in address");
            }
            if (end + 1 != colon) {
                throw bad(address, address.charAt(end + 1) == ':'
                        ? "too many colons in address" : "missing port in address");
            }
            host = address.substring(1, end);
            if (host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
                throw bad(address, "unexpected '[' in address");
            }
        } else {
            host = address.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                throw bad(address, "too many colons in address");
            }
            if (host.indexOf('[') >= 0) {
                throw bad(address, "unexpected '[' in address");
            }
            if (host.indexOf(']') >= 0) {
                throw bad(address, "unexpected ']' in address");
            }
        }
        return new HostPort(host, parsePort(address, address.substring(colon + 1)));
    }

    /**
     * The decimal {@code port}, 0 to 65535; like Go's parsePort, leading zeros do not count
     * against it ({@code "000080"} is 80) and a value too large saturates rather than wraps.
     */
    private static int parsePort(String address, String port) {
        if (port.isEmpty()) {
            throw bad(address, "invalid port");
        }
        int p = 0;
        for (int i = 0; i < port.length(); i++) {
            char c = port.charAt(i);
            if (c < '0' || c > '9') {
                throw bad(address, "invalid port");
            }
            p = Math.min(p * 10 + (c - '0'), 65536);
        }
        if (p > 65535) {
            throw bad(address, "invalid port");
        }
        return p;
    }

    private static IllegalArgumentException bad(String address, String why) {
        return new IllegalArgumentException("address " + address + ": " + why);
    }

    /**
     * The IP literal {@code host} as an address, or null if it is a name to resolve. An IPv4
     * literal is Go's: four decimal parts of 0-255 without leading zeros. The older forms the
     * JDK and C libraries also read ({@code 0177.0.0.1} as octal or decimal, {@code 127.1},
     * {@code 2130706433}) are refused, as Go refuses them, with an {@link UnknownHostException}:
     * they name different hosts to different parsers.
     */
    static InetAddress literal(String host) throws UnknownHostException {
        if (host.isEmpty()) {
            return null;
        }
        char c = host.charAt(0);
        boolean maybeLiteral = host.indexOf(':') >= 0 || (c >= '0' && c <= '9');
        if (!maybeLiteral) {
            return null;
        }
        InetAddress a;
        try {
            a = InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException notLiteral) {
            a = null;
        }
        // The JDK reads the older IPv4 forms too; only the one it writes back is Go's.
        if (host.indexOf(':') < 0 && digitsAndDots(host) && (a == null || !a.getHostAddress().equals(host))) {
            throw new UnknownHostException("lookup " + host + ": not an IPv4 address in dotted"
                    + " decimal (four parts of 0-255, no leading zeros), nor a host name");
        }
        return a;
    }

    private static boolean digitsAndDots(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c != '.' && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Every address {@code host} stands for, in the resolver's order. The empty host is
     * {@code empty} (the wildcard for a listener, the loopback for a dialer, as in Go).
     */
    static List<InetSocketAddress> resolve(String host, int port, InetAddress empty)
            throws IOException {
        if (host.isEmpty()) {
            return List.of(new InetSocketAddress(empty, port));
        }
        InetAddress lit = literal(host);
        if (lit != null) {
            return List.of(new InetSocketAddress(lit, port));
        }
        InetAddress[] all = lookup(host);
        List<InetSocketAddress> out = new ArrayList<>(all.length);
        for (InetAddress a : all) {
            out.add(new InetSocketAddress(a, port));
        }
        return out;
    }

    /** Resolves {@code address} (a {@code host:port} string). */
    static List<InetSocketAddress> resolve(String address, InetAddress empty) throws IOException {
        HostPort hp = split(address);
        return resolve(hp.host(), hp.port(), empty);
    }

    /** Resolves a JDK socket address; only an unresolved {@link InetSocketAddress} needs DNS. */
    static List<InetSocketAddress> resolve(SocketAddress address, InetAddress empty)
            throws IOException {
        Objects.requireNonNull(address, "address");
        if (!(address instanceof InetSocketAddress isa)) {
            throw new IllegalArgumentException(
                    "unsupported address type " + address.getClass().getName());
        }
        if (!isa.isUnresolved()) {
            return List.of(isa);
        }
        return resolve(isa.getHostString(), isa.getPort(), empty);
    }

    private static InetAddress[] lookup(String host) throws IOException {
        try {
            return Go.blocking(() -> InetAddress.getAllByName(host));
        } catch (UnknownHostException e) {
            if (String.valueOf(e.getMessage()).contains(host)) {
                throw e;
            }
            // Some of the JDK's messages ("no scope_id found") do not say which name failed.
            UnknownHostException named = new UnknownHostException("lookup " + host + ": " + e.getMessage());
            named.initCause(e);
            throw named;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("lookup " + host + ": interrupted");
        } catch (Exception e) {
            UnknownHostException u = new UnknownHostException("lookup " + host + ": " + e);
            u.initCause(e);
            throw u;
        }
    }
}
