package dev.divergence.model;

import ai.djl.engine.Engine;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Boots DJL's PyTorch engine without touching the network. DJL reads its offline flag and cache
 * folder from system properties the first time the engine loads, so {@link #configure} must run
 * before anything else touches DJL; afterwards the settings are fixed for the JVM.
 */
public final class DjlRuntime {

    public static final String ENGINE = "PyTorch";

    private DjlRuntime() {
    }

    /**
     * Points the libtorch unpack folder (432 MB on first start) at {@code cacheDir} and forbids
     * downloads. The local platform passes {@code ./.data/djl}; tests pass a folder under target/.
     * Properties already set by the caller (e.g. -DDJL_CACHE_DIR) are kept.
     */
    public static void configure(Path cacheDir) {
        Objects.requireNonNull(cacheDir, "cacheDir");
        String dir = cacheDir.toAbsolutePath().toString();
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("DJL_CACHE_DIR") == null) {
            System.setProperty("DJL_CACHE_DIR", dir);
        }
        if (System.getProperty("ENGINE_CACHE_DIR") == null) {
            System.setProperty("ENGINE_CACHE_DIR", dir);
        }
    }

    /** The PyTorch engine; configure first unless the JVM was started with the properties. */
    public static Engine engine() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        return Engine.getEngine(ENGINE);
    }

    /** Seeds libtorch's generator (dropout, random init done on the engine side). */
    public static void seed(long seed) {
        engine().setRandomSeed((int) seed);
    }
}
