package dev.divergence.local.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Makes warm starts of a service about twice as fast: the executable jar is unpacked once into Spring
 * Boot's extracted layout ({@code java -Djarmode=tools -jar x.jar extract}), which lets the JVM keep a
 * class-data-sharing archive of everything it loaded ({@code -XX:+AutoCreateSharedArchive}: written when the
 * service stops, used from the next start on, rebuilt by the JVM itself when it no longer matches).
 *
 * <p>Both live under {@code <cache>/services/<name>/}, shared by every data folder (two platforms may prepare
 * the same service at once: a file lock serialises them), and are redone when the jar changes (size or
 * modification time). If unpacking fails the service simply runs from its jar: the cache is an
 * optimisation, never a reason not to start.
 */
public final class StartupCache {

    private static final long EXTRACT_TIMEOUT_SECONDS = 120;

    private final Path root;
    private final Path java;

    public StartupCache(Path root, Path java) {
        this.root = root;
        this.java = java;
    }

    /**
     * How to start a service: the arguments after the JVM options, and whether the JVM will write its archive
     * when it stops (the first stop after a new jar: that takes several seconds of CPU, so it needs more time).
     */
    public record Launch(List<String> arguments, boolean writesArchiveOnExit) {
        static Launch plain(Path jar) {
            return new Launch(List.of("-jar", jar.toString()), false);
        }
    }

    /** Cached and unpacked if possible, else straight from the jar. */
    public Launch prepare(String name, Path jar, Path logFile) {
        try {
            Files.createDirectories(root);
            try (FileChannel lockFile = FileChannel.open(root.resolve(name + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
                return prepareLocked(name, jar, logFile);
            }
        } catch (IOException e) {
            return Launch.plain(jar);
        }
    }

    private Launch prepareLocked(String name, Path jar, Path logFile) {
        Path dir = root.resolve(name);
        Path extractedJar = dir.resolve("app").resolve(jar.getFileName());
        try {
            String stamp = stampOf(jar);
            Path stampFile = dir.resolve("jar.stamp");
            boolean current = Files.isRegularFile(extractedJar) && Files.isRegularFile(stampFile)
                    && Files.readString(stampFile).equals(stamp);
            if (!current && !extract(jar, dir, logFile)) {
                return Launch.plain(jar);
            }
            Files.writeString(stampFile, stamp);
            Path archive = dir.resolve("classes.jsa");
            return new Launch(List.of("-XX:SharedArchiveFile=" + archive, "-XX:+AutoCreateSharedArchive",
                    // the launcher-watch agent rides along; without this the JVM refuses to write the archive
                    "-XX:+UnlockDiagnosticVMOptions", "-XX:+AllowArchivingWithJavaAgent",
                    "-Xlog:cds=off", "-Xlog:cds+dynamic=off", // hundreds of "Skipping <proxy class>" warnings per dump
                    "-jar", extractedJar.toString()), !Files.isRegularFile(archive));
        } catch (IOException e) {
            return Launch.plain(jar);
        }
    }

    private boolean extract(Path jar, Path dir, Path logFile) throws IOException {
        deleteRecursively(dir);
        Files.createDirectories(dir);
        Path staging = dir.resolve("app.staging");
        note(logFile, "unpacking " + jar + " into " + dir + " for faster starts");
        Process p = new ProcessBuilder(java.toString(), "-Djarmode=tools", "-jar", jar.toString(),
                "extract", "--destination", staging.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        try {
            if (!p.waitFor(EXTRACT_TIMEOUT_SECONDS, TimeUnit.SECONDS) || p.exitValue() != 0
                    || !Files.isRegularFile(staging.resolve(jar.getFileName()))) {
                p.destroyForcibly();
                note(logFile, "unpacking failed; starting from the jar itself");
                deleteRecursively(dir);
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return false;
        }
        Files.move(staging, dir.resolve("app"));
        return true;
    }

    private static String stampOf(Path jar) throws IOException {
        return Files.size(jar) + ":" + Files.getLastModifiedTime(jar).toMillis();
    }

    private static void note(Path logFile, String line) throws IOException {
        Files.writeString(logFile, "==== " + line + System.lineSeparator(), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
