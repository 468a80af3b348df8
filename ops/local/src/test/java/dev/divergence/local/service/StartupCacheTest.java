package dev.divergence.local.service;

import dev.divergence.local.process.JavaCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

class StartupCacheTest {

    @TempDir
    Path dir;

    @Test
    void aJarThatCannotBeUnpackedRunsAsItIs() throws Exception {
        Path jar = dir.resolve("plain.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, manifest)) {
            j.flush();
        }
        Path log = dir.resolve("plain.log");

        StartupCache.Launch launch = new StartupCache(dir.resolve("cache"), JavaCommand.javaExecutable())
                .prepare("plain", jar, log);

        assertThat(launch.arguments()).containsExactly("-jar", jar.toString());
        assertThat(launch.writesArchiveOnExit()).isFalse();
        assertThat(Files.readString(log)).contains("unpacking failed; starting from the jar itself");
        assertThat(dir.resolve("cache/plain")).doesNotExist();
    }
}
