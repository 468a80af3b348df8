package dev.divergence.training.trainer.distillation.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.math.logits.TopKTeacher;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.loss.DivergenceLogitsLoss;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Opens a job's teacher-logit cache, or builds it first: runs the teacher once over every sequence
 * (no gradients) and writes its top-k per position. The teacher is loaded only when building.
 */
public final class TeacherCacheBuilder {

  /** The cache's file name in the job folder. */
  public static final String FILE_NAME = "teacher-topk.cache";
  /** Logit floats per teacher batch while building (bounds the builder's memory to ~64 MiB of logits). */
  static final long BATCH_LOGITS = 16L << 20;

  private TeacherCacheBuilder() {
  }

  /**
   * @param sequences the token sequences, each cut to {@code context}, in record order
   * @param teacher loads the teacher onto the given manager (called only when the cache is built)
   */
  public static TeacherLogitCache openOrBuild(Path jobDir, TeacherCacheIdentity identity, List<long[]> sequences,
      NDManager manager, Function<NDManager, LlamaModel> teacher, Consumer<String> log) {
    Path file = jobDir.resolve(FILE_NAME);
    StringBuilder why = new StringBuilder();
    Optional<TeacherLogitCache> existing = TeacherLogitCache.open(file, identity, why);
    if (existing.isPresent()) {
      log.accept("teacher-logit cache reused (" + identity.positions() + " positions, top-" + identity.k() + ")");
      return existing.get();
    }
    log.accept("building the teacher-logit cache (" + why + ")");
    try (NDManager scratch = manager.newSubManager(); LlamaModel model = teacher.apply(scratch)) {
      write(file, identity, sequences, model, scratch);
    } catch (IOException e) {
      throw TeacherLogitCache.failure(file, e);
    }
    StringBuilder again = new StringBuilder();
    return TeacherLogitCache.open(file, identity, again)
        .orElseThrow(() -> new IllegalStateException("teacher-logit cache " + file + " unusable right after writing: " + again));
  }

  static void write(Path file, TeacherCacheIdentity identity, List<long[]> sequences, LlamaModel teacher, NDManager manager)
      throws IOException {
    deleteLeftovers(file);
    long[] offsets = new long[sequences.size() + 1];
    for (int i = 0; i < sequences.size(); i++) {
      offsets[i + 1] = offsets[i] + rows(sequences.get(i));
    }
    int k = identity.k();
    int vocab = identity.vocab();
    try (TeacherLogitCacheWriter writer = new TeacherLogitCacheWriter(file, identity, offsets)) {
      int longest = sequences.stream().mapToInt(s -> s.length).max().orElse(2);
      int perBatch = (int) Math.max(1, Math.min(64, BATCH_LOGITS / ((long) Math.max(longest, 2) * vocab)));
      for (int from = 0; from < sequences.size(); from += perBatch) {
        List<long[]> part = sequences.subList(from, Math.min(sequences.size(), from + perBatch));
        int[] starts = new int[part.size()];
        Arrays.fill(starts, 1);
        SequenceBatch batch = SequenceBatch.of(part, starts, identity.context());
        float[] logits;
        try (NDManager m = manager.newSubManager()) {
          NDArray out = batch.predictionRows(teacher.forward(batch.idsArray(m), batch.maskArray(m)));
          logits = out.toFloatArray();
        }
        int perSequence = batch.length() - 1;
        TopKTeacher top = DivergenceLogitsLoss.topKTeacher(logits, batch.batch() * perSequence, vocab, k, identity.temperature());
        for (int b = 0; b < part.size(); b++) {
          int n = rows(part.get(b));
          int[] ids = Arrays.copyOfRange(top.indices(), b * perSequence * k, (b * perSequence + n) * k);
          float[] logProbs = Arrays.copyOfRange(top.logProbs(), b * perSequence * k, (b * perSequence + n) * k);
          // the tail summed over its own tokens when the top-k was selected, not 1 - the top-k mass
          float[] tail = new float[n];
          for (int t = 0; t < n; t++) {
            tail[t] = (float) top.tailMass()[b * perSequence + t];
          }
          writer.append(ids, logProbs, tail, n);
        }
      }
      writer.commit();
    }
  }

  /** Positions cached for a sequence already cut to the context: one per predicted token. */
  static int rows(long[] sequence) {
    return Math.max(0, sequence.length - 1);
  }

  /** Temporary files of writers that were killed (never renamed into place). */
  private static void deleteLeftovers(Path file) throws IOException {
    if (!Files.isDirectory(file.getParent())) {
      return;
    }
    try (Stream<Path> entries = Files.list(file.getParent())) {
      for (Path p : entries.filter(p -> p.getFileName().toString().startsWith("." + FILE_NAME + ".")).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * The identity of a cache of {@code teacherDir}'s teacher over {@code sequences} (already cut to
   * {@code context}); reads only the teacher's config and lists its weight files.
   */
  public static TeacherCacheIdentity identity(String teacherReference, Path teacherDir, String dataset, List<long[]> sequences,
      double temperature, int k, int context) {
    LlamaConfig config = LlamaConfig.read(teacherDir);
    long positions = 0;
    MessageDigest tokens = sha256();
    ByteBuffer buffer = ByteBuffer.allocate(8);
    for (long[] s : sequences) {
      positions += rows(s);
      tokens.update(buffer.clear().putLong(s.length).flip());
      for (long token : s) {
        tokens.update(buffer.clear().putLong(token).flip());
      }
    }
    Path version = teacherDir.toAbsolutePath().normalize();
    String versionName = version.getParent() == null ? version.getFileName().toString()
        : version.getParent().getFileName() + "/" + version.getFileName();
    return new TeacherCacheIdentity(teacherReference, versionName, weightsFingerprint(teacherDir), dataset,
        HexFormat.of().formatHex(tokens.digest()), temperature, k, config.vocabSize(), context, sequences.size(), positions);
  }

  private static String weightsFingerprint(Path dir) {
    MessageDigest digest = sha256();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        String name = f.getFileName().toString();
        if (name.equals("config.json")) {
          digest.update(Files.readAllBytes(f));
        } else if (name.endsWith(".safetensors") || name.endsWith(".safetensors.index.json")) {
          digest.update((name + ":" + Files.size(f) + ":" + Files.getLastModifiedTime(f).toMillis() + "\n")
              .getBytes(StandardCharsets.UTF_8));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the teacher folder " + dir, e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
