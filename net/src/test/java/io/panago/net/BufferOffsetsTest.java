package io.panago.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every read and write uses the array and the offset its call names. The stream keeps the
 * segment of the last array it passed to the kernel (so a loop over one buffer allocates
 * nothing): calls that switch arrays, offsets, or use an array too big to be kept must never
 * see a stale one.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BufferOffsetsTest {
    private static final byte UNTOUCHED = (byte) 0xEE;

    @Test
    void eachCallReadsIntoAndWritesFromItsOwnArrayAndOffset() throws Exception {
        NetTesting.withPair((a, b) -> {
            a.setReadDeadline(Instant.now().plusSeconds(20));
            SplittableRandom rnd = new SplittableRandom(7);
            byte[][] readInto = {new byte[32], new byte[32], new byte[512 << 10]};
            byte[][] writeFrom = {new byte[32], new byte[32], new byte[512 << 10]};
            int next = 0;
            for (int round = 0; round < 2_000; round++) {
                int len = 1 + rnd.nextInt(16);
                byte[] src = writeFrom[rnd.nextInt(writeFrom.length)];
                int woff = rnd.nextInt(src.length - len + 1);
                byte[] expected = new byte[len];
                for (int i = 0; i < len; i++) {
                    expected[i] = (byte) next++;
                }
                System.arraycopy(expected, 0, src, woff, len);
                b.writeAll(src, woff, len);

                byte[] dst = readInto[rnd.nextInt(readInto.length)];
                int roff = rnd.nextInt(dst.length - len + 1);
                Arrays.fill(dst, UNTOUCHED);
                assertEquals(len, a.readNBytes(dst, roff, len));
                assertArrayEquals(expected, Arrays.copyOfRange(dst, roff, roff + len), "round " + round);
                assertEquals(-1, indexOfTouched(dst, 0, roff), "round " + round + ": before the offset");
                assertEquals(-1, indexOfTouched(dst, roff + len, dst.length), "round " + round + ": past the end");
            }
        });
    }

    private static int indexOfTouched(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != UNTOUCHED) {
                return i;
            }
        }
        return -1;
    }
}
