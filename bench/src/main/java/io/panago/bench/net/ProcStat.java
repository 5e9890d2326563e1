package io.panago.bench.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time of a process from {@code /proc/<pid>/stat} (utime and stime, all its threads). */
final class ProcStat {
    /** CPU time in nanoseconds: in user space and in the kernel. */
    record Cpu(long user, long system) {
        long total() {
            return user + system;
        }

        Cpu minus(Cpu earlier) {
            return new Cpu(user - earlier.user, system - earlier.system);
        }
    }

    private static final long NANOS_PER_TICK = 1_000_000_000L / clockTicks();

    private ProcStat() {
    }

    /** User plus system CPU time of {@code pid} so far, in nanoseconds (tick resolution). */
    static long cpuNanos(long pid) {
        return cpu(pid).total();
    }

    /** User and system CPU time of {@code pid} so far (tick resolution). */
    static Cpu cpu(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CPU time of process " + pid, e);
        }
        // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new Cpu(Long.parseLong(f[11]) * NANOS_PER_TICK, Long.parseLong(f[12]) * NANOS_PER_TICK);
    }

    /** This JVM's CPU time so far, in nanoseconds. */
    static long selfCpuNanos() {
        return cpuNanos(ProcessHandle.current().pid());
    }

    /** The 1-minute load average, or NaN where /proc/loadavg is not there. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** USER_HZ, the unit of the stat file's times: 100 on every mainstream Linux build. */
    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() == 0 && out.matches("\\d+")) {
                return Long.parseLong(out);
            }
        } catch (IOException e) {
            // no getconf: fall back to the kernel's fixed USER_HZ
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }
}
