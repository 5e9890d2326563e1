package io.panago.bindings.windows;

import java.util.HashMap;
import java.util.Map;

/**
 * Names of the Windows and Winsock error codes this package binds ({@code "WSAECONNRESET"} for
 * 10054), so that error messages can say which error a call returned. Hand-kept beside the
 * jextract-shaped {@link Windows}: jextract emits constants, never a reverse table. Where a
 * Winsock name aliases a system one ({@code WSA_IO_PENDING} is {@code ERROR_IO_PENDING}) the
 * system name is kept.
 */
public final class WinError {

    private WinError() {
    }

    private static final Map<Integer, String> NAMES = new HashMap<>();

    static {
        NAMES.putIfAbsent(Windows.ERROR_SUCCESS(), "ERROR_SUCCESS");
        NAMES.putIfAbsent(Windows.ERROR_INVALID_HANDLE(), "ERROR_INVALID_HANDLE");
        NAMES.putIfAbsent(Windows.ERROR_NOT_ENOUGH_MEMORY(), "ERROR_NOT_ENOUGH_MEMORY");
        NAMES.putIfAbsent(Windows.ERROR_HANDLE_EOF(), "ERROR_HANDLE_EOF");
        NAMES.putIfAbsent(Windows.ERROR_NETNAME_DELETED(), "ERROR_NETNAME_DELETED");
        NAMES.putIfAbsent(Windows.ERROR_INVALID_PARAMETER(), "ERROR_INVALID_PARAMETER");
        NAMES.putIfAbsent(Windows.ERROR_BROKEN_PIPE(), "ERROR_BROKEN_PIPE");
        NAMES.putIfAbsent(Windows.ERROR_SEM_TIMEOUT(), "ERROR_SEM_TIMEOUT");
        NAMES.putIfAbsent(Windows.ERROR_MORE_DATA(), "ERROR_MORE_DATA");
        NAMES.putIfAbsent(Windows.ERROR_ABANDONED_WAIT_0(), "ERROR_ABANDONED_WAIT_0");
        NAMES.putIfAbsent(Windows.ERROR_OPERATION_ABORTED(), "ERROR_OPERATION_ABORTED");
        NAMES.putIfAbsent(Windows.ERROR_IO_INCOMPLETE(), "ERROR_IO_INCOMPLETE");
        NAMES.putIfAbsent(Windows.ERROR_IO_PENDING(), "ERROR_IO_PENDING");
        NAMES.putIfAbsent(Windows.ERROR_NOT_FOUND(), "ERROR_NOT_FOUND");
        NAMES.putIfAbsent(Windows.ERROR_CONNECTION_REFUSED(), "ERROR_CONNECTION_REFUSED");
        NAMES.putIfAbsent(Windows.ERROR_NETWORK_UNREACHABLE(), "ERROR_NETWORK_UNREACHABLE");
        NAMES.putIfAbsent(Windows.ERROR_HOST_UNREACHABLE(), "ERROR_HOST_UNREACHABLE");
        NAMES.putIfAbsent(Windows.ERROR_PORT_UNREACHABLE(), "ERROR_PORT_UNREACHABLE");
        NAMES.putIfAbsent(Windows.ERROR_CONNECTION_ABORTED(), "ERROR_CONNECTION_ABORTED");
        NAMES.putIfAbsent(Windows.WSA_IO_PENDING(), "WSA_IO_PENDING");
        NAMES.putIfAbsent(Windows.WSA_IO_INCOMPLETE(), "WSA_IO_INCOMPLETE");
        NAMES.putIfAbsent(Windows.WSA_OPERATION_ABORTED(), "WSA_OPERATION_ABORTED");
        NAMES.putIfAbsent(Windows.WSA_INVALID_HANDLE(), "WSA_INVALID_HANDLE");
        NAMES.putIfAbsent(Windows.WSA_INVALID_PARAMETER(), "WSA_INVALID_PARAMETER");
        NAMES.putIfAbsent(Windows.WSA_NOT_ENOUGH_MEMORY(), "WSA_NOT_ENOUGH_MEMORY");
        NAMES.putIfAbsent(Windows.WSAEINTR(), "WSAEINTR");
        NAMES.putIfAbsent(Windows.WSAEBADF(), "WSAEBADF");
        NAMES.putIfAbsent(Windows.WSAEACCES(), "WSAEACCES");
        NAMES.putIfAbsent(Windows.WSAEFAULT(), "WSAEFAULT");
        NAMES.putIfAbsent(Windows.WSAEINVAL(), "WSAEINVAL");
        NAMES.putIfAbsent(Windows.WSAEMFILE(), "WSAEMFILE");
        NAMES.putIfAbsent(Windows.WSAEWOULDBLOCK(), "WSAEWOULDBLOCK");
        NAMES.putIfAbsent(Windows.WSAEINPROGRESS(), "WSAEINPROGRESS");
        NAMES.putIfAbsent(Windows.WSAEALREADY(), "WSAEALREADY");
        NAMES.putIfAbsent(Windows.WSAENOTSOCK(), "WSAENOTSOCK");
        NAMES.putIfAbsent(Windows.WSAEDESTADDRREQ(), "WSAEDESTADDRREQ");
        NAMES.putIfAbsent(Windows.WSAEMSGSIZE(), "WSAEMSGSIZE");
        NAMES.putIfAbsent(Windows.WSAEPROTOTYPE(), "WSAEPROTOTYPE");
        NAMES.putIfAbsent(Windows.WSAENOPROTOOPT(), "WSAENOPROTOOPT");
        NAMES.putIfAbsent(Windows.WSAEPROTONOSUPPORT(), "WSAEPROTONOSUPPORT");
        NAMES.putIfAbsent(Windows.WSAESOCKTNOSUPPORT(), "WSAESOCKTNOSUPPORT");
        NAMES.putIfAbsent(Windows.WSAEOPNOTSUPP(), "WSAEOPNOTSUPP");
        NAMES.putIfAbsent(Windows.WSAEPFNOSUPPORT(), "WSAEPFNOSUPPORT");
        NAMES.putIfAbsent(Windows.WSAEAFNOSUPPORT(), "WSAEAFNOSUPPORT");
        NAMES.putIfAbsent(Windows.WSAEADDRINUSE(), "WSAEADDRINUSE");
        NAMES.putIfAbsent(Windows.WSAEADDRNOTAVAIL(), "WSAEADDRNOTAVAIL");
        NAMES.putIfAbsent(Windows.WSAENETDOWN(), "WSAENETDOWN");
        NAMES.putIfAbsent(Windows.WSAENETUNREACH(), "WSAENETUNREACH");
        NAMES.putIfAbsent(Windows.WSAENETRESET(), "WSAENETRESET");
        NAMES.putIfAbsent(Windows.WSAECONNABORTED(), "WSAECONNABORTED");
        NAMES.putIfAbsent(Windows.WSAECONNRESET(), "WSAECONNRESET");
        NAMES.putIfAbsent(Windows.WSAENOBUFS(), "WSAENOBUFS");
        NAMES.putIfAbsent(Windows.WSAEISCONN(), "WSAEISCONN");
        NAMES.putIfAbsent(Windows.WSAENOTCONN(), "WSAENOTCONN");
        NAMES.putIfAbsent(Windows.WSAESHUTDOWN(), "WSAESHUTDOWN");
        NAMES.putIfAbsent(Windows.WSAETIMEDOUT(), "WSAETIMEDOUT");
        NAMES.putIfAbsent(Windows.WSAECONNREFUSED(), "WSAECONNREFUSED");
        NAMES.putIfAbsent(Windows.WSAEHOSTUNREACH(), "WSAEHOSTUNREACH");
        NAMES.putIfAbsent(Windows.WSANOTINITIALISED(), "WSANOTINITIALISED");
        NAMES.putIfAbsent(Windows.WSAEDISCON(), "WSAEDISCON");
    }

    /** Codes by name, the reverse of {@link #NAMES} (aliases included). */
    private static final Map<String, Integer> CODES = new HashMap<>();

    static {
        NAMES.forEach((code, name) -> CODES.put(name, code));
        CODES.put("WSA_IO_PENDING", Windows.WSA_IO_PENDING());
        CODES.put("WSA_IO_INCOMPLETE", Windows.WSA_IO_INCOMPLETE());
        CODES.put("WSA_OPERATION_ABORTED", Windows.WSA_OPERATION_ABORTED());
        CODES.put("WSA_INVALID_HANDLE", Windows.WSA_INVALID_HANDLE());
        CODES.put("WSA_INVALID_PARAMETER", Windows.WSA_INVALID_PARAMETER());
        CODES.put("WSA_NOT_ENOUGH_MEMORY", Windows.WSA_NOT_ENOUGH_MEMORY());
    }

    /** {@return the code named {@code name} ({@code 10054} for {@code "WSAECONNRESET"}), or -1 if none is bound here} */
    public static int code(String name) {
        return CODES.getOrDefault(name, -1);
    }

    /** {@return the symbolic name of {@code code}, or {@code "error N"} for a code not bound here} */
    public static String name(int code) {
        String name = NAMES.get(code);
        return name != null ? name : "error " + code;
    }
}
