package dev.divergence.training.trainer.distillation.cache;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.math.logits.TopKTeacher;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.loss.DivergenceLogitsLoss;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache file against the live teacher, and its reuse / rebuild rules. */
class TeacherLogitCacheTest {

  static final int K = 8;
  static final double TEMPERATURE = 1.5;
  static final int CONTEXT = 64;

  static NDManager root;
  static Path teacherDir;
  static LlamaModel teacher;
  static List<long[]> sequences;

  @BeforeAll
  static void teacher() {
    teacherDir = TestRun.builtIns().ensure("tiny-lm");
    root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
    teacher = LlamaModel.load(root, teacherDir);
    SplittableRandom random = new SplittableRandom(7);
    sequences = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      long[] s = new long[2 + random.nextInt(CONTEXT - 1)];
      s[0] = 256; // BOS
      for (int t = 1; t < s.length; t++) {
        s[t] = random.nextInt(256);
      }
      sequences.add(s);
    }
  }

  @AfterAll
  static void close() {
    teacher.close();
    root.close();
  }

  static TeacherCacheIdentity identity(double temperature) {
    return TeacherCacheBuilder.identity("tiny-lm", teacherDir, "random", sequences, temperature, K, CONTEXT);
  }

  /** Builds (or reuses) the cache, counting how often the teacher had to be loaded. */
  static TeacherLogitCache openOrBuild(Path dir, TeacherCacheIdentity identity, AtomicInteger loads, List<String> log) {
    return TeacherCacheBuilder.openOrBuild(dir, identity, sequences, root, m -> {
      loads.incrementAndGet();
      return LlamaModel.load(m, teacherDir);
    }, log::add);
  }

  @Test
  void cacheHoldsTheLiveTeachersTopKPerPosition(@TempDir Path dir) {
    TeacherLogitCache cache = openOrBuild(dir, identity(TEMPERATURE), new AtomicInteger(), new ArrayList<>());
    assertThat(cache.identity().positions()).isEqualTo(sequences.stream().mapToLong(s -> s.length - 1).sum());
    int[] ids = new int[K];
    float[] logProbs = new float[K];
    for (int r = 0; r < sequences.size(); r++) {
      long[] s = sequences.get(r);
      int rows = s.length - 1;
      assertThat(cache.positions(r)).isEqualTo(rows);
      // the live teacher on this sequence alone (no padding): the rows predicting tokens 1..n-1
      float[] logits;
      try (NDManager m = root.newSubManager()) {
        NDArray ids2 = m.create(s, new Shape(1, s.length));
        logits = teacher.forward(ids2, m.ones(new Shape(1, s.length), ai.djl.ndarray.types.DataType.INT64))
            .get(":, :-1, :").toFloatArray();
      }
      TopKTeacher live = DivergenceLogitsLoss.topKTeacher(logits, rows, 259, K, TEMPERATURE);
      for (int t = 0; t < rows; t++) {
        cache.read(r, t, ids, logProbs, 0);
        double mass = 0;
        for (int j = 0; j < K; j++) {
          assertThat(ids[j]).as("record %d position %d rank %d", r, t, j).isEqualTo(live.indices()[t * K + j]);
          assertThat((double) logProbs[j]).isCloseTo(live.logProbs()[t * K + j], org.assertj.core.data.Offset.offset(1e-6));
          mass += Math.exp(live.logProbs()[t * K + j]);
        }
        // the tail is the teacher's mass on the other tokens, summed over them (not 1 - the top-k mass)
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < 259; i++) {
          max = Math.max(max, logits[t * 259 + i] / TEMPERATURE);
        }
        double all = 0;
        double outside = 0;
        for (int i = 0; i < 259; i++) {
          double e = Math.exp(logits[t * 259 + i] / TEMPERATURE - max);
          all += e;
          boolean top = false;
          for (int j = 0; j < K; j++) {
            top |= ids[j] == i;
          }
          outside += top ? 0 : e;
        }
        assertThat((double) cache.tail(r, t)).isCloseTo(outside / all, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(outside / all).isCloseTo(1 - mass, org.assertj.core.data.Offset.offset(1e-6));
      }
    }
  }

  @Test
  void intactCacheIsReusedWithoutLoadingTheTeacher(@TempDir Path dir) {
    AtomicInteger loads = new AtomicInteger();
    List<String> log = new ArrayList<>();
    openOrBuild(dir, identity(TEMPERATURE), loads, log);
    openOrBuild(dir, identity(TEMPERATURE), loads, log);
    assertThat(loads).hasValue(1);
    assertThat(log.getLast()).startsWith("teacher-logit cache reused");
  }

  @Test
  void corruptTruncatedOrStaleCacheIsRebuilt(@TempDir Path dir) throws IOException {
    AtomicInteger loads = new AtomicInteger();
    List<String> log = new ArrayList<>();
    TeacherLogitCache first = openOrBuild(dir, identity(TEMPERATURE), loads, log);
    int[] expectedIds = new int[K];
    float[] expectedLogProbs = new float[K];
    first.read(3, 2, expectedIds, expectedLogProbs, 0);
    Path file = dir.resolve(TeacherCacheBuilder.FILE_NAME);

    long[] sections = TeacherLogitCache.sectionStarts(identity(TEMPERATURE));
    flipByte(file, (sections[2] + sections[3]) / 2); // inside the log-probabilities
    openOrBuild(dir, identity(TEMPERATURE), loads, log);
    assertThat(log.getLast()).contains("building").contains("corrupt").contains("logprobs");

    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(channel.size() - 100); // a file cut short
    }
    openOrBuild(dir, identity(TEMPERATURE), loads, log);
    assertThat(log.getLast()).contains("building").contains("size");

    TeacherLogitCache rebuilt = openOrBuild(dir, identity(2.0), loads, log);
    assertThat(log.getLast()).contains("building").contains("stale: temperature");
    assertThat(loads).hasValue(4);

    TeacherLogitCache back = openOrBuild(dir, identity(TEMPERATURE), loads, log);
    int[] ids = new int[K];
    float[] logProbs = new float[K];
    back.read(3, 2, ids, logProbs, 0);
    assertThat(ids).containsExactly(expectedIds);
    assertThat(logProbs).containsExactly(expectedLogProbs);
    // a different temperature really changes the cached log-probabilities (the staleness check matters)
    rebuilt.read(3, 2, ids, logProbs, 0);
    assertThat(logProbs[0]).isNotEqualTo(expectedLogProbs[0]);
  }

  @Test
  void halfWrittenCacheOfAKilledWorkerIsNeverUsed(@TempDir Path dir) throws IOException {
    // what a writer killed before its rename leaves: a temporary file, no cache file
    Path leftover = dir.resolve("." + TeacherCacheBuilder.FILE_NAME + ".123.writing");
    Files.write(leftover, new byte[5000]);
    AtomicInteger loads = new AtomicInteger();
    List<String> log = new ArrayList<>();
    openOrBuild(dir, identity(TEMPERATURE), loads, log);
    assertThat(log.getFirst()).contains("building").contains("no cache file");
    assertThat(leftover).doesNotExist();
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly(TeacherCacheBuilder.FILE_NAME);
    }
  }

  private static void flipByte(Path file, long at) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      channel.read(b, at);
      b.put(0, (byte) (b.get(0) ^ 0x55)).rewind();
      channel.write(b, at);
    }
  }
}
