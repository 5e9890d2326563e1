package io.panago.net.poll;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * {@code struct sockaddr_in}/{@code sockaddr_in6} to and from {@link InetSocketAddress}
 * (Go: syscall's {@code SockaddrInet4.sockaddr} and {@code anyToSockaddr}). The port and the
 * address bytes are in network byte order, the family (and the scope id) in host order.
 *
 * <p>Linux and macOS put the port, the address and the scope id at the same offsets; they
 * differ in the header: Linux starts with a 2-byte {@code sa_family_t}, macOS (BSD) with a
 * 1-byte {@code sin_len} then a 1-byte family, and the numbers of {@code AF_INET6} differ
 * (10 and 30; Windows, with Linux's header, 23). {@link Codec} holds one OS's variant;
 * {@link Sys} picks the one in use.
 */
public final class SockAddr {
    private SockAddr() {}

    private static final ValueLayout.OfShort PORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** One OS's {@code sockaddr} encoding, with the offsets of its bindings' structs. */
    static final class Codec {
        static final Codec LINUX = new Codec(io.panago.bindings.linux.Linux.AF_INET(),
                io.panago.bindings.linux.Linux.AF_INET6(), false,
                io.panago.bindings.linux.sockaddr_in.sin_family$offset(),
                io.panago.bindings.linux.sockaddr_in.sizeof(),
                io.panago.bindings.linux.sockaddr_in.sin_port$offset(),
                io.panago.bindings.linux.sockaddr_in.sin_addr$offset(),
                io.panago.bindings.linux.sockaddr_in6.sizeof(),
                io.panago.bindings.linux.sockaddr_in6.sin6_port$offset(),
                io.panago.bindings.linux.sockaddr_in6.sin6_addr$offset(),
                io.panago.bindings.linux.sockaddr_in6.sin6_scope_id$offset(),
                io.panago.bindings.linux.sockaddr_storage.sizeof());
        static final Codec MACOS = new Codec(io.panago.bindings.macos.Macos.AF_INET(),
                io.panago.bindings.macos.Macos.AF_INET6(), true,
                io.panago.bindings.macos.sockaddr_in.sin_family$offset(),
                io.panago.bindings.macos.sockaddr_in.sizeof(),
                io.panago.bindings.macos.sockaddr_in.sin_port$offset(),
                io.panago.bindings.macos.sockaddr_in.sin_addr$offset(),
                io.panago.bindings.macos.sockaddr_in6.sizeof(),
                io.panago.bindings.macos.sockaddr_in6.sin6_port$offset(),
                io.panago.bindings.macos.sockaddr_in6.sin6_addr$offset(),
                io.panago.bindings.macos.sockaddr_in6.sin6_scope_id$offset(),
                io.panago.bindings.macos.sockaddr_storage.sizeof());

        /** Windows: Linux's layout (a 2-byte family, no length byte), but AF_INET6 is 23. */
        static final Codec WINDOWS = new Codec(io.panago.bindings.windows.Windows.AF_INET(),
                io.panago.bindings.windows.Windows.AF_INET6(), false,
                io.panago.bindings.windows.sockaddr_in.sin_family$offset(),
                io.panago.bindings.windows.sockaddr_in.sizeof(),
                io.panago.bindings.windows.sockaddr_in.sin_port$offset(),
                io.panago.bindings.windows.sockaddr_in.sin_addr$offset(),
                io.panago.bindings.windows.sockaddr_in6.sizeof(),
                io.panago.bindings.windows.sockaddr_in6.sin6_port$offset(),
                io.panago.bindings.windows.sockaddr_in6.sin6_addr$offset(),
                io.panago.bindings.windows.sockaddr_in6.sin6_scope_id$offset(),
                io.panago.bindings.windows.sockaddr_storage.sizeof());

        final int afInet, afInet6;
        /** BSD: a length byte before a 1-byte family; Linux: a 2-byte family. */
        final boolean lengthByte;
        final long family, in4Size, port4, addr4, in6Size, port6, addr6, scope6, maxSize;

        private Codec(int afInet, int afInet6, boolean lengthByte, long family, long in4Size,
                long port4, long addr4, long in6Size, long port6, long addr6, long scope6,
                long maxSize) {
            this.afInet = afInet;
            this.afInet6 = afInet6;
            this.lengthByte = lengthByte;
            this.family = family;
            this.in4Size = in4Size;
            this.port4 = port4;
            this.addr4 = addr4;
            this.in6Size = in6Size;
            this.port6 = port6;
            this.addr6 = addr6;
            this.scope6 = scope6;
            this.maxSize = maxSize;
        }

        private void header(MemorySegment seg, int af, long size) {
            if (lengthByte) {
                seg.set(ValueLayout.JAVA_BYTE, family - 1, (byte) size);
                seg.set(ValueLayout.JAVA_BYTE, family, (byte) af);
            } else {
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, family, (short) af);
            }
        }

        /** See {@link SockAddr#encode}. */
        int encode(MemorySegment seg, InetSocketAddress addr, int af) {
            InetAddress a = addr.getAddress();
            byte[] ip = a.getAddress();
            if (af == afInet) {
                header(seg, af, in4Size);
                seg.set(PORT, port4, (short) addr.getPort());
                MemorySegment.copy(ip, 0, seg, ValueLayout.JAVA_BYTE, addr4, 4);
                return (int) in4Size;
            }
            header(seg, af, in6Size);
            seg.set(PORT, port6, (short) addr.getPort());
            if (ip.length == 4) {
                seg.set(ValueLayout.JAVA_BYTE, addr6 + 10, (byte) 0xff);
                seg.set(ValueLayout.JAVA_BYTE, addr6 + 11, (byte) 0xff);
                MemorySegment.copy(ip, 0, seg, ValueLayout.JAVA_BYTE, addr6 + 12, 4);
            } else {
                MemorySegment.copy(ip, 0, seg, ValueLayout.JAVA_BYTE, addr6, 16);
                if (a instanceof Inet6Address v6 && v6.getScopeId() != 0) {
                    seg.set(ValueLayout.JAVA_INT_UNALIGNED, scope6, v6.getScopeId());
                }
            }
            return (int) in6Size;
        }

        /** See {@link SockAddr#decode}. */
        InetSocketAddress decode(MemorySegment seg) {
            int af = lengthByte ? Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, family))
                    : Short.toUnsignedInt(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, family));
            try {
                if (af == afInet) {
                    byte[] ip = new byte[4];
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, addr4, ip, 0, 4);
                    int port = Short.toUnsignedInt(seg.get(PORT, port4));
                    return new InetSocketAddress(InetAddress.getByAddress(ip), port);
                }
                if (af == afInet6) {
                    byte[] ip = new byte[16];
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, addr6, ip, 0, 16);
                    int port = Short.toUnsignedInt(seg.get(PORT, port6));
                    int scope = seg.get(ValueLayout.JAVA_INT_UNALIGNED, scope6);
                    // getByAddress turns an IPv4-mapped address into an Inet4Address, as Go's To4 does.
                    InetAddress a = scope != 0 && !isMapped(ip)
                            ? Inet6Address.getByAddress(null, ip, scope)
                            : InetAddress.getByAddress(ip);
                    return new InetSocketAddress(a, port);
                }
            } catch (UnknownHostException e) {
                throw new AssertionError("address of a valid length rejected", e);
            }
            return null;
        }
    }

    private static final Codec CODEC = Sys.WINDOWS ? Codec.WINDOWS : Sys.MACOS ? Codec.MACOS : Codec.LINUX;

    public static final int AF_INET = CODEC.afInet;
    public static final int AF_INET6 = CODEC.afInet6;

    /** Bytes a buffer needs to hold any address {@link #decode} understands. */
    public static final long MAX_SIZE = CODEC.maxSize;

    /** The address family a socket for {@code a} needs. */
    public static int family(InetAddress a) {
        return a instanceof Inet4Address ? AF_INET : AF_INET6;
    }

    /**
     * Writes {@code addr} into {@code seg} (at least {@link #MAX_SIZE} bytes, zeroed by the
     * caller) for a socket of {@code family}; an IPv4 address for an {@code AF_INET6} socket
     * becomes its IPv4-mapped form. Returns the length to pass to the kernel.
     */
    public static int encode(MemorySegment seg, InetSocketAddress addr, int family) {
        return CODEC.encode(seg, addr, family);
    }

    /** The address the kernel wrote into {@code seg}, or null for an unknown family. */
    public static InetSocketAddress decode(MemorySegment seg) {
        return CODEC.decode(seg);
    }

    private static boolean isMapped(byte[] ip) {
        for (int i = 0; i < 10; i++) {
            if (ip[i] != 0) {
                return false;
            }
        }
        return ip[10] == (byte) 0xff && ip[11] == (byte) 0xff;
    }

    /** {@code addr} as Go prints it: {@code 1.2.3.4:80}, {@code [::1]:80}, {@code ?} for null. */
    public static String format(InetSocketAddress addr) {
        if (addr == null) {
            return "?";
        }
        InetAddress a = addr.getAddress();
        if (a == null) {
            return addr.getHostString() + ":" + addr.getPort();
        }
        if (a instanceof Inet4Address) {
            return a.getHostAddress() + ":" + addr.getPort();
        }
        return "[" + compress(a.getAddress()) + scope(a) + "]:" + addr.getPort();
    }

    private static String scope(InetAddress a) {
        if (a instanceof Inet6Address v6) {
            if (v6.getScopedInterface() != null) {
                return "%" + v6.getScopedInterface().getName();
            }
            if (v6.getScopeId() != 0) {
                return "%" + v6.getScopeId();
            }
        }
        return "";
    }

    /** RFC 5952 text: lower-case hex, the longest run of two or more zero groups as "::". */
    private static String compress(byte[] ip) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((ip[2 * i] & 0xff) << 8) | (ip[2 * i + 1] & 0xff);
        }
        int best = -1, bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                best = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == best) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
