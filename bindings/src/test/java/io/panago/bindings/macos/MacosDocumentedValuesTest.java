package io.panago.bindings.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.panago.bindings.HeaderShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Every constant, struct size and field offset of {@code io.panago.bindings.macos} against the
 * values the macOS SDK headers define, transcribed here by header (no macOS compiler runs in CI).
 * The constants were cross-checked against golang.org/x/sys/unix's zerrors_darwin_arm64.go, which
 * is generated from the SDK headers; the layouts follow from the header declarations under the
 * LP64 rules (natural alignment, 8-byte long and pointer). The tables are the reference; the test
 * also requires the package and the tables to name exactly the same things.
 */
class MacosDocumentedValuesTest {

    private static final HeaderShape SHAPE = HeaderShape.of(Macos.class);

    private static final Map<String, Long> CONSTANTS = new TreeMap<>();

    private static void header(String name, Object... nameValuePairs) {
        for (int i = 0; i < nameValuePairs.length; i += 2) {
            CONSTANTS.put((String) nameValuePairs[i], ((Number) nameValuePairs[i + 1]).longValue());
        }
    }

    static {
        header("<sys/errno.h>",
                "EPERM", 0x1, "ENOENT", 0x2, "ESRCH", 0x3, "EINTR", 0x4, "EIO", 0x5, "ENXIO", 0x6, "E2BIG", 0x7,
                "EBADF", 0x9, "ECHILD", 0xa, "EDEADLK", 0xb, "ENOMEM", 0xc, "EACCES", 0xd, "EFAULT", 0xe,
                "EBUSY", 0x10, "EEXIST", 0x11, "ENODEV", 0x13, "ENOTDIR", 0x14, "EISDIR", 0x15, "EINVAL", 0x16,
                "ENFILE", 0x17, "EMFILE", 0x18, "ENOTTY", 0x19, "EFBIG", 0x1b, "ENOSPC", 0x1c, "ESPIPE", 0x1d,
                "EROFS", 0x1e, "EPIPE", 0x20, "ERANGE", 0x22, "EAGAIN", 0x23, "EWOULDBLOCK", 0x23,
                "EINPROGRESS", 0x24, "EALREADY", 0x25, "ENOTSOCK", 0x26, "EDESTADDRREQ", 0x27, "EMSGSIZE", 0x28,
                "EPROTOTYPE", 0x29, "ENOPROTOOPT", 0x2a, "EPROTONOSUPPORT", 0x2b, "ESOCKTNOSUPPORT", 0x2c,
                "ENOTSUP", 0x2d, "EPFNOSUPPORT", 0x2e, "EAFNOSUPPORT", 0x2f, "EADDRINUSE", 0x30,
                "EADDRNOTAVAIL", 0x31, "ENETDOWN", 0x32, "ENETUNREACH", 0x33, "ENETRESET", 0x34,
                "ECONNABORTED", 0x35, "ECONNRESET", 0x36, "ENOBUFS", 0x37, "EISCONN", 0x38, "ENOTCONN", 0x39,
                "ESHUTDOWN", 0x3a, "ETIMEDOUT", 0x3c, "ECONNREFUSED", 0x3d, "ELOOP", 0x3e, "ENAMETOOLONG", 0x3f,
                "EHOSTDOWN", 0x40, "EHOSTUNREACH", 0x41, "ENOTEMPTY", 0x42, "ENOSYS", 0x4e, "EOVERFLOW", 0x54,
                "ECANCELED", 0x59, "EPROTO", 0x64, "ETIME", 0x65, "EOPNOTSUPP", 0x66);
        header("<sys/event.h>",
                "EVFILT_READ", -0x1, "EVFILT_WRITE", -0x2, "EVFILT_AIO", -0x3, "EVFILT_VNODE", -0x4,
                "EVFILT_PROC", -0x5, "EVFILT_SIGNAL", -0x6, "EVFILT_TIMER", -0x7, "EVFILT_MACHPORT", -0x8,
                "EVFILT_FS", -0x9, "EVFILT_USER", -0xa, "EVFILT_VM", -0xc, "EVFILT_EXCEPT", -0xf,
                "EV_ADD", 0x1, "EV_DELETE", 0x2, "EV_ENABLE", 0x4, "EV_DISABLE", 0x8, "EV_ONESHOT", 0x10,
                "EV_CLEAR", 0x20, "EV_RECEIPT", 0x40, "EV_DISPATCH", 0x80, "EV_UDATA_SPECIFIC", 0x100,
                "EV_VANISHED", 0x200, "EV_SYSFLAGS", 0xf000, "EV_FLAG0", 0x1000, "EV_FLAG1", 0x2000,
                "EV_EOF", 0x8000, "EV_ERROR", 0x4000, "EV_OOBAND", 0x2000, "EV_POLL", 0x1000,
                "NOTE_TRIGGER", 0x1000000, "NOTE_FFNOP", 0x0, "NOTE_FFAND", 0x40000000, "NOTE_FFOR", 0x80000000,
                "NOTE_FFCOPY", 0xc0000000, "NOTE_FFCTRLMASK", 0xc0000000, "NOTE_FFLAGSMASK", 0xffffff,
                "NOTE_LOWAT", 0x1);
        header("<sys/socket.h>",
                "AF_UNSPEC", 0x0, "AF_UNIX", 0x1, "AF_INET", 0x2, "AF_INET6", 0x1e, "SOCK_STREAM", 0x1,
                "SOCK_DGRAM", 0x2, "SOCK_RAW", 0x3, "SOL_SOCKET", 0xffff, "SO_ACCEPTCONN", 0x2,
                "SO_REUSEADDR", 0x4, "SO_KEEPALIVE", 0x8, "SO_BROADCAST", 0x20, "SO_LINGER", 0x80,
                "SO_REUSEPORT", 0x200, "SO_SNDBUF", 0x1001, "SO_RCVBUF", 0x1002, "SO_SNDLOWAT", 0x1003,
                "SO_RCVLOWAT", 0x1004, "SO_ERROR", 0x1007, "SO_TYPE", 0x1008, "SO_NOSIGPIPE", 0x1022,
                "SO_LINGER_SEC", 0x1080, "SOMAXCONN", 0x80, "MSG_PEEK", 0x2, "MSG_WAITALL", 0x40,
                "MSG_DONTWAIT", 0x80, "MSG_NOSIGNAL", 0x80000, "SHUT_RD", 0x0, "SHUT_WR", 0x1, "SHUT_RDWR", 0x2);
        header("<netinet/in.h>, <netinet6/in6.h>, <netinet/tcp.h>",
                "IPPROTO_IP", 0x0, "IPPROTO_TCP", 0x6, "IPPROTO_UDP", 0x11, "IPPROTO_IPV6", 0x29,
                "IPV6_V6ONLY", 0x1b, "INADDR_ANY", 0x0, "INADDR_LOOPBACK", 0x7f000001, "INET_ADDRSTRLEN", 16,
                "INET6_ADDRSTRLEN", 46, "TCP_NODELAY", 0x1, "TCP_KEEPALIVE", 0x10, "TCP_KEEPINTVL", 0x101,
                "TCP_KEEPCNT", 0x102);
        header("<sys/fcntl.h>",
                "O_RDONLY", 0x0, "O_WRONLY", 0x1, "O_RDWR", 0x2, "O_NONBLOCK", 0x4, "O_CLOEXEC", 0x1000000,
                "F_DUPFD", 0x0, "F_GETFD", 0x1, "F_SETFD", 0x2, "F_GETFL", 0x3, "F_SETFL", 0x4,
                "F_DUPFD_CLOEXEC", 0x43, "FD_CLOEXEC", 0x1);
        header("<sys/poll.h>",
                "POLLIN", 0x1, "POLLPRI", 0x2, "POLLOUT", 0x4, "POLLERR", 0x8, "POLLHUP", 0x10, "POLLNVAL", 0x20);
        header("<sys/filio.h>", "FIONREAD", 0x4004667f);
    }

    /** struct -> size, then field -> offset, in declaration order. */
    private static final Map<String, Map<String, Long>> LAYOUTS = new TreeMap<>();

    private static void struct(String name, long size, Object... fieldOffsetPairs) {
        Map<String, Long> m = new TreeMap<>();
        m.put("sizeof", size);
        for (int i = 0; i < fieldOffsetPairs.length; i += 2) {
            m.put((String) fieldOffsetPairs[i], ((Number) fieldOffsetPairs[i + 1]).longValue());
        }
        LAYOUTS.put(name, m);
    }

    static {
        // <sys/event.h>: uintptr_t ident; int16_t filter; uint16_t flags; uint32_t fflags;
        // intptr_t data; void *udata;
        struct("kevent", 32, "ident", 0, "filter", 8, "flags", 10, "fflags", 12, "data", 16, "udata", 24);
        // <sys/_types/_timespec.h>: __darwin_time_t tv_sec; long tv_nsec;
        struct("timespec", 16, "tv_sec", 0, "tv_nsec", 8);
        // <netinet/in.h>
        struct("in_addr", 4, "s_addr", 0);
        struct("sockaddr_in", 16, "sin_len", 0, "sin_family", 1, "sin_port", 2, "sin_addr", 4, "sin_zero", 8);
        // <netinet6/in6.h>: union { __uint8_t[16]; __uint16_t[8]; __uint32_t[4]; } __u6_addr;
        struct("in6_addr", 16, "__u6_addr", 0);
        struct("in6_addr.__u6_addr", 16, "__u6_addr8", 0, "__u6_addr16", 0, "__u6_addr32", 0);
        struct("sockaddr_in6", 28, "sin6_len", 0, "sin6_family", 1, "sin6_port", 2, "sin6_flowinfo", 4,
                "sin6_addr", 8, "sin6_scope_id", 24);
        // <sys/socket.h>
        struct("sockaddr", 16, "sa_len", 0, "sa_family", 1, "sa_data", 2);
        struct("sockaddr_storage", 128, "ss_len", 0, "ss_family", 1, "__ss_pad1", 2, "__ss_align", 8,
                "__ss_pad2", 16);
        struct("linger", 8, "l_onoff", 0, "l_linger", 4);
        // <sys/_types/_iovec_t.h>, <sys/poll.h>
        struct("iovec", 16, "iov_base", 0, "iov_len", 8);
        struct("pollfd", 8, "fd", 0, "events", 4, "revents", 6);
    }

    @Test
    void everyConstantHasTheValueTheMacosHeadersDefine() {
        Map<String, HeaderShape.Constant> bound = SHAPE.constants();
        assertEquals(CONSTANTS.keySet(), bound.keySet(), "the package and the documented table name the same constants");
        List<String> wrong = new ArrayList<>();
        CONSTANTS.forEach((name, value) -> {
            if ((int) (long) value != (int) bound.get(name).asLong()) {
                wrong.add(name + ": documented " + value + ", bound " + bound.get(name).value());
            }
        });
        assertEquals(List.of(), wrong);
    }

    @Test
    void everyStructHasTheSizeAndOffsetsOfTheMacosHeaders() {
        Map<String, Map<String, Long>> bound = new TreeMap<>();
        for (HeaderShape.Struct s : SHAPE.structs()) {
            Map<String, Long> m = new TreeMap<>();
            m.put("sizeof", s.size());
            s.fields().forEach(f -> m.put(f.name(), f.offset()));
            bound.put(s.cPath(), m);
        }
        assertEquals(LAYOUTS, bound);
    }

    @Test
    void macosDiffersFromLinuxWhereTheIssueSaysItDoes() {
        assertEquals(-10, Macos.EVFILT_USER());
        assertEquals(0xffff, Macos.SOL_SOCKET());
        assertEquals(32, kevent.sizeof());
        assertEquals(1, sockaddr_in.sin_family$offset(), "sockaddr starts with sin_len");
    }

    @Test
    void errnoNamesEveryErrnoConstant() {
        assertEquals(List.of(), SHAPE.misnamed(n -> n.matches("E[A-Z0-9]+") && !n.startsWith("EV"), Errno::name));
        assertEquals("EAGAIN", Errno.name(35));
    }

    @Test
    void macosErrnoHasACapturingVariantOfEveryFixedArityFunction() {
        assertEquals(List.of(), SHAPE.missingVariants(MacosErrno.class, java.util.Set.of("__error")));
    }

    @Test
    void jextractCommandLineNamesExactlyWhatThePackageBinds() throws java.io.IOException {
        assertEquals(List.of(), io.panago.bindings.JextractScript.differences(
                java.nio.file.Path.of("jextract", "macos.sh"), SHAPE, java.util.Set.of()));
    }
}
