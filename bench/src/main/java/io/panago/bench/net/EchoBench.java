package io.panago.bench.net;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The echo benchmark: in one invocation, each server (panago, JDK virtual threads, a NIO
 * selector loop, Netty epoll, Go, a C epoll loop) runs in turn in its own process pinned to
 * one core, and the same load client, pinned to another core, drives it through every
 * workload (ping-pong 64 B at 1, 100 and 1,000 connections; 16 in flight; bulk 64 KiB with
 * a latency probe). Each workload is a warm-up and then a measured window; the report has
 * one table per workload with msgs/s, MB/s, latency percentiles and the server's CPU time
 * per message. Loopback only.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.panago.bench.net.EchoBench [options]
 *   --servers a,b,...      servers to run, in order (default: all: c-epoll,nio,netty,go,vthreads,panago)
 *   --variant L=KIND:OPTS  also run KIND reported as L, with extra JVM options OPTS (space separated),
 *                          e.g. --variant 'panago-io_uring=panago:-Dpanago.netpoll=io_uring'
 *   --workloads a,b,...    workloads to run (default: all; see --list)
 *   --warmup S --measure S seconds of warm-up and of measurement per workload (default 2 and 3)
 *   --quick                small workloads, 0.3 s + 0.7 s each: a smoke run of a few seconds a server
 *   --server-cpu N --client-cpu N   CPUs to pin the server and the load client to (default 0 and 1)
 *   --no-pin               do not pin anything
 *   --interleave           run workload by workload, every server (freshly started) on each in turn,
 *                          rather than server by server: on a busy machine, the servers compared in
 *                          one table then share the same moments of background load
 *   --rounds N             run the whole sequence N times (default 1) and report, after each round's
 *                          tables, the median of every cell over the rounds
 *   --jvm OPTS             extra JVM options for every Java server (space separated)
 *   --connect PORT [--pid PID]  drive a server already listening on 127.0.0.1:PORT instead
 *                          (e.g. ./panago demo --serve PORT); its CPU is read if PID is given
 *   --list                 print the servers and workloads and exit
 * </pre>
 */
public final class EchoBench {
    private static final String USAGE = """
            usage: ./panago echobench [options]   (bench/README.md, "Network", has the details)
              --servers a,b,...       servers to measure, in order (--list shows them)
              --workloads a,b,...     workloads to run (--list shows them)
              --quick                 a ~30 s smoke run
              --warmup S, --measure S seconds per workload (default 2 and 3)
              --interleave            workload by workload, every server freshly started in turn
              --rounds N              the whole sequence N times, then a table of medians
              --variant LABEL=KIND:OPTS  a server measured again with other JVM options
              --jvm 'OPTS'            extra options for every Java server
              --server-cpu N, --client-cpu N, --no-pin   CPU pinning (default 0 and 1)
              --connect PORT [--pid PID]  drive a server already running
              --list                  servers and workloads
            """;

    /** Everything one run needs to know. */
    record Options(List<Peers.Spec> servers, List<Workload> workloads, Duration warmup, Duration measure,
                   Duration stallTimeout, boolean pin, int serverCpu, int clientCpu, List<String> javaOptions,
                   int connectPort, long connectPid, boolean interleave, int rounds) {
    }

    /** One server on one workload in one round (from 1): a measurement, or why there is none. */
    record Result(String server, Workload workload, int round, LoadClient.Measurement measurement, String error) {
        boolean ok() {
            return error == null;
        }
    }

    /** A server that did not run at all, and why. */
    record Skipped(String server, String reason) {
    }

    /** What a whole run produced, with the facts its report states. */
    record Run(Options options, List<Result> results, List<Skipped> skipped, List<String> versions,
               double loadBefore, double loadAfter, boolean pinned) {
    }

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SETTLE = Duration.ofMillis(250);

    private EchoBench() {
    }

    /** Runs the benchmark as the options say, prints progress to stderr and the report to stdout. */
    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("EchoBench: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options == null) {
            return;
        }
        Run run = run(options, System.err);
        Report.print(run, "java -cp bench/target/benchmarks.jar " + EchoBench.class.getName()
                + (args.length == 0 ? "" : " " + String.join(" ", args)), System.out);
        boolean failed = run.results().stream().anyMatch(r -> !r.ok());
        System.exit(failed ? 1 : 0);
    }

    /** Runs every server through every workload; never throws for a failing server. */
    static Run run(Options options, PrintStream progress) throws IOException {
        Path workDir = Files.createTempDirectory("panago-echobench");
        try {
            return run(options, progress, workDir);
        } finally {
            try (Stream<Path> files = Files.walk(workDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Run run(Options options, PrintStream progress, Path workDir) throws IOException {
        Peers peers = new Peers(workDir, options.javaOptions());
        boolean pinned = options.pin() && pinSelf(options.clientCpu(), progress);
        double loadBefore = ProcStat.loadAverage();
        List<Result> results = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        if (options.connectPort() > 0) {
            String label = "port " + options.connectPort();
            Target external = new External(options.connectPort(), options.connectPid());
            for (int round = 1; round <= options.rounds(); round++) {
                results.addAll(runServer(label, () -> external, options.workloads(), round, options,
                        workDir.resolve("external.log"), progress));
            }
            return new Run(options, results, skipped, versions, loadBefore, ProcStat.loadAverage(), pinned);
        }
        List<Launch> launches = new ArrayList<>();
        for (Peers.Spec spec : options.servers()) {
            List<String> command;
            try {
                command = peers.command(spec);
            } catch (Peers.Unavailable e) {
                progress.println("[" + spec.label() + "] skipped: " + e.getMessage());
                skipped.add(new Skipped(spec.label(), e.getMessage()));
                continue;
            }
            String version = spec.label() + ": " + peers.version(spec.kind());
            if (!versions.contains(version)) {
                versions.add(version);
            }
            if (pinned) {
                command = Stream.concat(Stream.of("taskset", "-c", Integer.toString(options.serverCpu())),
                        command.stream()).toList();
            }
            launches.add(new Launch(spec.label(), command, workDir.resolve(spec.label() + ".log")));
        }
        for (int round = 1; round <= options.rounds(); round++) {
            if (options.rounds() > 1) {
                progress.println("round " + round + " of " + options.rounds());
            }
            if (options.interleave()) {
                for (Workload w : options.workloads()) {
                    for (Launch l : launches) {
                        results.addAll(runServer(l.label(), l::start, List.of(w), round, options, l.log(), progress));
                    }
                }
            } else {
                for (Launch l : launches) {
                    results.addAll(runServer(l.label(), l::start, options.workloads(), round, options, l.log(),
                            progress));
                }
            }
        }
        return new Run(options, results, skipped, versions, loadBefore, ProcStat.loadAverage(), pinned);
    }

    /** How to start one server of the run. */
    private record Launch(String label, List<String> command, Path log) {
        ServerProcess start() throws IOException {
            return ServerProcess.start(command, log, START_TIMEOUT);
        }
    }

    /** A running echo server the harness drives: a child process, or one started by the user. */
    interface Target extends AutoCloseable {
        int port();

        /** Its CPU time so far, or null if unknown. */
        ProcStat.Cpu cpu();

        boolean isAlive();

        @Override
        void close();
    }

    /** Starts a server; called again after a failed workload. */
    private interface Starter {
        Target start() throws IOException;
    }

    /** A server started by the user, on {@code port}, whose CPU is read if {@code pid} > 0. */
    private record External(int port, long pid) implements Target {
        @Override
        public ProcStat.Cpu cpu() {
            return pid > 0 ? ProcStat.cpu(pid) : null;
        }

        @Override
        public boolean isAlive() {
            return pid <= 0 || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }

        @Override
        public void close() {
        }
    }

    /** One server through all workloads; a failed workload restarts the server for the next. */
    private static List<Result> runServer(String label, Starter starter, List<Workload> workloads, int round,
                                          Options options, Path log, PrintStream progress) {
        List<Result> results = new ArrayList<>();
        Target server = null;
        try {
            for (Workload w : workloads) {
                if (server == null) {
                    try {
                        server = starter.start();
                    } catch (IOException e) {
                        progress.println("[" + label + "] " + w.name() + ": cannot start: " + e.getMessage());
                        results.add(new Result(label, w, round, null, "cannot start: " + e.getMessage()));
                        continue;
                    }
                }
                Target s = server;
                try {
                    LoadClient.Measurement m = LoadClient.run(new InetSocketAddress(EchoServers.loopback(), s.port()),
                            w, new LoadClient.Settings(options.warmup(), options.measure(), options.stallTimeout()),
                            s::cpu);
                    results.add(new Result(label, w, round, m, null));
                    progress.printf(Locale.ROOT, "[%s] %s: %s msgs/s, p99 %s, server %s/msg at %.0f%% CPU, client at %.0f%%%n",
                            label, w.name(), Report.count(m.messagesPerSecond()),
                            Report.latency(m.latency().percentile(0.99)),
                            m.serverCpuNanos() < 0 ? "?" : Report.latency(Math.round(m.serverCpuPerMessage())),
                            100 * m.serverCpuShare(),
                            100 * m.clientCpuShare());
                } catch (IOException | UncheckedIOException e) {
                    String why = e.getMessage() + (s.isAlive() ? "" : " (the server died" + ServerProcess.tail(log) + ")");
                    progress.println("[" + label + "] " + w.name() + ": FAILED: " + why);
                    results.add(new Result(label, w, round, null, why));
                    server.close();
                    server = null;
                }
                pause(SETTLE);
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
        return results;
    }

    /** Pins every thread of this JVM (and so every thread it starts later) to {@code cpu}. */
    private static boolean pinSelf(int cpu, PrintStream progress) {
        int cpus = Runtime.getRuntime().availableProcessors();
        if (cpus < 2) {
            progress.println("not pinning: only " + cpus + " CPU available");
            return false;
        }
        if (Peers.onPath("taskset").isEmpty()) {
            progress.println("not pinning: taskset is not on PATH (Debian: util-linux)");
            return false;
        }
        try {
            Process p = new ProcessBuilder("taskset", "-a", "-c", "-p", Integer.toString(cpu),
                    Long.toString(ProcessHandle.current().pid())).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() != 0) {
                progress.println("not pinning: taskset failed: " + out);
                return false;
            }
            return true;
        } catch (IOException e) {
            progress.println("not pinning: " + e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Parses the command line; null after {@code --list}. */
    static Options parse(String... args) {
        List<Peers.Spec> servers = new ArrayList<>();
        List<Peers.Spec> variants = new ArrayList<>();
        List<String> workloadNames = null;
        double warmup = 2, measure = 3;
        boolean quick = false, pin = true, interleave = false;
        int serverCpu = 0, clientCpu = 1, connectPort = 0, rounds = 1;
        long connectPid = 0;
        List<String> jvm = new ArrayList<>();
        boolean warmupSet = false, measureSet = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick" -> quick = true;
                case "--no-pin" -> pin = false;
                case "--interleave" -> interleave = true;
                case "--help", "-h" -> {
                    System.out.print(USAGE);
                    return null;
                }
                case "--list" -> {
                    System.out.println("servers:   " + String.join(", ", Peers.KINDS));
                    System.out.println("workloads:");
                    Stream.concat(Workload.standard().stream(), Workload.quick().stream()).distinct()
                            .forEach(w -> System.out.printf("  %-15s %s%n", w.name(), w.description()));
                    return null;
                }
                case "--servers" -> Arrays.stream(value(args, ++i, a).split(","))
                        .map(String::trim).filter(s -> !s.isEmpty()).map(Peers.Spec::of).forEach(servers::add);
                case "--variant" -> variants.add(variant(value(args, ++i, a)));
                case "--workloads" -> workloadNames = Arrays.stream(value(args, ++i, a).split(","))
                        .map(String::trim).filter(s -> !s.isEmpty()).toList();
                case "--warmup" -> {
                    warmup = seconds(value(args, ++i, a), a);
                    warmupSet = true;
                }
                case "--measure" -> {
                    measure = seconds(value(args, ++i, a), a);
                    measureSet = true;
                }
                case "--server-cpu" -> serverCpu = Integer.parseInt(value(args, ++i, a));
                case "--client-cpu" -> clientCpu = Integer.parseInt(value(args, ++i, a));
                case "--connect" -> connectPort = Integer.parseInt(value(args, ++i, a));
                case "--pid" -> connectPid = Long.parseLong(value(args, ++i, a));
                case "--rounds" -> {
                    rounds = Integer.parseInt(value(args, ++i, a));
                    if (rounds < 1 || rounds > 20) {
                        throw new IllegalArgumentException("--rounds takes 1 to 20, not " + rounds);
                    }
                }
                case "--jvm" -> jvm.addAll(List.of(value(args, ++i, a).trim().split("\\s+")));
                default -> throw new IllegalArgumentException("unknown option '" + a + "' (see the class javadoc or --list)");
            }
        }
        if (servers.isEmpty()) {
            Peers.KINDS.stream().map(Peers.Spec::of).forEach(servers::add);
        }
        servers.addAll(variants);
        List<Workload> catalogue = quick ? Workload.quick() : Workload.standard();
        List<Workload> workloads = catalogue;
        if (workloadNames != null) {
            List<Workload> all = Stream.concat(Workload.standard().stream(), Workload.quick().stream()).distinct().toList();
            workloads = workloadNames.stream().map(n -> all.stream().filter(w -> w.name().equals(n)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown workload '" + n + "' (see --list)"))).toList();
        }
        if (quick) {
            warmup = warmupSet ? warmup : 0.3;
            measure = measureSet ? measure : 0.7;
        }
        return new Options(List.copyOf(servers), workloads, Duration.ofMillis(Math.round(warmup * 1000)),
                Duration.ofMillis(Math.round(measure * 1000)), Duration.ofSeconds(quick ? 5 : 10),
                pin, serverCpu, clientCpu, List.copyOf(jvm), connectPort, connectPid, interleave, rounds);
    }

    private static Peers.Spec variant(String s) {
        int eq = s.indexOf('=');
        int colon = s.indexOf(':', eq + 1);
        if (eq <= 0) {
            throw new IllegalArgumentException("--variant takes LABEL=KIND[:JVM OPTIONS], not '" + s + "'");
        }
        String kind = colon < 0 ? s.substring(eq + 1) : s.substring(eq + 1, colon);
        List<String> opts = colon < 0 || s.substring(colon + 1).isBlank() ? List.of()
                : List.of(s.substring(colon + 1).trim().split("\\s+"));
        return new Peers.Spec(s.substring(0, eq), kind, opts);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static double seconds(String s, String option) {
        double v = Double.parseDouble(s);
        if (!(v > 0) || v > 600) {
            throw new IllegalArgumentException(option + " takes seconds in (0, 600], not " + s);
        }
        return v;
    }
}
