package io.panago.runtime;

/**
 * The global run queue's FIFO: an array ring that grows as needed and shrinks again once a
 * burst has drained (a million goroutines started from a plain thread pass through it).
 * Unlike a {@link GList} it keeps its order outside the goroutines, so moving them in and out
 * (a batch at a time, see {@code Sched.globrunqget}) touches only the array: with a thousand
 * connections taking turns a goroutine's object has gone cold by the time it leaves the
 * queue, and reading its link there was one more cache miss per message. Guarded by
 * {@code Sched.lock}.
 */
final class GRing {
    private static final int MIN_CAPACITY = 256;

    private G[] ring = new G[MIN_CAPACITY];
    private int head;
    private int size;

    int size() {
        return size;
    }

    void push(G g) {
        if (size == ring.length) {
            grow();
        }
        ring[(head + size) & (ring.length - 1)] = g;
        size++;
    }

    /** Moves every goroutine of {@code list}, in order, to the end of this queue. */
    void pushAll(GList list) {
        for (G g = list.pop(); g != null; g = list.pop()) {
            push(g);
        }
    }

    /** The oldest goroutine, or null if empty. */
    G pop() {
        if (size == 0) {
            return null;
        }
        G g = ring[head];
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        size--;
        if (size < ring.length / 8 && ring.length > MIN_CAPACITY) {
            resize(ring.length / 2);
        }
        return g;
    }

    /** The ring's current length (tests). */
    int capacity() {
        return ring.length;
    }

    private void grow() {
        resize(ring.length * 2);
    }

    private void resize(int length) {
        G[] next = new G[length];
        for (int i = 0; i < size; i++) {
            next[i] = ring[(head + i) & (ring.length - 1)];
        }
        ring = next;
        head = 0;
    }
}
