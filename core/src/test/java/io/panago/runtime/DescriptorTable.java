package io.panago.runtime;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fills this process's descriptor table, for tests of what runs out of descriptors (EMFILE).
 * No JUnit here: the child JVMs of those tests load this class without JUnit on their path.
 */
final class DescriptorTable {
    private DescriptorTable() {
    }

    /** Opens /dev/null until the table is full; the caller closes what it returns. */
    static List<FileChannel> fill() throws IOException {
        List<FileChannel> filler = new ArrayList<>();
        try {
            for (;;) {
                filler.add(FileChannel.open(Path.of("/dev/null")));
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("Too many open files")) {
                for (FileChannel f : filler) {
                    f.close();
                }
                throw full;
            }
        }
        return filler;
    }

    /** Closes what {@link #fill} opened. */
    static void free(List<FileChannel> filler) throws IOException {
        for (FileChannel f : filler) {
            f.close();
        }
    }
}
