package io.panago.net.poll;

import io.panago.bindings.linux.Errno;
import io.panago.bindings.linux.Linux;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.util.HashMap;
import java.util.Map;

/**
 * errno values the net layer branches on, and the JDK exception each becomes (Go's
 * internal/poll errors.go and net's mapErr).
 *
 * <p>Messages start with the phrase the JDK's own sockets use ("Connection refused",
 * "Connection reset", "Broken pipe", ...) so code that matches on it keeps working, then name
 * the errno and the operation: {@code Connection refused (ECONNREFUSED): connect 127.0.0.1:1}.
 * The exception type follows the operation as the JDK's does: a failed {@code connect} is a
 * {@link ConnectException} (or {@link NoRouteToHostException}), a failed {@code bind} a
 * {@link BindException}, anything else a {@link SocketException}.
 */
final class Errors {
    private Errors() {}

    static final int EAGAIN = Linux.EAGAIN();
    static final int EINTR = Linux.EINTR();
    static final int EINPROGRESS = Linux.EINPROGRESS();
    static final int EALREADY = Linux.EALREADY();
    static final int EISCONN = Linux.EISCONN();
    static final int ECONNABORTED = Linux.ECONNABORTED();
    static final int ECONNREFUSED = Linux.ECONNREFUSED();
    static final int ECONNRESET = Linux.ECONNRESET();
    static final int EPIPE = Linux.EPIPE();
    static final int EMFILE = Linux.EMFILE();
    static final int ENFILE = Linux.ENFILE();
    static final int ENOBUFS = Linux.ENOBUFS();
    static final int ENOMEM = Linux.ENOMEM();
    static final int EAFNOSUPPORT = Linux.EAFNOSUPPORT();
    static final int EHOSTUNREACH = Linux.EHOSTUNREACH();
    static final int ENOTCONN = Linux.ENOTCONN();

    private static final Map<Integer, String> TEXT = new HashMap<>();

    private static void def(int errno, String text) {
        TEXT.putIfAbsent(errno, text);
    }

    static {
        def(EAGAIN, "Resource temporarily unavailable");
        def(EINTR, "Interrupted system call");
        def(EINPROGRESS, "Operation now in progress");
        def(EALREADY, "Operation already in progress");
        def(EISCONN, "Transport endpoint is already connected");
        def(ECONNABORTED, "Software caused connection abort");
        def(ECONNREFUSED, "Connection refused");
        def(ECONNRESET, "Connection reset");
        def(EPIPE, "Broken pipe");
        def(EMFILE, "Too many open files");
        def(ENFILE, "Too many open files in system");
        def(ENOBUFS, "No buffer space available");
        def(ENOMEM, "Cannot allocate memory");
        def(EAFNOSUPPORT, "Address family not supported by protocol");
        def(EHOSTUNREACH, "No route to host");
        def(ENOTCONN, "Transport endpoint is not connected");
        def(Linux.EADDRINUSE(), "Address already in use");
        def(Linux.EADDRNOTAVAIL(), "Cannot assign requested address");
        def(Linux.EACCES(), "Permission denied");
        def(Linux.EPERM(), "Operation not permitted");
        def(Linux.ETIMEDOUT(), "Connection timed out");
        def(Linux.ENETUNREACH(), "Network is unreachable");
        def(Linux.ENETDOWN(), "Network is down");
        def(Linux.ENETRESET(), "Network dropped connection on reset");
        def(Linux.EHOSTDOWN(), "Host is down");
        def(Linux.EBADF(), "Bad file descriptor");
        def(Linux.EINVAL(), "Invalid argument");
        def(Linux.EFAULT(), "Bad address");
        def(Linux.ENOTSOCK(), "Socket operation on non-socket");
        def(Linux.EOPNOTSUPP(), "Operation not supported");
        def(Linux.EPROTONOSUPPORT(), "Protocol not supported");
        def(Linux.ENOPROTOOPT(), "Protocol not available");
        def(Linux.ESHUTDOWN(), "Cannot send after transport endpoint shutdown");
        def(Linux.EMSGSIZE(), "Message too long");
        def(Linux.EIO(), "Input/output error");
        def(Linux.ENOSYS(), "Function not implemented");
    }

    /** The symbolic name of {@code errno} ({@code "ECONNRESET"}), or {@code "errno N"}. */
    static String name(int errno) {
        return Errno.name(errno);
    }

    /** {@code errno} in the JDK's wording plus its name: "Connection reset (ECONNRESET)". */
    static String describe(int errno) {
        String text = TEXT.get(errno);
        return text != null ? text + " (" + name(errno) + ")" : name(errno);
    }

    /**
     * The exception for {@code errno} from operation {@code op} ("connect", "read", ...);
     * {@code detail} (an address, usually) is appended when not null.
     */
    static IOException exception(int errno, String op, String detail) {
        String msg = describe(errno) + ": " + op
                + (detail != null ? " " + detail : "");
        return switch (op) {
            case "connect" -> errno == EHOSTUNREACH
                    ? new NoRouteToHostException(msg) : new ConnectException(msg);
            case "bind" -> new BindException(msg);
            default -> new SocketException(msg);
        };
    }
}
