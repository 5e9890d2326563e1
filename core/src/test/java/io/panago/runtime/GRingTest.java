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

    /**
     * Child main, in a small heap: the ring cannot grow (nor shrink) while the heap is full, and
     * it must still take every goroutine pushed and give them back in order. A push that threw
     * lost its goroutine (one that yielded while the heap was full was never run again); a pop
     * whose shrink threw lost the one it had taken. Prints "ok" or what went wrong.
     */
    public static final class Main {
        public static void main(String[] args) {
            GRing ring = new GRing();
            ArrayDeque<G> model = new ArrayDeque<>(20_000);
            G[] spare = new G[8192];
            for (int i = 0; i < spare.length; i++) {
                spare[i] = new G(i + 1, Thread.currentThread());
            }
            int next = 0;
            String r;
            try {
                while (ring.size() < ring.capacity()) { // full: the next push must grow
                    ring.push(spare[next]);
                    model.add(spare[next++]);
                }
                java.util.List<long[]> hog = fill();
                for (int i = 0; i < 300; i++) { // no heap to grow: they wait beside the ring
                    ring.push(spare[next]);
                    model.add(spare[next++]);
                }
                for (int i = 0; i < 100; i++) {
                    if (model.poll() != ring.pop()) {
                        hog = null;
                        throw new AssertionError("out of order while the heap was full");
                    }
                }
                hog = null;
                System.gc();
                for (int i = 0; i < 50; i++) { // room again; still behind those waiting
                    ring.push(spare[next]);
                    model.add(spare[next++]);
                }
                while (!model.isEmpty()) {
                    if (model.poll() != ring.pop()) {
                        throw new AssertionError("out of order once the heap was free");
                    }
                }
                while (next < 4096 + 706) { // the ring grows to 4096
                    ring.push(spare[next]);
                    model.add(spare[next++]);
                }
                if (ring.capacity() < 4096) {
                    throw new AssertionError("the ring did not grow: " + ring.capacity());
                }
                hog = fill();
                while (model.size() > 100) { // pops past the shrink point, with no heap to shrink
                    if (model.poll() != ring.pop()) {
                        hog = null;
                        throw new AssertionError("out of order while the ring could not shrink");
                    }
                }
                hog = null;
                System.gc();
                while (!model.isEmpty()) {
                    if (model.poll() != ring.pop()) {
                        throw new AssertionError("out of order after the heap was freed");
                    }
                }
                r = ring.pop() == null && ring.size() == 0 ? "ok" : "left over";
            } catch (Throwable t) {
                r = "FAIL " + t;
            }
            System.out.println(r);
        }

        private static java.util.List<long[]> fill() {
            // Large blocks first, halving on each refusal: a few hundred allocations fill the
            // heap down to its last 128 bytes (one small block at a time took ~20 s of
            // collections).
            java.util.List<long[]> hog = new java.util.ArrayList<>(1024);
            for (int size = 1 << 17; size >= 16; ) {
                try {
                    hog.add(new long[size]);
                } catch (OutOfMemoryError refused) {
                    size >>= 1;
                }
            }
            return hog;
        }
    }

    @Test
    void neitherGrowingNorShrinkingWithoutHeapLosesAGoroutine() throws Exception {
        ChildJvm.Result r = ChildJvm.run(false, Main.class, java.util.List.of("-Xmx32m", "-XX:+UseSerialGC",
                "--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"));
        assertTrue(r.out().lines().anyMatch("ok"::equals), r.out());
    }
}
