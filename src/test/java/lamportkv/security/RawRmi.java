package lamportkv.security;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.rmi.Remote;
import java.rmi.server.RemoteObject;
import java.rmi.server.RemoteObjectInvocationHandler;
import java.rmi.server.RemoteRef;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicBoolean;

/** Calls a remote method with arguments its signature does not allow, as an attacker's own RMI code would. */
final class RawRmi {
    private RawRmi() {
    }

    /**
     * A test-only "gadget": deserializing it runs code (here it only raises a flag). A filter that
     * lets it through has let an attacker's chosen class run its {@code readObject}.
     */
    static final class Canary implements Serializable {
        private static final long serialVersionUID = 1L;
        static final AtomicBoolean READ = new AtomicBoolean();
        final String payload = "canary";

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            READ.set(true);
        }
    }

    /** Invokes {@code method} on {@code stub} with {@code args} as they are, bypassing the stub's types. */
    static Object invoke(Remote stub, Method method, Object... args) throws Exception {
        return ref(stub).invoke(stub, method, args, methodHash(method));
    }

    static RemoteRef ref(Remote stub) {
        if (Proxy.isProxyClass(stub.getClass())) {
            return ((RemoteObjectInvocationHandler) Proxy.getInvocationHandler(stub)).getRef();
        }
        return ((RemoteObject) stub).getRef();   // the registry's stub
    }

    /** RMI's method hash: the first 8 bytes of SHA-1 over the method's name and descriptor, little-endian. */
    static long methodHash(Method m) throws Exception {
        StringBuilder s = new StringBuilder(m.getName()).append('(');
        for (Class<?> p : m.getParameterTypes()) {
            s.append(descriptor(p));
        }
        s.append(')').append(descriptor(m.getReturnType()));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(s.toString());
        }
        byte[] sha = MessageDigest.getInstance("SHA-1").digest(bytes.toByteArray());
        long hash = 0;
        for (int i = 0; i < 8; i++) {
            hash += ((long) (sha[i] & 0xFF)) << (i * 8);
        }
        return hash;
    }

    private static String descriptor(Class<?> c) {
        if (c.isArray()) {
            return c.getName().replace('.', '/');
        }
        if (c.isPrimitive()) {
            return switch (c.getName()) {
                case "void" -> "V";
                case "boolean" -> "Z";
                case "byte" -> "B";
                case "char" -> "C";
                case "short" -> "S";
                case "int" -> "I";
                case "long" -> "J";
                case "float" -> "F";
                case "double" -> "D";
                default -> throw new IllegalArgumentException(c.getName());
            };
        }
        return "L" + c.getName().replace('.', '/') + ";";
    }

    /** The filter's rejection in {@code e}'s causes, or null. */
    static InvalidClassException rejection(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidClassException ice && String.valueOf(ice.getMessage()).contains("filter status: REJECTED")) {
                return ice;
            }
        }
        return null;
    }

    /** Every message in {@code e}'s causes, one per line. */
    static String messages(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            s.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
        }
        return s.toString();
    }
}
