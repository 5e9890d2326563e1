package io.panago;

/**
 * The send side of a channel, Go's {@code chan<- T}: a function that only produces
 * values takes a {@code SendChan}. Every {@link Chan} is one; pass it where a send-only
 * channel is expected.
 *
 * @param <T> the element type
 */
public sealed interface SendChan<T> permits Chan {

    /**
     * Sends {@code v}, blocking until a receiver takes it or buffer space is free
     * (Go's {@code ch <- v}).
     *
     * @param v the value to send, which may be {@code null}
     * @throws IllegalStateException "send on closed channel" if the channel is closed,
     *     also when it is closed while this send is blocked
     */
    void send(T v);

    /**
     * Sends {@code v} if that can be done without blocking (Go's {@code select} with a
     * send case and a {@code default}).
     *
     * @param v the value to send, which may be {@code null}
     * @return true if sent, false if the send would have blocked
     * @throws IllegalStateException "send on closed channel" if the channel is closed
     */
    boolean trySend(T v);

    /**
     * Closes the channel (Go's {@code close(ch)}): blocked and future receivers get the
     * buffered values, then {@code null}/{@code ok == false}; blocked senders fail.
     *
     * @throws IllegalStateException "close of closed channel" or "close of nil channel"
     */
    void close();

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
