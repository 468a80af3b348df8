package dev.divergence.model;

import ai.djl.Device;
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

    /**
     * The device a configuration names: {@code cpu}, {@code cuda} / {@code gpu} (the first GPU),
     * or {@code cuda:N} / {@code gpu:N}. Models run where their NDManager lives, so callers make
     * their managers with {@code NDManager.newBaseManager(device(name), ENGINE)}. A GPU that the
     * loaded libtorch cannot see (a CPU-only build, no driver, an index past the count) is an
     * error naming {@code device}, never a silent fall-back to CPU.
     */
    public static Device device(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        java.util.regex.Matcher gpu = java.util.regex.Pattern.compile("(?:cuda|gpu)(?::(\\d{1,3}))?").matcher(n);
        if (!gpu.matches()) {
            throw new InvalidModelException("device", "expected cpu, cuda or cuda:N, got '" + name + "'");
        }
        int index = gpu.group(1) == null ? 0 : Integer.parseInt(gpu.group(1));
        int visible = engine().getGpuCount();
        if (index >= visible) {
            throw new InvalidModelException("device", "'" + name + "' requested but libtorch sees " + visible
                    + " GPU(s)" + (visible == 0 ? " (CPU-only native library or no CUDA driver)" : ""));
        }
        return Device.gpu(index);
    }

    /** Seeds libtorch's generator (dropout, random init done on the engine side). */
    public static void seed(long seed) {
        engine().setRandomSeed((int) seed);
    }
}
