package io.panago.net;

import io.panago.Go;

/**
 * Runs a scenario of {@link EchoStressTest} or {@link FreshListenerBurstTest} in a child JVM (so it can have a GOMAXPROCS of
 * its own from the start): prints {@code ok GOMAXPROCS N} and exits 0, or prints the failure
 * and exits 1.
 */
public final class EchoStressMain {
    private EchoStressMain() {}

    public static void main(String[] args) {
        try {
            switch (args[0]) {
                case "thousand" -> EchoStressTest.thousandConnections();
                case "burst" -> FreshListenerBurstTest.rounds(40, 2);
                default -> throw new IllegalArgumentException("unknown scenario " + args[0]);
            }
            System.out.println("ok GOMAXPROCS " + Go.gomaxprocs());
            System.exit(0);
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.exit(1);
        }
    }
}
