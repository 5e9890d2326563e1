package io.panago;

/** Lets tests in other packages wait for parties parked on a channel. */
public final class ChanProbe {
    private ChanProbe() {}

    /** Goroutines or threads parked receiving from {@code c}. */
    public static int waitingReceivers(RecvChan<?> c) {
        return ((Chan<?>) c).waitingReceivers();
    }

    /** Goroutines or threads parked sending to {@code c}. */
    public static int waitingSenders(SendChan<?> c) {
        return ((Chan<?>) c).waitingSenders();
    }
}
