package io.panago.bindings.linux;

/**
 * Names of Linux {@code errno} values ({@code "ECONNRESET"} for 104) and back, so that error
 * messages can say which error a call returned and OS-neutral code can find an error's number
 * by its name. Hand-kept beside the jextract-shaped {@link Linux}: jextract emits constants,
 * never a reverse table. Built from {@link Linux}'s getters, so it cannot drift from them; the
 * layout test requires every errno getter to have its entry here.
 */
public final class Errno {

    private Errno() {
    }

    private static final int MAX = 134;
    private static final java.util.Map<String, Integer> VALUES = new java.util.HashMap<>();
    private static final String[] NAMES = names();

    private static String[] names() {
        String[] names = new String[MAX];
        put(names, Linux.EPERM(), "EPERM");
        put(names, Linux.ENOENT(), "ENOENT");
        put(names, Linux.ESRCH(), "ESRCH");
        put(names, Linux.EINTR(), "EINTR");
        put(names, Linux.EIO(), "EIO");
        put(names, Linux.ENXIO(), "ENXIO");
        put(names, Linux.E2BIG(), "E2BIG");
        put(names, Linux.EBADF(), "EBADF");
        put(names, Linux.ECHILD(), "ECHILD");
        put(names, Linux.EAGAIN(), "EAGAIN");
        put(names, Linux.EWOULDBLOCK(), "EWOULDBLOCK");
        put(names, Linux.ENOMEM(), "ENOMEM");
        put(names, Linux.EACCES(), "EACCES");
        put(names, Linux.EFAULT(), "EFAULT");
        put(names, Linux.EBUSY(), "EBUSY");
        put(names, Linux.EEXIST(), "EEXIST");
        put(names, Linux.ENODEV(), "ENODEV");
        put(names, Linux.ENOTDIR(), "ENOTDIR");
        put(names, Linux.EISDIR(), "EISDIR");
        put(names, Linux.EINVAL(), "EINVAL");
        put(names, Linux.ENFILE(), "ENFILE");
        put(names, Linux.EMFILE(), "EMFILE");
        put(names, Linux.ENOTTY(), "ENOTTY");
        put(names, Linux.EFBIG(), "EFBIG");
        put(names, Linux.ENOSPC(), "ENOSPC");
        put(names, Linux.ESPIPE(), "ESPIPE");
        put(names, Linux.EROFS(), "EROFS");
        put(names, Linux.EPIPE(), "EPIPE");
        put(names, Linux.ERANGE(), "ERANGE");
        put(names, Linux.EDEADLK(), "EDEADLK");
        put(names, Linux.ENAMETOOLONG(), "ENAMETOOLONG");
        put(names, Linux.ENOSYS(), "ENOSYS");
        put(names, Linux.ENOTEMPTY(), "ENOTEMPTY");
        put(names, Linux.ELOOP(), "ELOOP");
        put(names, Linux.ETIME(), "ETIME");
        put(names, Linux.EOVERFLOW(), "EOVERFLOW");
        put(names, Linux.EBADFD(), "EBADFD");
        put(names, Linux.ENOTSOCK(), "ENOTSOCK");
        put(names, Linux.EDESTADDRREQ(), "EDESTADDRREQ");
        put(names, Linux.EMSGSIZE(), "EMSGSIZE");
        put(names, Linux.EPROTOTYPE(), "EPROTOTYPE");
        put(names, Linux.ENOPROTOOPT(), "ENOPROTOOPT");
        put(names, Linux.EPROTONOSUPPORT(), "EPROTONOSUPPORT");
        put(names, Linux.ESOCKTNOSUPPORT(), "ESOCKTNOSUPPORT");
        put(names, Linux.EOPNOTSUPP(), "EOPNOTSUPP");
        put(names, Linux.ENOTSUP(), "ENOTSUP");
        put(names, Linux.EPFNOSUPPORT(), "EPFNOSUPPORT");
        put(names, Linux.EAFNOSUPPORT(), "EAFNOSUPPORT");
        put(names, Linux.EADDRINUSE(), "EADDRINUSE");
        put(names, Linux.EADDRNOTAVAIL(), "EADDRNOTAVAIL");
        put(names, Linux.ENETDOWN(), "ENETDOWN");
        put(names, Linux.ENETUNREACH(), "ENETUNREACH");
        put(names, Linux.ENETRESET(), "ENETRESET");
        put(names, Linux.ECONNABORTED(), "ECONNABORTED");
        put(names, Linux.ECONNRESET(), "ECONNRESET");
        put(names, Linux.ENOBUFS(), "ENOBUFS");
        put(names, Linux.EISCONN(), "EISCONN");
        put(names, Linux.ENOTCONN(), "ENOTCONN");
        put(names, Linux.ESHUTDOWN(), "ESHUTDOWN");
        put(names, Linux.ETIMEDOUT(), "ETIMEDOUT");
        put(names, Linux.ECONNREFUSED(), "ECONNREFUSED");
        put(names, Linux.EHOSTDOWN(), "EHOSTDOWN");
        put(names, Linux.EHOSTUNREACH(), "EHOSTUNREACH");
        put(names, Linux.EALREADY(), "EALREADY");
        put(names, Linux.EINPROGRESS(), "EINPROGRESS");
        put(names, Linux.ECANCELED(), "ECANCELED");
        put(names, Linux.EPROTO(), "EPROTO");
        return names;
    }

    /** The first name wins, so aliases (EWOULDBLOCK, ENOTSUP) keep the name Linux prints. */
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
