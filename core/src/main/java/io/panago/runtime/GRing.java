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
    /**
     * The goroutines queued after the ring's while it could not grow (no heap for a larger
     * array), in order, linked through their own {@code schedlink}: a push never fails, for a
     * goroutine that a queue failed to take would be lost, its wake-up with it (a goroutine that
     * yielded while it held the heap full kept it full for good).
     */
    private final GList overflow = new GList();

    int size() {
        return size + overflow.size;
    }

    /** Appends {@code g}; never throws. */
    void push(G g) {
        if (overflow.isEmpty()) {
            if (size == ring.length) {
                try {
                    grow();
                } catch (Throwable noHeap) {
                    overflow.push(g);
                    return;
                }
            }
            ring[(head + size) & (ring.length - 1)] = g;
            size++;
        } else {
            overflow.push(g); // behind those already waiting there
        }
    }

    /** Moves every goroutine of {@code list}, in order, to the end of this queue. */
    void pushAll(GList list) {
        for (G g = list.pop(); g != null; g = list.pop()) {
            push(g);
        }
    }

    /** The oldest goroutine, or null if empty; never throws. */
    G pop() {
        if (size == 0) {
            return overflow.pop(); // the ring drained first: these came after it
        }
        G g = ring[head];
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        size--;
        if (overflow.isEmpty() && size < ring.length / 8 && ring.length > MIN_CAPACITY) {
            try {
                resize(ring.length / 2);
            } catch (Throwable noHeap) {
                // stays larger; g is taken already and must not be lost
            }
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
