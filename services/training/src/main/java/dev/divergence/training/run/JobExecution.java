package dev.divergence.training.run;

import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.training.checkpoint.CheckpointStore;
import dev.divergence.training.config.TrainingProperties;
import dev.divergence.training.job.Algorithm;
import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.JobState;
import dev.divergence.training.job.Progress;
import dev.divergence.training.registry.DatasetRegistry;
import dev.divergence.training.registry.ModelRegistry;
import dev.divergence.training.registry.RegisteredDataset;
import dev.divergence.training.trainer.JobCancelledException;
import dev.divergence.training.trainer.Trainer;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.TrainingRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One attempt of one job on this worker: the {@link TrainingRun} its trainer sees, and the outcome.
 * Public for the Kubernetes runner's worker mode, which runs one attempt per process.
 */
public final class JobExecution implements TrainingRun {

  private static final Logger log = LoggerFactory.getLogger(JobExecution.class);

  private final Job job;
  private final JobSpec spec;
  private final JobLifecycle lifecycle;
  private final TrainerRegistry trainers;
  private final ModelRegistry models;
  private final DatasetRegistry datasets;
  private final TrainingProperties properties;
  private final CheckpointStore checkpoints;
  private final Path workDir;
  private volatile boolean cancelRequested;
  private volatile boolean workerStopping;
  private volatile boolean ownershipLost;
  private final long startedNanos = System.nanoTime();
  private long firstStep = -1;
  private long lastStepReportedNanos = -1;

  public JobExecution(Job job, JobLifecycle lifecycle, TrainerRegistry trainers, ModelRegistry models, DatasetRegistry datasets,
      TrainingProperties properties) {
    this.job = job;
    this.spec = job.spec().withDefaults();
    this.lifecycle = lifecycle;
    this.trainers = trainers;
    this.models = models;
    this.datasets = datasets;
    this.properties = properties;
    this.checkpoints = new CheckpointStore(properties.checkpointsDir().resolve(job.id().toString()), 2);
    this.workDir = properties.dataDir().resolve("work").resolve(job.id() + "-" + job.attempt());
  }

  public Job job() {
    return job;
  }

  public void requestCancel() {
    cancelRequested = true;
  }

  public void workerStopping() {
    workerStopping = true;
  }

  public void ownershipLost() {
    ownershipLost = true;
  }

  /**
   * Runs the attempt to its end and records the outcome; never throws. It runs as the job's tenant:
   * the datasets and models it reads are that tenant's, the model it registers and the events it
   * announces belong to that tenant.
   */
  public void run(int maxAttempts) {
    TenantContext.runAs(job.tenant(), () -> attempt(maxAttempts));
  }

  private void attempt(int maxAttempts) {
    MDC.put("jobId", job.id().toString());
    try {
      Algorithm algorithm = Algorithm.byApiName(spec.algorithm()).orElseThrow();
      Trainer trainer = trainers.forAlgorithm(algorithm)
          .orElseThrow(() -> new IllegalStateException("this worker has no trainer for " + algorithm.apiName()));
      Files.createDirectories(workDir);
      checkpoints.latest().ifPresent(c -> log("resuming from the checkpoint of step " + c.step()));
      TrainingOutcome outcome = trainer.train(this);
      if (ownershipLost) {
        return;
      }
      var model = lifecycle.succeed(job, outputName(), outcome.modelDir(), lineage(), outcome.finalMetrics());
      log.info("job {} succeeded, model {}", job.id(), model.reference());
      checkpoints.deleteAll();
      // the job's shared files (a teacher-logit cache) served its attempts; the job is done
      deleteQuietly(jobDir());
    } catch (JobCancelledException e) {
      if (ownershipLost) {
        log.warn("job {} was taken over by another worker; this attempt stops", job.id());
      } else if (workerStopping && !cancelRequested) {
        lifecycle.abandon(job, "worker-stopped", maxAttempts);
      } else {
        lifecycle.end(job, JobState.CANCELLED, "cancelled-by-user", "stopped at step " + lastStep());
      }
    } catch (RuntimeException | IOException | Error e) {
      log.error("job {} failed", job.id(), e);
      if (!ownershipLost) {
        lifecycle.end(job, JobState.FAILED, "error", describe(e));
      }
    } finally {
      deleteQuietly(workDir);
      MDC.remove("jobId");
    }
  }

  private volatile long lastReportedStep;

  private long lastStep() {
    return lastReportedStep;
  }

  @Override
  public UUID jobId() {
    return job.id();
  }

  @Override
  public int attempt() {
    return job.attempt();
  }

  @Override
  public JobSpec spec() {
    return spec;
  }

  @Override
  public Path modelDir(String field, String reference) {
    return models.resolve(field, reference).path();
  }

  @Override
  public RegisteredDataset dataset() {
    return datasets.get(spec.dataset());
  }

  @Override
  public Path dataDir() {
    return properties.dataDir();
  }

  @Override
  public int lossChunkRows() {
    return properties.lossChunkRows();
  }

  @Override
  public Path jobDir() {
    return properties.dataDir().resolve("jobs").resolve(job.id().toString());
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
    if (firstStep < 0) {
      firstStep = step - 1;
    }
    lastReportedStep = step;
    long reportedNanos = System.nanoTime();
    // the first report of an attempt also covers loading models and data: only later intervals are steps
    if (lastStepReportedNanos >= 0) {
      lifecycle.stepTook(job, Duration.ofNanos(reportedNanos - lastStepReportedNanos));
    }
    lastStepReportedNanos = reportedNanos;
    long total = spec.budget().maxSteps();
    double elapsed = (System.nanoTime() - startedNanos) / 1e9;
    long done = step - firstStep;
    Double eta = done > 0 && elapsed > 0 ? (total - step) * elapsed / done : null;
    boolean publish = step % spec.budget().logEvery() == 0 || step >= total;
    lifecycle.step(job, new Progress(step, total, eta), metrics, publish);
  }

  @Override
  public void log(String message) {
    lifecycle.log(job, "INFO", message);
  }

  @Override
  public boolean cancellationRequested() {
    return cancelRequested || workerStopping || ownershipLost;
  }

  private String outputName() {
    String divergence = spec.divergenceName();
    String base = spec.model().contains(":") ? spec.model().substring(0, spec.model().lastIndexOf(':')) : spec.model();
    String name = base + "-" + spec.algorithm().replace('_', '-') + (divergence.isEmpty() ? "" : "-" + divergence.replace('_', '-'));
    return name.length() > 100 ? name.substring(0, 100) : name;
  }

  private ModelRegistry.Lineage lineage() {
    String teacher = spec.distillation() == null ? null : models.resolve("spec.distillation.teacherModel", spec.distillation().teacherModel()).reference();
    String reference = spec.fDpo() == null ? null : models.resolve("spec.fDpo.referenceModel", spec.fDpo().referenceModel()).reference();
    return new ModelRegistry.Lineage(models.resolve("spec.model", spec.model()).reference(), teacher, reference);
  }

  private static String describe(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    return message.length() > 1000 ? message.substring(0, 1000) : message;
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException | UncheckedIOException e) {
      log.warn("could not delete {}: {}", dir, e.getMessage());
    }
  }
}
