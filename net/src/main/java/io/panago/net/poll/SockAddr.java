package io.panago.net.poll;

import io.panago.bindings.linux.Linux;
import io.panago.bindings.linux.sockaddr_in;
import io.panago.bindings.linux.sockaddr_in6;
import io.panago.bindings.linux.sockaddr_storage;

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
 * address bytes are in network byte order, the family in host order.
 */
public final class SockAddr {
    private SockAddr() {}

    public static final int AF_INET = Linux.AF_INET();
    public static final int AF_INET6 = Linux.AF_INET6();

    /** Bytes a buffer needs to hold any address {@link #decode} understands. */
    public static final long MAX_SIZE = sockaddr_storage.sizeof();

    private static final ValueLayout.OfShort PORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

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
        InetAddress a = addr.getAddress();
        byte[] ip = a.getAddress();
        if (family == AF_INET) {
            sockaddr_in.sin_family(seg, (short) AF_INET);
            seg.set(PORT, sockaddr_in.sin_port$offset(), (short) addr.getPort());
            MemorySegment.copy(ip, 0, seg, ValueLayout.JAVA_BYTE, sockaddr_in.sin_addr$offset(), 4);
            return (int) sockaddr_in.sizeof();
        }
        sockaddr_in6.sin6_family(seg, (short) AF_INET6);
        seg.set(PORT, sockaddr_in6.sin6_port$offset(), (short) addr.getPort());
        long at = sockaddr_in6.sin6_addr$offset();
        if (ip.length == 4) {
            seg.set(ValueLayout.JAVA_BYTE, at + 10, (byte) 0xff);
            seg.set(ValueLayout.JAVA_BYTE, at + 11, (byte) 0xff);
            MemorySegment.copy(ip, 0, seg, ValueLayout.JAVA_BYTE, at + 12, 4);
        } else {
            MemorySegment.copy(ip, 0, seg, ValueLayout.JAVA_BYTE, at, 16);
            if (a instanceof Inet6Address v6 && v6.getScopeId() != 0) {
                sockaddr_in6.sin6_scope_id(seg, v6.getScopeId());
            }
        }
        return (int) sockaddr_in6.sizeof();
    }

    /** The address the kernel wrote into {@code seg}, or null for an unknown family. */
    public static InetSocketAddress decode(MemorySegment seg) {
        int family = sockaddr_in.sin_family(seg);
        try {
            if (family == AF_INET) {
                byte[] ip = new byte[4];
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, sockaddr_in.sin_addr$offset(), ip, 0, 4);
                int port = Short.toUnsignedInt(seg.get(PORT, sockaddr_in.sin_port$offset()));
                return new InetSocketAddress(InetAddress.getByAddress(ip), port);
            }
            if (family == AF_INET6) {
                byte[] ip = new byte[16];
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, sockaddr_in6.sin6_addr$offset(), ip, 0, 16);
                int port = Short.toUnsignedInt(seg.get(PORT, sockaddr_in6.sin6_port$offset()));
                int scope = sockaddr_in6.sin6_scope_id(seg);
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
