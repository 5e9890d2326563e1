package io.panago.context;

/**
 * The handle {@link Context#afterFunc} returns: Go's {@code stop func() bool}.
 */
public sealed interface AfterFunc permits AfterFuncCtx {

    /**
     * Stops the function from being started.
     *
     * @return true if this call stopped it, false if it had already been started or stopped
     */
    boolean stop();
}
