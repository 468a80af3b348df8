package dev.divergence.local.state;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/** .data/run/platform.state: written atomically by the launcher, read by `down`, `status` and the next `up`. */
public final class StateFile {

    private final Path file;

    public StateFile(Path runDir) {
        this.file = runDir.resolve("platform.state");
    }

    public Path path() {
        return file;
    }

    public synchronized void write(PlatformState state) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "platform", ".state.tmp");
            try (Writer w = Files.newBufferedWriter(tmp)) {
                state.toProperties().store(w, "Divergence local platform: the running launcher and its children");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The recorded state; empty when there is none or it cannot be parsed (treated as nothing running). */
    public Optional<PlatformState> read() {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try (Reader r = Files.newBufferedReader(file)) {
            Properties p = new Properties();
            p.load(r);
            return Optional.of(PlatformState.fromProperties(p));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public synchronized void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }
}
