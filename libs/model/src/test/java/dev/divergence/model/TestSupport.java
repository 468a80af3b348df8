package dev.divergence.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** Shared bits of the module's tests: the CPU NDManager and test resources as paths. */
public final class TestSupport {

    private TestSupport() {
    }

    public static NDManager newManager() {
        DjlRuntime.configure(Path.of("target", "djl-cache"));
        return NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
    }

    public static Path resource(String name) {
        try {
            return Path.of(TestSupport.class.getResource("/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource missing: " + name, e);
        }
    }
}
