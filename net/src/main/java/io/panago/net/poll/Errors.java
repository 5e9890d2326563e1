package io.panago.net.poll;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

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
 *
 * <p>Errors are known by name, not number: Linux's ECONNRESET is 104, macOS's 54, Windows'
 * WSAECONNRESET 10054. The constants below are looked up by their names in the running OS's
 * error table ({@link Table}), and the texts are keyed by name (a Winsock {@code WSAE} name by
 * its POSIX twin), so one list serves every OS: "Connection reset (WSAECONNRESET): read".
 */
final class Errors {
    private Errors() {}

    /** One OS's errno table: names by number and numbers by name. */
    record Table(IntFunction<String> name, ToIntFunction<String> value) {
        static final Table LINUX = new Table(io.panago.bindings.linux.Errno::name,
                io.panago.bindings.linux.Errno::value);
        static final Table MACOS = new Table(io.panago.bindings.macos.Errno::name,
                io.panago.bindings.macos.Errno::value);
        /**
         * Winsock's codes under their own names ({@code WSAECONNRESET}); a POSIX name finds
         * its {@code WSAE} twin, EAGAIN finds WSAEWOULDBLOCK, and a name Winsock lacks
         * (EPIPE, ENFILE) finds -1, which no error equals.
         */
        static final Table WINDOWS = new Table(io.panago.bindings.windows.WinError::name,
                name -> io.panago.bindings.windows.WinError.code(
                        name.equals("EAGAIN") ? "WSAEWOULDBLOCK" : "WSA" + name));
    }

    private static final Table OS = Sys.WINDOWS ? Table.WINDOWS : Sys.MACOS ? Table.MACOS : Table.LINUX;

    static final int EAGAIN = OS.value().applyAsInt("EAGAIN");
    static final int EINTR = OS.value().applyAsInt("EINTR");
    static final int EINPROGRESS = OS.value().applyAsInt("EINPROGRESS");
    static final int EALREADY = OS.value().applyAsInt("EALREADY");
    static final int EISCONN = OS.value().applyAsInt("EISCONN");
    static final int ECONNABORTED = OS.value().applyAsInt("ECONNABORTED");
    static final int ECONNREFUSED = OS.value().applyAsInt("ECONNREFUSED");
    static final int ECONNRESET = OS.value().applyAsInt("ECONNRESET");
    static final int EPIPE = OS.value().applyAsInt("EPIPE");
    static final int EMFILE = OS.value().applyAsInt("EMFILE");
    static final int ENFILE = OS.value().applyAsInt("ENFILE");
    static final int ENOBUFS = OS.value().applyAsInt("ENOBUFS");
    static final int ENOMEM = OS.value().applyAsInt("ENOMEM");
    static final int EAFNOSUPPORT = OS.value().applyAsInt("EAFNOSUPPORT");
    static final int EHOSTUNREACH = OS.value().applyAsInt("EHOSTUNREACH");
    static final int ENOTCONN = OS.value().applyAsInt("ENOTCONN");

    /** The JDK's wording of each error, by name. */
    private static final Map<String, String> TEXT = new HashMap<>();

    static {
        TEXT.put("EAGAIN", "Resource temporarily unavailable");
        TEXT.put("EINTR", "Interrupted system call");
        TEXT.put("EINPROGRESS", "Operation now in progress");
        TEXT.put("EALREADY", "Operation already in progress");
        TEXT.put("EISCONN", "Transport endpoint is already connected");
        TEXT.put("ECONNABORTED", "Software caused connection abort");
        TEXT.put("ECONNREFUSED", "Connection refused");
        TEXT.put("ECONNRESET", "Connection reset");
        TEXT.put("EPIPE", "Broken pipe");
        TEXT.put("EMFILE", "Too many open files");
        TEXT.put("ENFILE", "Too many open files in system");
        TEXT.put("ENOBUFS", "No buffer space available");
        TEXT.put("ENOMEM", "Cannot allocate memory");
        TEXT.put("EAFNOSUPPORT", "Address family not supported by protocol");
        TEXT.put("EHOSTUNREACH", "No route to host");
        TEXT.put("ENOTCONN", "Transport endpoint is not connected");
        TEXT.put("EADDRINUSE", "Address already in use");
        TEXT.put("EADDRNOTAVAIL", "Cannot assign requested address");
        TEXT.put("EACCES", "Permission denied");
        TEXT.put("EPERM", "Operation not permitted");
        TEXT.put("ETIMEDOUT", "Connection timed out");
        TEXT.put("ENETUNREACH", "Network is unreachable");
        TEXT.put("ENETDOWN", "Network is down");
        TEXT.put("ENETRESET", "Network dropped connection on reset");
        TEXT.put("EHOSTDOWN", "Host is down");
        TEXT.put("EBADF", "Bad file descriptor");
        TEXT.put("EINVAL", "Invalid argument");
        TEXT.put("EFAULT", "Bad address");
        TEXT.put("ENOTSOCK", "Socket operation on non-socket");
        TEXT.put("EOPNOTSUPP", "Operation not supported");
        TEXT.put("EPROTONOSUPPORT", "Protocol not supported");
        TEXT.put("ENOPROTOOPT", "Protocol not available");
        TEXT.put("ESHUTDOWN", "Cannot send after transport endpoint shutdown");
        TEXT.put("EMSGSIZE", "Message too long");
        TEXT.put("EIO", "Input/output error");
        TEXT.put("ENOSYS", "Function not implemented");
    }

    /** The symbolic name of {@code errno} ({@code "ECONNRESET"}), or {@code "errno N"}. */
    static String name(int errno) {
        return OS.name().apply(errno);
    }

    /** {@code errno} in the JDK's wording plus its name: "Connection reset (ECONNRESET)". */
    static String describe(int errno) {
        return describe(OS, errno);
    }

    /** {@link #describe(int)} for {@code errno} of the OS of {@code table}. */
    static String describe(Table table, int errno) {
        String name = table.name().apply(errno);
        String text = TEXT.get(name.startsWith("WSAE") ? name.substring(3) : name);
        return text != null ? text + " (" + name + ")" : name;
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
