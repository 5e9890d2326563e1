package io.panago.bench.net;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The echo benchmark's report: the run's facts, then one Markdown table per workload. */
final class Report {
    private static final String REFERENCE = "c-epoll";

    private Report() {
    }

    static void print(EchoBench.Run run, String command, PrintStream out) {
        EchoBench.Options o = run.options();
        out.println("## Echo benchmark");
        out.println();
        out.println("- command: `" + command + "`");
        String pinning = !run.pinned() ? "nothing pinned"
                : o.connectPort() > 0 ? "the load client pinned to CPU " + o.clientCpu()
                : "each server pinned to CPU " + o.serverCpu() + ", the load client to CPU " + o.clientCpu();
        out.println("- machine: " + machine() + "; " + pinning);
        out.println("- servers: " + String.join("; ", run.versions()));
        out.printf(Locale.ROOT, "- per workload: %.1f s warm-up, %.1f s measured; load average %.2f before, %.2f after%n",
                o.warmup().toMillis() / 1e3, o.measure().toMillis() / 1e3, run.loadBefore(), run.loadAfter());
        for (EchoBench.Skipped s : run.skipped()) {
            out.println("- " + s.server() + " skipped: " + s.reason());
        }
        out.println();
        out.println("msgs/s and MB/s count echoed messages and bytes (one direction). Latency runs from the moment");
        out.println("the client issues a message to the read that completes its echo. server CPU/msg is the server");
        out.println("process's user+system time over the window divided by messages; server CPU is that time as a");
        out.println("share of one core, client CPU the load client's (its whole JVM's): a server well below 100%");
        out.println("while the client is near it was paced by the client, and its CPU/msg is the figure to compare.");
        for (Workload w : o.workloads()) {
            out.println();
            out.println("### " + w.name() + ": " + w.description());
            out.println();
            table(w, run.results().stream().filter(r -> r.workload().equals(w)).toList(), out);
        }
    }

    private static void table(Workload w, List<EchoBench.Result> rows, PrintStream out) {
        boolean probe = w.probe() != null;
        LoadClient.Measurement ref = rows.stream()
                .filter(r -> r.ok() && r.server().equals(REFERENCE)).map(EchoBench.Result::measurement)
                .findFirst().orElse(null);
        out.println("| server | msgs/s | " + (ref != null ? "vs " + REFERENCE + " | " : "") + "MB/s | p50 | p99 | max | "
                + (probe ? "probe p50 | probe p99 | " : "") + "server CPU/msg | server CPU | client CPU | notes |");
        out.println("|---|---:|" + (ref != null ? "---:|" : "") + "---:|---:|---:|---:|" + (probe ? "---:|---:|" : "")
                + "---:|---:|---:|---|");
        for (EchoBench.Result r : rows) {
            StringBuilder b = new StringBuilder("| ").append(r.server()).append(" | ");
            if (!r.ok()) {
                int blanks = 9 + (ref != null ? 1 : 0) + (probe ? 2 : 0);
                b.append("— | ".repeat(blanks)).append("FAILED: ").append(r.error().lines().findFirst().orElse(""))
                        .append(" |");
                out.println(b);
                continue;
            }
            LoadClient.Measurement m = r.measurement();
            b.append(count(m.messagesPerSecond())).append(" | ");
            if (ref != null) {
                b.append(String.format(Locale.ROOT, "%.2f×", m.messagesPerSecond() / ref.messagesPerSecond())).append(" | ");
            }
            b.append(String.format(Locale.ROOT, "%.1f", m.megabytesPerSecond())).append(" | ")
                    .append(latency(m.latency().percentile(0.50))).append(" | ")
                    .append(latency(m.latency().percentile(0.99))).append(" | ")
                    .append(latency(m.latency().max())).append(" | ");
            if (probe) {
                b.append(latency(m.probeLatency().percentile(0.50))).append(" | ")
                        .append(latency(m.probeLatency().percentile(0.99))).append(" | ");
            }
            b.append(m.serverCpuNanos() < 0 ? "—" : latency(Math.round(m.serverCpuPerMessage()))).append(" | ")
                    .append(m.serverCpuNanos() < 0 ? "—" : String.format(Locale.ROOT, "%.0f%%", 100 * m.serverCpuShare()))
                    .append(" | ")
                    .append(String.format(Locale.ROOT, "%.0f%%", 100 * m.clientCpuShare())).append(" | ")
                    .append(m.starved() == 0 ? "" : m.starved() + " connection(s) got no echo in the window")
                    .append(" |");
            out.println(b);
        }
    }

    /** A rate with thousands separators: 171,234. */
    static String count(double perSecond) {
        return String.format(Locale.ROOT, "%,d", Math.round(perSecond));
    }

    /** A duration in nanoseconds, in the unit that reads best: 850 ns, 4.2 µs, 57 µs, 1.34 ms, 83 ms. */
    static String latency(long nanos) {
        if (nanos < 1_000) {
            return nanos + " ns";
        }
        if (nanos < 10_000) {
            return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
        }
        if (nanos < 1_000_000) {
            return String.format(Locale.ROOT, "%.0f µs", nanos / 1e3);
        }
        if (nanos < 10_000_000) {
            return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        }
        if (nanos < 10_000_000_000L) {
            return String.format(Locale.ROOT, "%.0f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    private static String machine() {
        String cpu = "?";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        } catch (IOException e) {
            // not Linux: the model stays unknown
        }
        long cpus;
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpus = lines.filter(l -> l.startsWith("processor")).count();
        } catch (IOException e) {
            cpus = Runtime.getRuntime().availableProcessors();
        }
        return System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch") + ", " + cpus + " CPUs (" + cpu + ")";
    }
}
