package dev.divergence.training.trainer;

import dev.divergence.model.DjlRuntime;
import dev.divergence.training.checkpoint.CheckpointStore;
import dev.divergence.training.config.TrainingProperties;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.registry.BuiltInModels;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A {@link TrainingRun} without Spring, database or Kafka: built-in models (small budget) from a
 * data folder shared by the test JVM, a checkpoint store per run (or shared, to resume), the
 * reported metrics kept in memory, and an optional cancellation after a given step.
 */
public final class TestRun implements TrainingRun {

  /** Shared by all trainer tests so built-in models are made once per test JVM. */
  public static final Path DATA = Path.of("target", "trainer-test-data").toAbsolutePath();
  private static final Map<String, DatasetKind> BUILT_IN_DATASETS = Map.of("arithmetic", DatasetKind.TEXT,
      "arithmetic-preferences", DatasetKind.PREFERENCE, "digits", DatasetKind.CLASSIFICATION, "breast-cancer", DatasetKind.CLASSIFICATION);
  private static BuiltInModels builtIns;

  private final UUID jobId = UUID.randomUUID();
  private final JobSpec spec;
  private final Path workDir;
  private final Path jobDir;
  private final CheckpointStore checkpoints;
  private final RegisteredDataset dataset;
  public final List<Map<String, Double>> reported = new ArrayList<>();
  public final List<Long> steps = new ArrayList<>();
  public final List<String> logs = new ArrayList<>();
  private long cancelAfterStep = Long.MAX_VALUE;
  private int lossChunkRows = 1024;

  public TestRun(JobSpec spec, Path checkpointDir) {
    this(spec, checkpointDir, null);
  }

  public TestRun(JobSpec spec, Path checkpointDir, RegisteredDataset uploaded) {
    this.spec = spec.withDefaults();
    this.checkpoints = new CheckpointStore(checkpointDir, 2);
    // runs sharing a checkpoint folder are attempts of one job: they share its job folder too
    this.jobDir = checkpointDir.resolveSibling(checkpointDir.getFileName() + "-job");
    try {
      this.workDir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "trainer-work-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.dataset = uploaded != null ? uploaded
        : new RegisteredDataset(spec.dataset(), BUILT_IN_DATASETS.get(spec.dataset()), null, null, true, "built in", null);
  }

  public static synchronized BuiltInModels builtIns() {
    if (builtIns == null) {
      DjlRuntime.configure(Path.of("target", "djl-cache"));
      builtIns = new BuiltInModels(new TrainingProperties(DATA, "local", 1, null, null, 3, "small", null));
    }
    return builtIns;
  }

  public static Budget budget(long steps, int batch, double rate, int checkpointEvery) {
    return new Budget(steps, batch, rate, 0, "constant", checkpointEvery, 42L, 1, 1.0, 1);
  }

  /** Positions per loss chunk (small values make tests cross chunk boundaries). */
  public TestRun lossChunkRows(int rows) {
    this.lossChunkRows = rows;
    return this;
  }

  @Override
  public int lossChunkRows() {
    return lossChunkRows;
  }

  public TestRun cancelAfter(long step) {
    this.cancelAfterStep = step;
    return this;
  }

  public Map<String, Double> first() {
    return reported.getFirst();
  }

  public Map<String, Double> last() {
    return reported.getLast();
  }

  /** Mean of a metric over the first or last {@code n} reported steps. */
  public double mean(String metric, int n, boolean fromEnd) {
    List<Map<String, Double>> part = fromEnd ? reported.subList(reported.size() - n, reported.size()) : reported.subList(0, n);
    return part.stream().mapToDouble(m -> m.get(metric)).average().orElseThrow();
  }

  @Override
  public UUID jobId() {
    return jobId;
  }

  @Override
  public int attempt() {
    return 1;
  }

  @Override
  public JobSpec spec() {
    return spec;
  }

  @Override
  public Path modelDir(String field, String reference) {
    return builtIns().ensure(reference);
  }

  @Override
  public RegisteredDataset dataset() {
    return dataset;
  }

  @Override
  public Path dataDir() {
    return DATA;
  }

  @Override
  public Path jobDir() {
    return jobDir;
  }

  @Override
  public Path workDir() {
    return workDir;
  }

  @Override
  public CheckpointStore checkpoints() {
    return checkpoints;
  }

  @Override
  public void reportStep(long step, Map<String, Double> metrics) {
    steps.add(step);
    reported.add(new LinkedHashMap<>(metrics));
  }

  @Override
  public void log(String message) {
    logs.add(message);
  }

  @Override
  public boolean cancellationRequested() {
    return !steps.isEmpty() && steps.getLast() >= cancelAfterStep;
  }
}
