package io.panago.bench.net;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The echo benchmark's report: the run's facts, then one Markdown table per workload; with
 * several rounds, each round's tables and then the median of every cell over the rounds.
 */
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
        out.println("process's user+system time over the window divided by messages, user/msg the part of it spent");
        out.println("in user space (the rest is the kernel's); server CPU is that time as a share of one core,");
        out.println("client CPU the load client's (its whole JVM's): a server well below 100% while the client is");
        out.println("near it was paced by the client, and its CPU/msg is the figure to compare.");
        for (int round = 1; round <= o.rounds(); round++) {
            if (o.rounds() > 1) {
                out.println();
                out.println("## Round " + round + " of " + o.rounds());
            }
            for (Workload w : o.workloads()) {
                int k = round;
                out.println();
                out.println("### " + w.name() + ": " + w.description() + (o.rounds() > 1 ? " (round " + k + ")" : ""));
                out.println();
                table(w, run.results().stream().filter(r -> r.workload().equals(w) && r.round() == k).toList(), out);
            }
        }
        if (o.rounds() > 1) {
            out.println();
            out.println("## Medians over " + o.rounds() + " rounds");
            out.println();
            out.println("Each cell is the median of that cell over the rounds in which the server completed the");
            out.println("workload (their number in the second column); the msgs/s range is the lowest and highest");
            out.println("round, and vs " + REFERENCE + " is the ratio of the two medians.");
            for (Workload w : o.workloads()) {
                out.println();
                out.println("### " + w.name() + ": " + w.description() + " (medians)");
                out.println();
                medianTable(w, run.results().stream().filter(r -> r.workload().equals(w)).toList(), out);
            }
        }
    }

    /** One row per server: the median of each column over its completed rounds. */
    private static void medianTable(Workload w, List<EchoBench.Result> rows, PrintStream out) {
        boolean probe = w.probe() != null;
        Map<String, List<LoadClient.Measurement>> byServer = new LinkedHashMap<>();
        for (EchoBench.Result r : rows) {
            List<LoadClient.Measurement> ms = byServer.computeIfAbsent(r.server(), k -> new ArrayList<>());
            if (r.ok()) {
                ms.add(r.measurement());
            }
        }
        List<LoadClient.Measurement> refs = byServer.get(REFERENCE);
        double ref = refs == null || refs.isEmpty() ? Double.NaN : median(refs, LoadClient.Measurement::messagesPerSecond);
        boolean withRef = !Double.isNaN(ref);
        out.println("| server | rounds | msgs/s | range | " + (withRef ? "vs " + REFERENCE + " | " : "")
                + "MB/s | p50 | p99 | max | " + (probe ? "probe p50 | probe p99 | " : "")
                + "server CPU/msg | user/msg | server CPU | client CPU |");
        out.println("|---|---:|---:|---|" + (withRef ? "---:|" : "") + "---:|---:|---:|---:|"
                + (probe ? "---:|---:|" : "") + "---:|---:|---:|---:|");
        for (Map.Entry<String, List<LoadClient.Measurement>> e : byServer.entrySet()) {
            List<LoadClient.Measurement> ms = e.getValue();
            StringBuilder b = new StringBuilder("| ").append(e.getKey()).append(" | ").append(ms.size()).append(" | ");
            if (ms.isEmpty()) {
                int blanks = 10 + (withRef ? 1 : 0) + (probe ? 2 : 0);
                out.println(b.append("— | ".repeat(blanks)).toString().stripTrailing());
                continue;
            }
            double rate = median(ms, LoadClient.Measurement::messagesPerSecond);
            double lo = ms.stream().mapToDouble(LoadClient.Measurement::messagesPerSecond).min().orElseThrow();
            double hi = ms.stream().mapToDouble(LoadClient.Measurement::messagesPerSecond).max().orElseThrow();
            b.append(count(rate)).append(" | ").append(count(lo)).append("–").append(count(hi)).append(" | ");
            if (withRef) {
                b.append(String.format(Locale.ROOT, "%.2f×", rate / ref)).append(" | ");
            }
            b.append(String.format(Locale.ROOT, "%.1f", median(ms, LoadClient.Measurement::megabytesPerSecond)))
                    .append(" | ").append(nanos(ms, m -> m.latency().percentile(0.50))).append(" | ")
                    .append(nanos(ms, m -> m.latency().percentile(0.99))).append(" | ")
                    .append(nanos(ms, m -> m.latency().max())).append(" | ");
            if (probe) {
                b.append(nanos(ms, m -> m.probeLatency().percentile(0.50))).append(" | ")
                        .append(nanos(ms, m -> m.probeLatency().percentile(0.99))).append(" | ");
            }
            double cpu = median(ms, LoadClient.Measurement::serverCpuPerMessage);
            double user = median(ms, LoadClient.Measurement::serverUserPerMessage);
            double share = median(ms, LoadClient.Measurement::serverCpuShare);
            b.append(Double.isNaN(cpu) ? "—" : latency(Math.round(cpu))).append(" | ")
                    .append(Double.isNaN(user) ? "—" : latency(Math.round(user))).append(" | ")
                    .append(Double.isNaN(share) ? "—" : String.format(Locale.ROOT, "%.0f%%", 100 * share)).append(" | ")
                    .append(String.format(Locale.ROOT, "%.0f%%", 100 * median(ms, LoadClient.Measurement::clientCpuShare)))
                    .append(" |");
            out.println(b);
        }
    }

    private static String nanos(List<LoadClient.Measurement> ms, ToDoubleFunction<LoadClient.Measurement> f) {
        return latency(Math.round(median(ms, f)));
    }

    /** The median of {@code f} over {@code ms} (the mean of the middle two for an even count); NaN if any is. */
    static double median(List<LoadClient.Measurement> ms, ToDoubleFunction<LoadClient.Measurement> f) {
        double[] v = ms.stream().mapToDouble(f).sorted().toArray();
        if (v.length == 0 || Double.isNaN(v[v.length - 1])) {
            return Double.NaN;
        }
        int h = v.length / 2;
        return v.length % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
    }

    private static void table(Workload w, List<EchoBench.Result> rows, PrintStream out) {
        boolean probe = w.probe() != null;
        LoadClient.Measurement ref = rows.stream()
                .filter(r -> r.ok() && r.server().equals(REFERENCE)).map(EchoBench.Result::measurement)
                .findFirst().orElse(null);
        out.println("| server | msgs/s | " + (ref != null ? "vs " + REFERENCE + " | " : "") + "MB/s | p50 | p99 | max | "
                + (probe ? "probe p50 | probe p99 | " : "") + "server CPU/msg | user/msg | server CPU | client CPU | notes |");
        out.println("|---|---:|" + (ref != null ? "---:|" : "") + "---:|---:|---:|---:|" + (probe ? "---:|---:|" : "")
                + "---:|---:|---:|---:|---|");
        for (EchoBench.Result r : rows) {
            StringBuilder b = new StringBuilder("| ").append(r.server()).append(" | ");
            if (!r.ok()) {
                int blanks = 10 + (ref != null ? 1 : 0) + (probe ? 2 : 0);
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
                    .append(m.serverUserNanos() < 0 ? "—" : latency(Math.round(m.serverUserPerMessage()))).append(" | ")
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
