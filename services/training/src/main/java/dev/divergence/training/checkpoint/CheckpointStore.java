package dev.divergence.training.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A job's checkpoints under {@code <data>/checkpoints/<job>/step-<n>/}. A checkpoint is written
 * into a hidden temporary folder and renamed into place, then the {@code latest} pointer is
 * replaced atomically: a worker killed at any moment leaves either the old or the new checkpoint,
 * never half of one. What a checkpoint holds (weights as safetensors, optimizer and scheduler
 * state, step, RNG, data position) is up to the trainer.
 */
public final class CheckpointStore {

  private static final String LATEST = "latest";
  private final Path root;
  private final int keep;

  public CheckpointStore(Path root, int keep) {
    this.root = root;
    this.keep = keep;
  }

  public record Checkpoint(long step, Path dir) {}

  /** A complete checkpoint as a listing shows it: its step, when it was written and its size on disk. */
  public record Listed(long step, Instant writtenAt, long sizeBytes) {}

  /** Writes a checkpoint of {@code step}; {@code writer} fills the given (empty) folder. */
  public Checkpoint save(long step, CheckpointWriter writer) {
    try {
      Files.createDirectories(root);
      Path tmp = Files.createTempDirectory(root, ".writing-");
      writer.write(tmp);
      Path dir = root.resolve(String.format("step-%010d", step));
      if (Files.exists(dir)) {
        deleteTree(dir);
      }
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      Path pointer = Files.createTempFile(root, ".latest-", ".tmp");
      Files.writeString(pointer, dir.getFileName().toString(), StandardCharsets.UTF_8);
      Files.move(pointer, root.resolve(LATEST), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      pruneOlderThan(dir);
      return new Checkpoint(step, dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint of step " + step + " under " + root, e);
    }
  }

  /** The newest complete checkpoint, if any. */
  public Optional<Checkpoint> latest() {
    Path pointer = root.resolve(LATEST);
    if (!Files.isRegularFile(pointer)) {
      return Optional.empty();
    }
    try {
      Path dir = root.resolve(Files.readString(pointer, StandardCharsets.UTF_8).trim());
      if (!Files.isDirectory(dir)) {
        return Optional.empty();
      }
      long step = Long.parseLong(dir.getFileName().toString().substring("step-".length()));
      return Optional.of(new Checkpoint(step, dir));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * The complete checkpoints kept, oldest first. Only renamed-into-place folders count: one still
   * being written lies under a hidden name.
   */
  public List<Listed> list() {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<Listed> listed = new ArrayList<>();
    try (Stream<Path> entries = Files.list(root)) {
      for (Path dir : entries.filter(p -> p.getFileName().toString().startsWith("step-") && Files.isDirectory(p))
          .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList()) {
        long step = Long.parseLong(dir.getFileName().toString().substring("step-".length()));
        listed.add(new Listed(step, Files.getLastModifiedTime(dir).toInstant(), sizeOf(dir)));
      }
    } catch (NoSuchFileException e) {
      return List.of(); // removed (the job's model registered) while we looked
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the checkpoints under " + root, e);
    }
    return listed;
  }

  private static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      long total = 0;
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        total += Files.size(file);
      }
      return total;
    }
  }

  /** Removes every checkpoint of the job (after its model is registered). */
  public void deleteAll() {
    if (Files.exists(root)) {
      deleteTree(root);
    }
  }

  private void pruneOlderThan(Path newest) throws IOException {
    try (Stream<Path> entries = Files.list(root)) {
      List<Path> steps = entries.filter(p -> p.getFileName().toString().startsWith("step-"))
          .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
      for (int i = 0; i < steps.size() - keep; i++) {
        if (!steps.get(i).equals(newest)) {
          deleteTree(steps.get(i));
        }
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  @FunctionalInterface
  public interface CheckpointWriter {
    void write(Path dir) throws IOException;
  }
}
