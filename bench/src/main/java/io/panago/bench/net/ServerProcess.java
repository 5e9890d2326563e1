package io.panago.bench.net;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An echo server running in its own process: started from a command line, ready once it
 * prints {@code LISTENING <port>}, its standard error kept in a log file, and killed on
 * {@link #close()} or when the harness's JVM exits.
 */
final class ServerProcess implements EchoBench.Target {
    private final Process process;
    private final int port;
    private final Thread reaper;

    private ServerProcess(Process process, int port) {
        this.process = process;
        this.port = port;
        this.reaper = new Thread(process::destroyForcibly, "echo-server-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /**
     * Starts {@code command} and waits up to {@code timeout} for its {@code LISTENING}
     * line; standard error goes to {@code log}.
     *
     * @throws IOException if it cannot start, exits first or does not listen in time; the
     *     message carries the end of its log
     */
    static ServerProcess start(List<String> command, Path log, Duration timeout) throws IOException {
        Process p = new ProcessBuilder(command)
                .redirectError(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("echo-server-stdout").start(() -> readStdout(p, listening));
        try {
            return new ServerProcess(p, listening.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException | TimeoutException e) {
            destroy(p);
            String why = e instanceof TimeoutException
                    ? "did not print LISTENING within " + timeout.toSeconds() + " s"
                    : "exited with status " + p.exitValue() + " before listening";
            throw new IOException(String.join(" ", command) + ": " + why + tail(log));
        } catch (InterruptedException e) {
            destroy(p);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting " + command.getFirst(), e);
        }
    }

    /** Completes {@code listening} with the announced port, then drains the rest. */
    private static void readStdout(Process p, CompletableFuture<Integer> listening) {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!listening.isDone() && line.startsWith("LISTENING ")) {
                    listening.complete(Integer.parseInt(line.substring("LISTENING ".length()).trim()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            listening.completeExceptionally(e);
        }
        listening.completeExceptionally(new IOException("standard output closed"));
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The server's CPU time so far. */
    @Override
    public ProcStat.Cpu cpu() {
        return ProcStat.cpu(process.pid());
    }

    /** Kills the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
    @Override
    public void close() {
        destroy(process);
        Runtime.getRuntime().removeShutdownHook(reaper);
    }

    private static void destroy(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The last lines of a server's log, to explain a failure. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                return "";
            }
            return "; its log ends:\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
