package io.panago.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandles;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A native library made of Java methods: each symbol is an upcall stub of a static method, served
 * through {@link #lookup()}, which is what the foreign-OS packages' {@code bindLookup} takes.
 */
public final class FakeLibrary {

    private final Arena arena = Arena.ofShared();
    private final Map<String, MemorySegment> symbols = new ConcurrentHashMap<>();
    private final MethodHandles.Lookup owner;

    /** A library whose methods are static methods visible to {@code owner}. */
    public FakeLibrary(MethodHandles.Lookup owner) {
        this.owner = owner;
    }

    /** Serves {@code symbol} with the static method {@code method} of the owner's class. */
    public FakeLibrary define(String symbol, String method, FunctionDescriptor descriptor)
            throws ReflectiveOperationException {
        var mh = owner.findStatic(owner.lookupClass(), method, descriptor.toMethodType());
        symbols.put(symbol, Linker.nativeLinker().upcallStub(mh, descriptor, arena));
        return this;
    }

    /** {@return the lookup that finds every defined symbol} */
    public SymbolLookup lookup() {
        return name -> Optional.ofNullable(symbols.get(name));
    }

    /** {@return the arena the stubs live in, also fit for the fake's own per-thread state} */
    public Arena arena() {
        return arena;
    }
}
