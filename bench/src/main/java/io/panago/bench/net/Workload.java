package io.panago.bench.net;

import java.util.List;

/**
 * One echo workload: groups of connections that the load client drives at once. Each
 * connection keeps {@code inFlight} messages of {@code messageSize} bytes outstanding and
 * issues a new one as soon as one comes back; the first group is the one reported, a
 * second one (if any) is a probe whose latency shows how the server treats a light
 * connection beside heavy ones.
 */
record Workload(String name, String description, List<Group> groups) {

    /** {@code connections} connections, each with {@code inFlight} messages outstanding. */
    record Group(int connections, int messageSize, int inFlight) {
        Group {
            if (connections < 1 || messageSize < 1 || inFlight < 1) {
                throw new IllegalArgumentException("connections, messageSize and inFlight must be >= 1");
            }
        }
    }

    Workload {
        if (groups.isEmpty() || groups.size() > 2) {
            throw new IllegalArgumentException("a workload has a main group and at most one probe");
        }
        groups = List.copyOf(groups);
    }

    Group main() {
        return groups.getFirst();
    }

    Group probe() {
        return groups.size() > 1 ? groups.get(1) : null;
    }

    int connections() {
        return groups.stream().mapToInt(Group::connections).sum();
    }

    static final int SMALL = 64;
    static final int BULK = 64 * 1024;

    /** The workloads: ping-pong at 1, 100, 1,000 connections, 16 in flight, bulk. */
    static List<Workload> standard() {
        return List.of(
                pingPong(1), pingPong(100), pingPong(1000),
                pipelined(100), pipelined(1000),
                bulk(10));
    }

    /** Small versions of the same shapes, for tests and a smoke run. */
    static List<Workload> quick() {
        return List.of(pingPong(1), pingPong(10), pipelined(10), bulk(2));
    }

    static Workload pingPong(int connections) {
        return new Workload("pingpong-" + connections,
                "ping-pong, " + connections + " connection" + (connections == 1 ? "" : "s")
                        + " × 64 B, 1 in flight",
                List.of(new Group(connections, SMALL, 1)));
    }

    static Workload pipelined(int connections) {
        return new Workload("pipelined-" + connections,
                "pipelined, " + connections + " connections × 64 B, 16 in flight each",
                List.of(new Group(connections, SMALL, 16)));
    }

    /** Bulk 64 KiB with 16 in flight, plus one 64 B ping-pong probe connection. */
    static Workload bulk(int connections) {
        return new Workload("bulk-" + connections,
                "bulk, " + connections + " connections × 64 KiB, 16 in flight each"
                        + " (+1 probe connection, 64 B ping-pong)",
                List.of(new Group(connections, BULK, 16), new Group(1, SMALL, 1)));
    }
}
