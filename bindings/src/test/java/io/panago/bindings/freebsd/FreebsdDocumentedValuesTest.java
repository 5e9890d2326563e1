package io.panago.bindings.freebsd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.panago.bindings.HeaderShape;
import io.panago.bindings.macos.Macos;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Every constant and the {@code struct kevent} layout of {@code io.panago.bindings.freebsd}
 * against FreeBSD's {@code <sys/event.h>} (12.0 and later), transcribed here (no FreeBSD
 * compiler runs in CI). The layout follows from the declaration under LP64:
 * {@code uintptr_t ident; short filter; unsigned short flags; unsigned int fflags;
 * int64_t data; void *udata; uint64_t ext[4];}.
 */
class FreebsdDocumentedValuesTest {

    private static final HeaderShape SHAPE = HeaderShape.of(Freebsd.class);

    private static final Map<String, Long> CONSTANTS = new TreeMap<>(Map.ofEntries(
            Map.entry("EVFILT_READ", -1L), Map.entry("EVFILT_WRITE", -2L), Map.entry("EVFILT_USER", -11L),
            Map.entry("EV_ADD", 0x1L), Map.entry("EV_DELETE", 0x2L), Map.entry("EV_ENABLE", 0x4L),
            Map.entry("EV_DISABLE", 0x8L), Map.entry("EV_ONESHOT", 0x10L), Map.entry("EV_CLEAR", 0x20L),
            Map.entry("EV_RECEIPT", 0x40L), Map.entry("EV_DISPATCH", 0x80L), Map.entry("EV_EOF", 0x8000L),
            Map.entry("EV_ERROR", 0x4000L), Map.entry("NOTE_FFNOP", 0L), Map.entry("NOTE_FFAND", 0x40000000L),
            Map.entry("NOTE_FFOR", 0x80000000L), Map.entry("NOTE_FFCOPY", 0xc0000000L),
            Map.entry("NOTE_FFCTRLMASK", 0xc0000000L), Map.entry("NOTE_FFLAGSMASK", 0xffffffL),
            Map.entry("NOTE_TRIGGER", 0x1000000L)));

    @Test
    void everyConstantHasTheValueTheFreebsdHeaderDefines() {
        Map<String, HeaderShape.Constant> bound = SHAPE.constants();
        assertEquals(CONSTANTS.keySet(), bound.keySet(), "the package and the documented table name the same constants");
        CONSTANTS.forEach((name, value) -> assertEquals((int) (long) value, (int) bound.get(name).asLong(), name));
    }

    @Test
    void keventIs64BytesWithExtAfterUdata() {
        Map<String, Long> expected = new TreeMap<>(Map.of("sizeof", 64L, "ident", 0L, "filter", 8L, "flags", 10L,
                "fflags", 12L, "data", 16L, "udata", 24L, "ext", 32L));
        List<HeaderShape.Struct> structs = SHAPE.structs();
        assertEquals(List.of("kevent"), structs.stream().map(HeaderShape.Struct::cPath).toList());
        Map<String, Long> bound = new TreeMap<>();
        bound.put("sizeof", structs.get(0).size());
        structs.get(0).fields().forEach(f -> bound.put(f.name(), f.offset()));
        assertEquals(expected, bound);
        assertEquals(8, kevent.data$layout().byteSize(), "data is int64_t");
        assertEquals(32, kevent.ext$layout().byteSize(), "ext is uint64_t[4]");
    }

    /**
     * The kqueue backend takes the flags and the read/write filters from {@link Macos} for every
     * flavour: that is right only while these agree.
     */
    @Test
    void freebsdDiffersFromMacosOnlyInEvfiltUserAmongTheSharedNames() {
        Map<String, HeaderShape.Constant> mac = HeaderShape.of(Macos.class).constants();
        Map<String, String> differ = new TreeMap<>();
        SHAPE.constants().forEach((name, c) -> {
            if (mac.get(name).asLong() != c.asLong()) {
                differ.put(name, mac.get(name).asLong() + " vs " + c.asLong());
            }
        });
        assertEquals(Set.of("EVFILT_USER"), differ.keySet());
        assertEquals(-10, Macos.EVFILT_USER());
        assertEquals(-11, Freebsd.EVFILT_USER());
    }

    @Test
    void bindsNoFunctions() {
        assertEquals(Map.of(), SHAPE.functions());
    }

    @Test
    void jextractCommandLineNamesExactlyWhatThePackageBinds() throws java.io.IOException {
        assertEquals(List.of(), io.panago.bindings.JextractScript.differences(
                java.nio.file.Path.of("jextract", "freebsd.sh"), SHAPE, Set.of()));
    }
}
