package dev.divergence.math.logits;

/**
 * Chooses the float32 kernel. The SIMD one needs the incubating Vector API, which a JVM only has with
 * {@code --add-modules jdk.incubator.vector}; without it (or with {@code -Ddivergence.simd=false})
 * every row goes through the scalar float64 kernel, with the same results up to float32 rounding.
 * The SIMD class is loaded reflectively so that this module runs on JVMs without the flag.
 */
final class Simd {

    private static final FloatRowKernel VECTOR = loadVectorKernel();

    private Simd() {
    }

    private static FloatRowKernel loadVectorKernel() {
        if ("false".equalsIgnoreCase(System.getProperty("divergence.simd"))) {
            return null;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return null;
        }
        try {
            return (FloatRowKernel) Class.forName("dev.divergence.math.logits.VectorFloatRowKernel")
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    /** The SIMD kernel, or null when the Vector API is unavailable or switched off. */
    static FloatRowKernel vectorKernel() {
        return VECTOR;
    }

    /** True when float32 rows use the SIMD kernel in this JVM. */
    public static boolean enabled() {
        return VECTOR != null;
    }
}
