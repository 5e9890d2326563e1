package io.panago.net.poll;

import io.panago.bindings.linux.Linux;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.util.HashMap;
import java.util.Map;

/**
 * errno values, their names, and the JDK exception each becomes.
 *
 * <p>Messages start with the phrase the JDK's own sockets use ("Connection refused",
 * "Connection reset", "Broken pipe", ...) so code that matches on it keeps working, then name
 * the errno and the operation: {@code Connection refused (ECONNREFUSED): connect 127.0.0.1:1}.
 * The exception type follows the operation as the JDK's does: a failed {@code connect} is a
 * {@link ConnectException} (or {@link NoRouteToHostException}), a failed {@code bind} a
 * {@link BindException}, anything else a {@link SocketException}.
 */
public final class Errno {
    private Errno() {}

    public static final int EAGAIN = Linux.EAGAIN();
    public static final int EINTR = Linux.EINTR();
    public static final int EINPROGRESS = Linux.EINPROGRESS();
    public static final int EALREADY = Linux.EALREADY();
    public static final int EISCONN = Linux.EISCONN();
    public static final int ECONNABORTED = Linux.ECONNABORTED();
    public static final int ECONNREFUSED = Linux.ECONNREFUSED();
    public static final int ECONNRESET = Linux.ECONNRESET();
    public static final int EPIPE = Linux.EPIPE();
    public static final int EMFILE = Linux.EMFILE();
    public static final int ENFILE = Linux.ENFILE();
    public static final int ENOBUFS = Linux.ENOBUFS();
    public static final int ENOMEM = Linux.ENOMEM();
    public static final int EAFNOSUPPORT = Linux.EAFNOSUPPORT();
    public static final int EHOSTUNREACH = Linux.EHOSTUNREACH();
    public static final int ENOTCONN = Linux.ENOTCONN();

    private record Info(String name, String text) {}

    private static final Map<Integer, Info> TABLE = new HashMap<>();

    private static void def(int errno, String name, String text) {
        TABLE.putIfAbsent(errno, new Info(name, text));
    }

    static {
        def(EAGAIN, "EAGAIN", "Resource temporarily unavailable");
        def(EINTR, "EINTR", "Interrupted system call");
        def(EINPROGRESS, "EINPROGRESS", "Operation now in progress");
        def(EALREADY, "EALREADY", "Operation already in progress");
        def(EISCONN, "EISCONN", "Transport endpoint is already connected");
        def(ECONNABORTED, "ECONNABORTED", "Software caused connection abort");
        def(ECONNREFUSED, "ECONNREFUSED", "Connection refused");
        def(ECONNRESET, "ECONNRESET", "Connection reset");
        def(EPIPE, "EPIPE", "Broken pipe");
        def(EMFILE, "EMFILE", "Too many open files");
        def(ENFILE, "ENFILE", "Too many open files in system");
        def(ENOBUFS, "ENOBUFS", "No buffer space available");
        def(ENOMEM, "ENOMEM", "Cannot allocate memory");
        def(EAFNOSUPPORT, "EAFNOSUPPORT", "Address family not supported by protocol");
        def(EHOSTUNREACH, "EHOSTUNREACH", "No route to host");
        def(ENOTCONN, "ENOTCONN", "Transport endpoint is not connected");
        def(Linux.EADDRINUSE(), "EADDRINUSE", "Address already in use");
        def(Linux.EADDRNOTAVAIL(), "EADDRNOTAVAIL", "Cannot assign requested address");
        def(Linux.EACCES(), "EACCES", "Permission denied");
        def(Linux.EPERM(), "EPERM", "Operation not permitted");
        def(Linux.ETIMEDOUT(), "ETIMEDOUT", "Connection timed out");
        def(Linux.ENETUNREACH(), "ENETUNREACH", "Network is unreachable");
        def(Linux.ENETDOWN(), "ENETDOWN", "Network is down");
        def(Linux.ENETRESET(), "ENETRESET", "Network dropped connection on reset");
        def(Linux.EHOSTDOWN(), "EHOSTDOWN", "Host is down");
        def(Linux.EBADF(), "EBADF", "Bad file descriptor");
        def(Linux.EINVAL(), "EINVAL", "Invalid argument");
        def(Linux.EFAULT(), "EFAULT", "Bad address");
        def(Linux.ENOTSOCK(), "ENOTSOCK", "Socket operation on non-socket");
        def(Linux.EOPNOTSUPP(), "EOPNOTSUPP", "Operation not supported");
        def(Linux.EPROTONOSUPPORT(), "EPROTONOSUPPORT", "Protocol not supported");
        def(Linux.ENOPROTOOPT(), "ENOPROTOOPT", "Protocol not available");
        def(Linux.ESHUTDOWN(), "ESHUTDOWN", "Cannot send after transport endpoint shutdown");
        def(Linux.EMSGSIZE(), "EMSGSIZE", "Message too long");
        def(Linux.EIO(), "EIO", "Input/output error");
        def(Linux.ENOSYS(), "ENOSYS", "Function not implemented");
    }

    /** The symbolic name of {@code errno} ({@code "ECONNRESET"}), or {@code "errno N"}. */
    public static String name(int errno) {
        Info i = TABLE.get(errno);
        return i != null ? i.name : "errno " + errno;
    }

    /** The text of {@code errno} in the JDK's wording where it has one. */
    public static String text(int errno) {
        Info i = TABLE.get(errno);
        return i != null ? i.text : "Unknown error " + errno;
    }

    /**
     * The exception for {@code errno} from operation {@code op} ("connect", "read", ...);
     * {@code detail} (an address, usually) is appended when not null.
     */
    public static IOException exception(int errno, String op, String detail) {
        String msg = text(errno) + " (" + name(errno) + "): " + op
                + (detail != null ? " " + detail : "");
        return switch (op) {
            case "connect" -> errno == EHOSTUNREACH
                    ? new NoRouteToHostException(msg) : new ConnectException(msg);
            case "bind" -> new BindException(msg);
            default -> new SocketException(msg);
        };
    }
}
