package dev.divergence.local.service;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * The built-in tiny models (libs/model's {@code TinyAssets}: the tiny LM, the digits and breast-cancer
 * classifiers) take minutes of CPU to train on a fresh data folder, and are the same every time for the
 * same code. This keeps the ones a platform made in the cache folder and copies them into the next fresh
 * data folder before the services start, so there they are servable at once instead of being trained again
 * while the other services start.
 *
 * <p>Entries are keyed by the code that makes them: a digest of the CRCs and sizes of every class file in
 * the libs/model jar that the inference service carries (a rebuild with unchanged code keeps the key; any
 * change of libs/model makes a new one). A model is recognised as built-in by its {@code provenance.json}
 * naming {@code TinyAssets}; only complete ones (provenance written last) are copied, each through a
 * temporary sibling and a rename, so a reader never sees half a model.
 */
public final class BuiltInModelsCache {

    static final String MADE_BY = "dev.divergence.model.assets.TinyAssets";
    private static final String VERSION_DIR = "1";
    private static final String PROVENANCE = "provenance.json";

    private final Path entry;

    private BuiltInModelsCache(Path entry) {
        this.entry = entry;
    }

    /** The cache entry for the libs/model code inside {@code serviceJar}, if that jar carries libs/model. */
    public static Optional<BuiltInModelsCache> forServiceJar(Path cacheDir, Path serviceJar) {
        try {
            return codeKey(serviceJar).map(key -> new BuiltInModelsCache(cacheDir.resolve("models").resolve(key)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    Path entry() {
        return entry;
    }

    /** Copies every cached built-in model that {@code modelsDir} lacks into it; returns their names. */
    public List<String> seed(Path modelsDir) {
        List<String> seeded = new ArrayList<>();
        for (Path cached : completeBuiltIns(entry)) {
            Path target = modelsDir.resolve(cached.getFileName()).resolve(VERSION_DIR);
            if (Files.exists(target)) {
                continue;
            }
            if (copyAtomically(cached.resolve(VERSION_DIR), target)) {
                seeded.add(cached.getFileName().toString());
            }
        }
        return seeded;
    }

    /** Keeps every complete built-in model of {@code modelsDir} that the cache lacks; returns their names. */
    public List<String> publish(Path modelsDir) {
        List<String> published = new ArrayList<>();
        for (Path model : completeBuiltIns(modelsDir)) {
            Path target = entry.resolve(model.getFileName()).resolve(VERSION_DIR);
            if (Files.exists(target)) {
                continue;
            }
            if (copyAtomically(model.resolve(VERSION_DIR), target)) {
                published.add(model.getFileName().toString());
            }
        }
        return published;
    }

    /** Model folders under {@code dir} whose version 1 holds a provenance.json written by TinyAssets. */
    static List<Path> completeBuiltIns(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> models = Files.list(dir)) {
            return models.filter(m -> isBuiltIn(m.resolve(VERSION_DIR).resolve(PROVENANCE))).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static boolean isBuiltIn(Path provenance) {
        try {
            return Files.isRegularFile(provenance)
                    && Files.readString(provenance, StandardCharsets.UTF_8).contains("\"" + MADE_BY + "\"");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean copyAtomically(Path from, Path to) {
        Path staging = to.resolveSibling(to.getFileName() + ".staging-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(to.getParent());
            deleteRecursively(staging);
            copyTree(from, staging);
            Files.move(staging, to, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false; // someone else (a service, another platform) finished first: theirs is as good
        } catch (IOException | UncheckedIOException e) {
            return false; // a cache is an optimisation: the service makes the model itself
        } finally {
            try {
                deleteRecursively(staging);
            } catch (IOException ignored) {
                // left for the next run to clear
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * A digest of libs/model's class files inside a Spring Boot jar: name, size and CRC of each, from the
     * nested jar's entries (timestamps, which change on every build, are left out).
     */
    static Optional<String> codeKey(Path serviceJar) throws IOException {
        try (ZipFile outer = new ZipFile(serviceJar.toFile())) {
            Optional<? extends ZipEntry> nested = outer.stream()
                    .filter(e -> e.getName().matches("BOOT-INF/lib/model-[^/]*\\.jar")).findFirst();
            if (nested.isEmpty()) {
                return Optional.empty();
            }
            TreeMap<String, String> classes = new TreeMap<>();
            try (InputStream in = outer.getInputStream(nested.get()); ZipInputStream jar = new ZipInputStream(in)) {
                for (ZipEntry e = jar.getNextEntry(); e != null; e = jar.getNextEntry()) {
                    if (e.getName().endsWith(".class")) {
                        // the local header of a jar written by Maven carries CRC and size after the data:
                        // reading the entry makes ZipInputStream fill them in
                        jar.transferTo(OutputStream.nullOutputStream());
                        classes.put(e.getName(), e.getSize() + ":" + Long.toHexString(e.getCrc()));
                    }
                }
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            classes.forEach((name, sizeAndCrc) -> sha.update((name + "=" + sizeAndCrc + "\n").getBytes(StandardCharsets.UTF_8)));
            return Optional.of(HexFormat.of().formatHex(sha.digest(), 0, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
