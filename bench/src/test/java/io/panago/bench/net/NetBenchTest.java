package io.panago.bench.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link NetBench}'s peers, run for a few batches of each message size so that the JMH
 * benchmark cannot rot: every round trip's echo is checked inside the peers, and a wrong one
 * fails the batch. Nothing here asserts on speed.
 */
@Timeout(120)
class NetBenchTest {

    @Test
    void everyPeerEchoesSmallAndLargeMessagesBatchAfterBatch() throws Exception {
        for (int size : new int[] {64, 65536}) {
            NetBench.Peer[] peers = {NetBench.panago(size), NetBench.virtualThreads(size),
                NetBench.netty(size, false), NetBench.netty(size, true)};
            try {
                for (NetBench.Peer p : peers) {
                    for (int batch = 0; batch < 3; batch++) {
                        p.run(100);
                    }
                }
            } finally {
                for (NetBench.Peer p : peers) {
                    p.close();
                }
            }
        }
    }

    @Test
    void aWrongEchoFailsTheCheck() {
        byte[] sent = "round trip".getBytes(StandardCharsets.US_ASCII);
        byte[] echoed = Arrays.copyOf(sent, sent.length);
        NetBench.check(sent, echoed);
        echoed[3] ^= 1;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> NetBench.check(sent, echoed));
        assertEquals("echo differs at byte 3", e.getMessage());
    }

    @Test
    void consecutiveMessagesDiffer() {
        byte[] a = new byte[64], b = new byte[64];
        NetBench.fill(a, 0);
        NetBench.fill(b, 1);
        assertEquals(false, Arrays.equals(a, b));
        NetBench.fill(a, 256);
        NetBench.fill(b, 0);
        assertEquals(false, Arrays.equals(a, b), "the middle byte tells 256 from 0");
    }
}
