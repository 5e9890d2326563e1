package io.panago.bindings.macos;

/**
 * Names of macOS {@code errno} values ({@code "ECONNRESET"} for 54) and back, so that error
 * messages can say which error a call returned and OS-neutral code can find an error's number
 * by its name. Hand-kept beside the jextract-shaped {@link Macos}: jextract emits constants,
 * never a reverse table. Built from {@link Macos}'s getters.
 */
public final class Errno {

    private Errno() {
    }

    private static final int MAX = 107;
    private static final java.util.Map<String, Integer> VALUES = new java.util.HashMap<>();
    private static final String[] NAMES = names();

    private static String[] names() {
        String[] names = new String[MAX];
        put(names, Macos.EPERM(), "EPERM");
        put(names, Macos.ENOENT(), "ENOENT");
        put(names, Macos.ESRCH(), "ESRCH");
        put(names, Macos.EINTR(), "EINTR");
        put(names, Macos.EIO(), "EIO");
        put(names, Macos.ENXIO(), "ENXIO");
        put(names, Macos.E2BIG(), "E2BIG");
        put(names, Macos.EBADF(), "EBADF");
        put(names, Macos.ECHILD(), "ECHILD");
        put(names, Macos.EDEADLK(), "EDEADLK");
        put(names, Macos.ENOMEM(), "ENOMEM");
        put(names, Macos.EACCES(), "EACCES");
        put(names, Macos.EFAULT(), "EFAULT");
        put(names, Macos.EBUSY(), "EBUSY");
        put(names, Macos.EEXIST(), "EEXIST");
        put(names, Macos.ENODEV(), "ENODEV");
        put(names, Macos.ENOTDIR(), "ENOTDIR");
        put(names, Macos.EISDIR(), "EISDIR");
        put(names, Macos.EINVAL(), "EINVAL");
        put(names, Macos.ENFILE(), "ENFILE");
        put(names, Macos.EMFILE(), "EMFILE");
        put(names, Macos.ENOTTY(), "ENOTTY");
        put(names, Macos.EFBIG(), "EFBIG");
        put(names, Macos.ENOSPC(), "ENOSPC");
        put(names, Macos.ESPIPE(), "ESPIPE");
        put(names, Macos.EROFS(), "EROFS");
        put(names, Macos.EPIPE(), "EPIPE");
        put(names, Macos.ERANGE(), "ERANGE");
        put(names, Macos.EAGAIN(), "EAGAIN");
        put(names, Macos.EWOULDBLOCK(), "EWOULDBLOCK");
        put(names, Macos.EINPROGRESS(), "EINPROGRESS");
        put(names, Macos.EALREADY(), "EALREADY");
        put(names, Macos.ENOTSOCK(), "ENOTSOCK");
        put(names, Macos.EDESTADDRREQ(), "EDESTADDRREQ");
        put(names, Macos.EMSGSIZE(), "EMSGSIZE");
        put(names, Macos.EPROTOTYPE(), "EPROTOTYPE");
        put(names, Macos.ENOPROTOOPT(), "ENOPROTOOPT");
        put(names, Macos.EPROTONOSUPPORT(), "EPROTONOSUPPORT");
        put(names, Macos.ESOCKTNOSUPPORT(), "ESOCKTNOSUPPORT");
        put(names, Macos.ENOTSUP(), "ENOTSUP");
        put(names, Macos.EPFNOSUPPORT(), "EPFNOSUPPORT");
        put(names, Macos.EAFNOSUPPORT(), "EAFNOSUPPORT");
        put(names, Macos.EADDRINUSE(), "EADDRINUSE");
        put(names, Macos.EADDRNOTAVAIL(), "EADDRNOTAVAIL");
        put(names, Macos.ENETDOWN(), "ENETDOWN");
        put(names, Macos.ENETUNREACH(), "ENETUNREACH");
        put(names, Macos.ENETRESET(), "ENETRESET");
        put(names, Macos.ECONNABORTED(), "ECONNABORTED");
        put(names, Macos.ECONNRESET(), "ECONNRESET");
        put(names, Macos.ENOBUFS(), "ENOBUFS");
        put(names, Macos.EISCONN(), "EISCONN");
        put(names, Macos.ENOTCONN(), "ENOTCONN");
        put(names, Macos.ESHUTDOWN(), "ESHUTDOWN");
        put(names, Macos.ETIMEDOUT(), "ETIMEDOUT");
        put(names, Macos.ECONNREFUSED(), "ECONNREFUSED");
        put(names, Macos.ELOOP(), "ELOOP");
        put(names, Macos.ENAMETOOLONG(), "ENAMETOOLONG");
        put(names, Macos.EHOSTDOWN(), "EHOSTDOWN");
        put(names, Macos.EHOSTUNREACH(), "EHOSTUNREACH");
        put(names, Macos.ENOTEMPTY(), "ENOTEMPTY");
        put(names, Macos.ENOSYS(), "ENOSYS");
        put(names, Macos.EOVERFLOW(), "EOVERFLOW");
        put(names, Macos.ECANCELED(), "ECANCELED");
        put(names, Macos.EPROTO(), "EPROTO");
        put(names, Macos.ETIME(), "ETIME");
        put(names, Macos.EOPNOTSUPP(), "EOPNOTSUPP");
        return names;
    }

    /** The first name wins, so aliases (EWOULDBLOCK) keep the name macOS prints. */
    private static void put(String[] names, int value, String name) {
        VALUES.put(name, value);
        if (names[value] == null) {
            names[value] = name;
        }
    }

    /**
     * {@return the symbolic name of {@code errno} ({@code "EAGAIN"}), or {@code "errno N"} for a
     * value this table does not bind}
     */
    public static String name(int errno) {
        String name = errno >= 0 && errno < MAX ? NAMES[errno] : null;
        return name != null ? name : "errno " + errno;
    }

    /**
     * {@return the value of the errno named {@code name} ({@code "EAGAIN"}), aliases included:
     * the inverse of {@link #name(int)}, so code written against one OS's names finds another
     * OS's numbers}
     *
     * @throws IllegalArgumentException if this table does not bind {@code name}
     */
    public static int value(String name) {
        Integer v = VALUES.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no errno named " + name);
        }
        return v;
    }
}
