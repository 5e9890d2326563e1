package io.panago.runtime;

import io.panago.Chan;
import io.panago.Go;
import io.panago.Select;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A buffered channel of large capacity grows its buffer as it fills, under its lock. When that
 * allocation fails, the send (plain or in a select) throws the {@link OutOfMemoryError} and the
 * channel stays usable: before, the lock stayed held and every later use of the channel spun
 * for ever, the runtime's carriers with it. Runs in a JVM with a small heap.
 */
class ChanOutOfMemoryTest {
    /**
     * Child main: fills a channel until growing its buffer fails, by a plain send and then by a
     * select's send, and each time drains a little and sends again from another goroutine.
     * Prints "ok" if every step completed.
     */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            String r = Go.run(() -> {
                for (boolean viaSelect : new boolean[] {false, true}) {
                    Chan<Object> c = Chan.make(Integer.MAX_VALUE);
                    Object v = new Object();
                    long sent = 0;
                    try {
                        for (;;) {
                            if (viaSelect) {
                                Select.select(Select.onSend(c, v, () -> { }));
                            } else {
                                c.send(v);
                            }
                            sent++;
                        }
                    } catch (OutOfMemoryError expected) {
                        // the buffer could not double
                    }
                    if (c.len() != sent) {
                        return "len " + c.len() + " after " + sent + " sends";
                    }
                    Chan<String> done = Chan.make();
                    Go.go(() -> {
                        c.recv();
                        c.send(v); // fits the buffer as it is
                        done.send("sent");
                    });
                    if (!"sent".equals(done.recv()) || c.len() != sent) {
                        return "the channel did not work after the failed growth";
                    }
                    c.close();
                }
                return "ok";
            });
            System.out.println(r);
        }
    }

    @Test
    void aFailedGrowthLeavesTheChannelUsable() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, Main.class, List.of(
                "--add-exports=java.base/jdk.internal.vm=io.panago.core",
                "--enable-native-access=io.panago.bindings,io.panago.core", "-Xmx48m", "-XX:+UseSerialGC"));
        assertTrue(r.out().strip().endsWith("ok"), r.out());
        assertEquals(0, r.exit(), r.out());
    }
}
