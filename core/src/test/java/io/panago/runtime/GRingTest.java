package io.panago.runtime;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The global run queue's ring keeps FIFO order across wrap-around and growth. */
class GRingTest {

    @Test
    void keepsFifoOrderThroughWrapAroundAndGrowth() {
        GRing ring = new GRing();
        ArrayDeque<G> model = new ArrayDeque<>();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        long id = 0;
        for (int step = 0; step < 200_000; step++) {
            int op = rnd.nextInt(10);
            if (op < 4) {
                G g = new G(++id, Thread.currentThread());
                ring.push(g);
                model.add(g);
            } else if (op < 5) {
                GList list = new GList();
                for (int i = rnd.nextInt(300); i > 0; i--) {
                    G g = new G(++id, Thread.currentThread());
                    list.push(g);
                    model.add(g);
                }
                ring.pushAll(list);
                assertTrue(list.isEmpty());
            } else {
                assertSame(model.poll(), ring.pop());
            }
            assertEquals(model.size(), ring.size());
        }
        while (!model.isEmpty()) {
            assertSame(model.poll(), ring.pop());
        }
        assertNull(ring.pop());
        assertEquals(0, ring.size());
    }

    @Test
    void shrinksBackAfterABurstDrains() {
        GRing ring = new GRing();
        int initial = ring.capacity();
        G[] gs = new G[100_000];
        for (int i = 0; i < gs.length; i++) {
            gs[i] = new G(i + 1, Thread.currentThread());
            ring.push(gs[i]);
        }
        assertTrue(ring.capacity() >= gs.length);
        for (G g : gs) {
            assertSame(g, ring.pop());
            assertTrue(ring.capacity() >= ring.size());
        }
        assertEquals(initial, ring.capacity());
        assertNull(ring.pop());
    }
}
