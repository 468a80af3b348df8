package dev.divergence.local.process;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One child process of the launcher: started in its own session (so Ctrl-C in the terminal reaches only the
 * launcher, which then stops children in order), with stdout and stderr appended to its log file and stdin
 * kept as the lifeline that {@link ParentWatchAgent} watches.
 */
public final class ChildProcess {

    private static final long ROTATE_LOG_ABOVE_BYTES = 50L * 1024 * 1024;
    private static final Path SETSID = findSetsid();

    private final String name;
    private final Process process;
    private final Path logFile;
    private final long logOffset;
    private final Instant startedAt;
    /** Held, never written: closing it (or dying) tells the child the launcher is gone. */
    @SuppressWarnings("unused")
    private final OutputStream lifeline;

    private ChildProcess(String name, Process process, Path logFile, long logOffset) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
        this.logOffset = logOffset;
        this.startedAt = process.info().startInstant().orElse(Instant.now());
        this.lifeline = process.getOutputStream();
    }

    public static ChildProcess start(String name, List<String> command, Map<String, String> environment,
                                     Path workDir, Path logFile) {
        try {
            Files.createDirectories(logFile.getParent());
            rotateIfLarge(logFile);
            long offset = Files.exists(logFile) ? Files.size(logFile) : 0;
            Files.writeString(logFile, "==== " + Instant.now() + " launcher starts " + name + ": "
                            + String.join(" ", command) + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            List<String> full = new ArrayList<>();
            if (SETSID != null) {
                full.add(SETSID.toString());
            }
            full.addAll(command);
            ProcessBuilder builder = new ProcessBuilder(full)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            builder.environment().putAll(environment);
            return new ChildProcess(name, builder.start(), logFile, offset);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Instant startedAt() {
        return startedAt;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public CompletableFuture<Process> onExit() {
        return process.onExit();
    }

    public int exitCode() {
        return process.exitValue();
    }

    public Path logFile() {
        return logFile;
    }

    /** SIGTERM, then up to {@code grace} for a clean exit, then SIGKILL. Returns true if it exited cleanly in time. */
    public boolean stop(Duration grace) {
        return ProcessStopper.stop(process.toHandle(), grace);
    }

    /** Up to {@code max} last lines this run wrote to the log (earlier runs' lines are not shown). */
    public List<String> logTail(int max) {
        return LogTail.read(logFile, logOffset, max);
    }

    private static void rotateIfLarge(Path logFile) throws IOException {
        if (Files.exists(logFile) && Files.size(logFile) > ROTATE_LOG_ABOVE_BYTES) {
            Files.move(logFile, logFile.resolveSibling(logFile.getFileName() + ".1"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static Path findSetsid() {
        return Arrays.stream(new String[] {"/usr/bin/setsid", "/bin/setsid"})
                .map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
    }

    /** Reads the end of a log file from a start offset. */
    public static final class LogTail {
        private LogTail() {
        }

        public static List<String> read(Path file, long fromOffset, int max) {
            if (!Files.exists(file)) {
                return List.of();
            }
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                long length = raf.length();
                long start = Math.max(fromOffset, length - 64 * 1024);
                raf.seek(start);
                byte[] bytes = new byte[(int) (length - start)];
                raf.readFully(bytes);
                List<String> lines = new ArrayList<>(Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\\R")));
                lines.removeIf(String::isBlank);
                return List.copyOf(lines.subList(Math.max(0, lines.size() - max), lines.size()));
            } catch (IOException e) {
                return List.of("(cannot read " + file + ": " + e.getMessage() + ")");
            }
        }
    }
}
