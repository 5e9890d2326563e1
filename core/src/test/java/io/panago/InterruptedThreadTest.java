package io.panago;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A plain thread with its interrupt flag set blocks in a channel receive as Go would: quietly. */
class InterruptedThreadTest {
    @Test
    void interruptedPlainThreadBlocksWithoutSpinningAndKeepsItsInterrupt() throws Exception {
        Chan<String> ch = Chan.make();
        AtomicReference<String> got = new AtomicReference<>();
        AtomicBoolean stillInterrupted = new AtomicBoolean();
        Thread receiver = new Thread(() -> {
            Thread.currentThread().interrupt();
            got.set(ch.recv());
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        }, "interrupted-receiver");
        receiver.start();
        while (receiver.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }
        // A receiver that spins (park returning at once because of the flag) is seen RUNNABLE
        // in a good share of samples; a parked one only after a rare spurious wake-up.
        int samples = 0, runnable = 0;
        long wall0 = System.nanoTime();
        while (System.nanoTime() - wall0 < 300_000_000L) {
            samples++;
            if (receiver.getState() == Thread.State.RUNNABLE) {
                runnable++;
            }
            Thread.yield();
        }
        ch.send("hello");
        receiver.join(10_000);
        assertTrue(runnable * 20 < samples, "blocked receiver was RUNNABLE in " + runnable + " of " + samples + " samples");
        assertEquals("hello", got.get());
        assertTrue(stillInterrupted.get(), "the interrupt must survive the wait");
    }
}
