package io.panago;

/**
 * Receives the panics of goroutines: a throwable that escaped a goroutine started with
 * {@link Go#go}. Installed with {@link Go#setPanicHandler}; it replaces the default, which
 * prints the panic as Go does ({@code panic: ...}, the goroutine id and its stack on stderr) and
 * makes the enclosing {@link Go#run} throw it. With a handler the panic counts as handled.
 */
@FunctionalInterface
public interface PanicHandler {
    /**
     * Called on the panicking goroutine just before it ends. Should not block for long.
     *
     * @param goroutineId the id of the goroutine that panicked
     * @param panic       what it threw
     */
    void panicked(long goroutineId, Throwable panic);
}
