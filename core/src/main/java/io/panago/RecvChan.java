package io.panago;

/**
 * The receive side of a channel, Go's {@code <-chan T}: a function that only consumes
 * values takes a {@code RecvChan}. Every {@link Chan} is one. Iterating it is Go's
 * {@code for v := range ch}: the loop ends once the channel is closed and drained.
 *
 * @param <T> the element type
 */
public sealed interface RecvChan<T> extends Iterable<T> permits Chan {

    /**
     * Receives a value, blocking until one is available (Go's {@code v := <-ch}).
     *
     * @return the value, or {@code null} once the channel is closed and drained
     */
    T recv();

    /**
     * Receives a value and whether it was sent (Go's {@code v, ok := <-ch}).
     *
     * @return {@code (value, true)}, or {@link Chan.Received#closed()} once the channel
     *     is closed and drained
     */
    Chan.Received<T> recvOk();

    /**
     * Receives without blocking (Go's {@code select} with a receive case and a
     * {@code default}).
     *
     * @return the received value as in {@link #recvOk()}, or {@code null} if the receive
     *     would have blocked
     */
    Chan.Received<T> tryRecv();

    /**
     * Number of values queued in the buffer (Go's {@code len(ch)}); a racy snapshot.
     *
     * @return the number of buffered values, from 0 to {@link #cap()}
     */
    int len();

    /**
     * Buffer capacity (Go's {@code cap(ch)}); 0 for an unbuffered channel.
     *
     * @return the capacity the channel was made with
     */
    int cap();
}
