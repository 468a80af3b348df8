package dev.divergence.local.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Writes the one-class agent jar for {@link ParentWatchAgent}. Built at runtime from the class on our own
 * classpath, so it works the same from the packaged launcher and from a test's target/classes.
 */
public final class ParentWatchAgentJar {

    private ParentWatchAgentJar() {
    }

    public static Path writeInto(Path dir) {
        String entryName = ParentWatchAgent.class.getName().replace('.', '/') + ".class";
        Path jar = dir.resolve("launcher-watch-agent.jar");
        try (InputStream classBytes = ParentWatchAgent.class.getClassLoader().getResourceAsStream(entryName)) {
            if (classBytes == null) {
                throw new IllegalStateException("cannot read " + entryName + " from the classpath");
            }
            Files.createDirectories(dir);
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), ParentWatchAgent.class.getName());
            // Write next to the target and move, so a child starting concurrently never sees half a jar.
            Path tmp = Files.createTempFile(dir, "agent", ".jar.tmp");
            try (OutputStream out = Files.newOutputStream(tmp); JarOutputStream jarOut = new JarOutputStream(out, manifest)) {
                jarOut.putNextEntry(new JarEntry(entryName));
                classBytes.transferTo(jarOut);
                jarOut.closeEntry();
            }
            Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the launcher-watch agent into " + dir, e);
        }
    }
}
