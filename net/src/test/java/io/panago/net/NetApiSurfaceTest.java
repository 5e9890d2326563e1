package io.panago.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * io.panago.net's public classes show nothing of the descriptor layer or the runtime: no public
 * or protected member takes, returns or is of a type of {@code io.panago.net.poll} or
 * {@code io.panago.runtime} (core's {@code ApiSurfaceTest} checks core's packages the same way).
 */
class NetApiSurfaceTest {
    @Test
    void publicMembersShowNoInternalType() {
        List<String> leaks = new ArrayList<>();
        for (Class<?> c : List.of(TcpStream.class, TcpListener.class)) {
            List<Member> members = Stream.<Member>concat(Stream.concat(Stream.of(c.getDeclaredMethods()),
                    Stream.of(c.getDeclaredConstructors())), Stream.of(c.getDeclaredFields())).toList();
            for (Member m : members) {
                int mod = m.getModifiers();
                if (!(Modifier.isPublic(mod) || Modifier.isProtected(mod)) || m.isSynthetic()) {
                    continue;
                }
                String sig = m instanceof Method method ? method.toGenericString() : m.toString();
                // the member's own declaring class is named in it; drop it before looking
                String types = sig.replace(c.getName() + ".", "");
                if (types.contains("io.panago.net.poll.") || types.contains("io.panago.runtime.")) {
                    leaks.add(sig);
                }
            }
            for (Class<?> i : c.getInterfaces()) {
                if (i.getName().startsWith("io.panago.net.poll.") || i.getName().startsWith("io.panago.runtime.")) {
                    leaks.add(c.getName() + " implements " + i.getName());
                }
            }
        }
        assertEquals(List.of(), leaks);
    }
}
