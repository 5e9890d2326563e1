package io.panago.runtime;

/**
 * A FIFO list of goroutines linked through {@link G#schedlink} (Go's {@code gQueue}). Not
 * thread-safe: owned by one thread, or guarded by the lock of whoever holds it.
 */
final class GList {
    G head;
    G tail;
    int size;

    boolean isEmpty() {
        return head == null;
    }

    void push(G g) {
        g.schedlink = null;
        if (tail == null) {
            head = g;
        } else {
            tail.schedlink = g;
        }
        tail = g;
        size++;
    }

    G pop() {
        G g = head;
        if (g != null) {
            head = g.schedlink;
            if (head == null) {
                tail = null;
            }
            g.schedlink = null;
            size--;
        }
        return g;
    }

    /** Moves every element of {@code other} to the end of this list. */
    void pushAll(GList other) {
        if (other.head == null) {
            return;
        }
        if (tail == null) {
            head = other.head;
        } else {
            tail.schedlink = other.head;
        }
        tail = other.tail;
        size += other.size;
        other.head = other.tail = null;
        other.size = 0;
    }
}
