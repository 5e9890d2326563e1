package io.panago.net;

import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressesTest {
    private static void splits(String address, String host, int port) {
        Addresses.HostPort hp = Addresses.split(address);
        assertEquals(host, hp.host(), address);
        assertEquals(port, hp.port(), address);
    }

    private static void rejects(String address, String why) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Addresses.split(address), address);
        assertEquals("address " + address + ": " + why, e.getMessage());
    }

    @Test
    void splitsHostAndPortAsGoSplitHostPort() {
        splits("127.0.0.1:8080", "127.0.0.1", 8080);
        splits("localhost:0", "localhost", 0);
        splits(":80", "", 80);
        splits("[::1]:443", "::1", 443);
        splits("[fe80::1%lo]:9", "fe80::1%lo", 9);
        splits("[::]:65535", "::", 65535);
        splits("example.com:00022", "example.com", 22);
    }

    @Test
    void rejectsMalformedAddressesWithGosWording() {
        rejects("127.0.0.1", "missing port in address");
        rejects("::1:80", "too many colons in address");
        rejects("[::1]", "missing port in address");
        rejects("[::1]80", "missing port in address");
        rejects("[::1]:80:81", "too many colons in address");
        rejects("[::1:80", "missing ']' in address");
        rejects("a]:80", "unexpected ']' in address");
        rejects("a[b:80", "unexpected '[' in address");
        rejects("host:", "invalid port");
        rejects("host:http", "invalid port");
        rejects("host:-1", "invalid port");
        rejects("host:65536", "invalid port");
        rejects("host:123456", "invalid port");
    }

    @Test
    void literalsNeverReachTheResolver() throws Exception {
        assertInstanceOf(Inet4Address.class, Addresses.literal("10.1.2.3"));
        assertInstanceOf(Inet6Address.class, Addresses.literal("::1"));
        assertNull(Addresses.literal("localhost"));
        assertNull(Addresses.literal("1.example"));
        assertNull(Addresses.literal(""));
        List<InetSocketAddress> r = Addresses.resolve("[2001:db8::7]:53", InetAddress.getLoopbackAddress());
        assertEquals(List.of(new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 53)), r);
    }

    /**
     * IPv4 literals are Go's dotted decimal only: the forms that older parsers read differently
     * (0177 octal or decimal, "127.1", one number) fail as an unknown host, as in Go, never
     * binding or dialling some other address; bind and connect say so.
     */
    @Test
    void ambiguousIpv4FormsAreRefusedAsInGo() throws Exception {
        assertEquals(InetAddress.getByName("0.0.0.0"), Addresses.literal("0.0.0.0"));
        assertEquals(InetAddress.getByName("255.255.255.255"), Addresses.literal("255.255.255.255"));
        assertEquals(InetAddress.getByName("127.0.0.10"), Addresses.literal("127.0.0.10"));
        for (String host : new String[] {"0177.0.0.1", "127.1", "2130706433", "127.0.0.01", "256.0.0.1",
                "1.2.3.4.5", "1..2.3", "1.2.3.", "1234.0.0.1"}) {
            UnknownHostException e = assertThrows(UnknownHostException.class, () -> Addresses.literal(host), host);
            assertTrue(e.getMessage().startsWith("lookup " + host + ": not an IPv4 address in dotted decimal"),
                    e.getMessage());
            assertThrows(UnknownHostException.class, () -> TcpListener.bind(host + ":0"), host);
            assertThrows(UnknownHostException.class, () -> TcpStream.connect(host + ":9"), host);
        }
    }

    /** A failed lookup names the host even where the JDK's own message does not. */
    @Test
    void aFailedLookupNamesTheHost() {
        UnknownHostException e = assertThrows(UnknownHostException.class,
                () -> TcpStream.connect("[fe80::1%nosuch0]:9"));
        assertTrue(e.getMessage().startsWith("lookup fe80::1%nosuch0: "), e.getMessage());
        e = assertThrows(UnknownHostException.class, () -> TcpListener.bind("nosuch.invalid:0"));
        assertTrue(e.getMessage().contains("nosuch.invalid"), e.getMessage());
    }

    @Test
    void emptyHostStandsForTheGivenDefault() throws Exception {
        InetAddress any = InetAddress.getByAddress(new byte[16]);
        assertEquals(List.of(new InetSocketAddress(any, 7)), Addresses.resolve(":7", any));
    }

    @Test
    void namesResolveToEveryAddress() throws Exception {
        List<InetSocketAddress> r = Addresses.resolve("localhost:99", null);
        assertTrue(!r.isEmpty() && r.stream().allMatch(a -> a.getAddress().isLoopbackAddress()
                && a.getPort() == 99), r.toString());
        assertTrue(Addresses.resolve(InetSocketAddress.createUnresolved("localhost", 5), null)
                .stream().allMatch(a -> !a.isUnresolved() && a.getPort() == 5));
    }

    @Test
    void formatsAsGoPrintsAddresses() throws Exception {
        assertEquals("127.0.0.1:80", io.panago.net.poll.SockAddr.format(new InetSocketAddress("127.0.0.1", 80)));
        assertEquals("[::1]:80", io.panago.net.poll.SockAddr.format(new InetSocketAddress("::1", 80)));
    }
}
