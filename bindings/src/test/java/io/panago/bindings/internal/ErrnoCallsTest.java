package io.panago.bindings.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The bounce buffers of the copying heap calls: a buffer belongs to whoever acquired it until
 * released, whichever thread it is on then (a goroutine may have moved to another carrier,
 * which is why they are not per-thread).
 */
class ErrnoCallsTest {

    @Test
    void aBounceBufferIsItsHoldersAloneAndReusedOnceReleased() {
        MemorySegment a = ErrnoCalls.acquireBounce();
        MemorySegment b = ErrnoCalls.acquireBounce();
        assertEquals(ErrnoCalls.BOUNCE_BYTES, a.byteSize());
        assertNotEquals(a.address(), b.address(), "two holders on one thread");
        ErrnoCalls.releaseBounce(a);
        MemorySegment c = ErrnoCalls.acquireBounce();
        assertEquals(a.address(), c.address(), "an idle buffer is taken again, not a new one made");
        ErrnoCalls.releaseBounce(b);
        ErrnoCalls.releaseBounce(c);
    }

    @Test
    void concurrentHoldersNeverShareABuffer() throws InterruptedException {
        int threads = 8, rounds = 20_000;
        AtomicInteger clashes = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        for (int t = 1; t <= threads; t++) {
            long mark = t;
            ts.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < rounds; i++) {
                    MemorySegment s = ErrnoCalls.acquireBounce();
                    s.set(ValueLayout.JAVA_LONG, 0, mark);
                    Thread.onSpinWait();
                    if (s.get(ValueLayout.JAVA_LONG, 0) != mark) {
                        clashes.incrementAndGet();
                    }
                    ErrnoCalls.releaseBounce(s);
                }
            }));
        }
        for (Thread t : ts) {
            t.join();
        }
        assertEquals(0, clashes.get());
    }
}
