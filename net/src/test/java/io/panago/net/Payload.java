package io.panago.net;

import java.util.Arrays;

/**
 * A deterministic byte stream per seed, cheap to regenerate at any offset, so a reader can
 * check every byte it receives without either side keeping the whole payload.
 */
final class Payload {
    private Payload() {}

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /** Writes bytes {@code [pos, pos+len)} of stream {@code seed} into {@code b[off..]}. */
    static void fill(long seed, long pos, byte[] b, int off, int len) {
        long word = 0;
        for (int k = 0; k < len; k++) {
            long p = pos + k;
            if (k == 0 || (p & 7) == 0) {
                word = mix(seed * 0x9e3779b97f4a7c15L + (p >>> 3));
            }
            b[off + k] = (byte) (word >>> ((p & 7) << 3));
        }
    }

    /**
     * Checks {@code b[off, off+len)} against bytes {@code [pos, pos+len)} of stream
     * {@code seed}; {@code scratch} is at least {@code len} long. Returns the index of the
     * first wrong byte in the stream, or -1.
     */
    static long mismatch(long seed, long pos, byte[] b, int off, int len, byte[] scratch) {
        fill(seed, pos, scratch, 0, len);
        int i = Arrays.mismatch(b, off, off + len, scratch, 0, len);
        return i < 0 ? -1 : pos + i;
    }
}
