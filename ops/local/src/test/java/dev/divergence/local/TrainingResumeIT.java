package dev.divergence.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fault test of the training service as a real process: its worker is killed (SIGKILL) in the
 * middle of a job; the restarted service declares the attempt lost, a new attempt resumes from the
 * last checkpoint, the job succeeds, and its model is registered exactly once. One distillation job,
 * one f-DPG job (whose checkpoint carries the baseline's and Z's moving averages) and one RLVR job
 * with DPH-RL rehearsal (whose checkpoint carries the rehearsal set), on the one platform.
 *
 * <p>For f-DPG and RLVR the steps the killed attempt had already logged after its last checkpoint
 * are read from PostgreSQL before the restart and compared with the same steps of the resumed
 * attempt: every draw of both trainers is a function of (seed, step) and the checkpoint's float32
 * weights and optimiser state read back exactly, so those steps repeat only if the restored state
 * is the one the killed attempt had (a baseline or Z window started afresh gives another baseline
 * and Z at the first resumed step; see FDpgTrainerTest and RlvrTrainerTest for the same check in
 * one process).
 */
class TrainingResumeIT {

  private static final Pattern STRING_FIELD = Pattern.compile("\"%s\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern NUMBER_FIELD = Pattern.compile("\"%s\"\\s*:\\s*(-?[0-9.]+)");
  /** Checkpoint interval of the f-DPG and RLVR jobs, in steps. */
  private static final int CHECKPOINT_EVERY = 5;
  private static LocalPlatform platform;
  private static Path dataDir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    LocalPlatformConfig config = TestPlatforms.builder("resume", Component.KAFKA, Component.POSTGRES, Component.TRAINING)
        .serviceJvmOptions(TestPlatforms.serviceJvm(
            // declare a silent worker lost after 6 s instead of 20 s, so the test does not wait long
            "-Ddivergence.training.worker-lost-after=6s", "-Ddivergence.training.heartbeat-interval=1s",
            // the tiny LM of the f-DPG and RLVR jobs trained with the tests' small budget (seconds, not minutes)
            "-Ddivergence.training.built-in-budget=small"))
        .build();
    dataDir = config.dataDir();
    platform = LocalPlatform.start(config);
  }

  @AfterAll
  static void stop() {
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  void killedWorkerIsResumedFromItsCheckpointAndRegistersTheModelOnce() throws Exception {
    String job = post("/api/v1/training/jobs", """
        {"displayName":"resume after kill","spec":{"algorithm":"distillation","model":"breast-cancer-mlp-student",
         "dataset":"breast-cancer","budget":{"maxSteps":600,"checkpointEvery":25,"logEvery":25},
         "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"js"},"temperature":2.0}}}""");
    String jobId = field(job, STRING_FIELD, "jobId");

    await("the first attempt checkpointed", Duration.ofMinutes(4), () -> stepOf(jobId) >= 60);
    long stepAtKill = stepOf(jobId);
    ProcessHandle.of(platform.pid(Component.TRAINING)).orElseThrow().destroyForcibly();
    await("the killed worker is gone", Duration.ofSeconds(30), () -> !platform.isRunning(Component.TRAINING));
    platform.start(Component.TRAINING);

    await("the job succeeded", Duration.ofMinutes(5), () -> "SUCCEEDED".equals(field(getQuietly("/api/v1/training/jobs/" + jobId), STRING_FIELD, "state")));
    String finished = get("/api/v1/training/jobs/" + jobId);
    assertThat(Integer.parseInt(field(finished, NUMBER_FIELD, "attempt"))).isGreaterThanOrEqualTo(2);
    String logs = get("/api/v1/training/jobs/" + jobId + "/logs");
    assertThat(logs).contains("worker-lost").containsPattern("resuming from the checkpoint of step [1-9]");
    long resumedFrom = Long.parseLong(logs.replaceAll("(?s).*resuming from the checkpoint of step ([0-9]+).*", "$1"));
    assertThat(resumedFrom).as("resumed near where it was killed, not from scratch").isPositive().isLessThanOrEqualTo(stepAtKill + 25);
    assertThat(count("SELECT count(*) FROM training.model WHERE producing_job = '" + jobId + "'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM training.outbox_event WHERE topic = 'models.registry.v1' AND record_key LIKE 'breast-cancer-mlp-student-distillation%'"))
        .as("one ModelRegistered event for the produced model").isEqualTo(1);
  }

  /**
   * f-DPG towards "contains a 7": killed two steps after a checkpoint; the resumed attempt's steps
   * after the checkpoint repeat the killed attempt's, the restored baseline and Z included.
   */
  @Test
  void killedFDpgJobResumesWithItsBaselineAndPartitionEstimates() throws Exception {
    String job = post("/api/v1/training/jobs", """
        {"displayName":"f-DPG resume after kill","spec":{"algorithm":"f_dpg","model":"tiny-lm","dataset":"arithmetic",
         "budget":{"maxSteps":16,"batchSize":16,"learningRate":0.003,"schedule":"constant","logEvery":1,"checkpointEvery":%d},
         "fDpg":{"constraint":{"name":"contains","text":"7"},"divergence":{"name":"js"},"maxNewTokens":16}}}""".formatted(CHECKPOINT_EVERY));
    String jobId = field(job, STRING_FIELD, "jobId");
    Map<String, Map<Long, Double>> killed = killAfterACheckpointAndResume(jobId);

    String logs = get("/api/v1/training/jobs/" + jobId + "/logs");
    long resumedFrom = resumedFrom(logs);
    assertSameStepsAfter(resumedFrom, killed, jobId, List.of("z", "baseline", "pseudo_reward", "loss", "constraint_satisfaction"));
    assertThat(count("SELECT count(*) FROM training.model WHERE producing_job = '" + jobId + "'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM training.outbox_event WHERE topic = 'models.registry.v1' AND record_key LIKE 'tiny-lm-f-dpg%'"))
        .as("one ModelRegistered event for the produced model").isEqualTo(1);
  }

  /**
   * RLVR with JS rehearsal on an uploaded dataset whose one-character answer the tiny LM hits about
   * 1 in 4 times (so the reference solves some prompts k/k and explores the rest): killed two steps
   * after a checkpoint; the resumed attempt reads the rehearsal set from the checkpoint instead of
   * sampling the reference again, and its steps after the checkpoint repeat the killed attempt's.
   */
  @Test
  void killedRlvrJobResumesWithItsRehearsalSet() throws Exception {
    StringBuilder records = new StringBuilder();
    for (int a = 0; a < 20; a++) {
      for (int b = 0; b < 20; b++) {
        records.append("{\"prompt\":\"").append(a).append('+').append(b).append("=\",\"completion\":\"4\"}\n");
      }
    }
    post("/api/v1/training/datasets?name=answer-four-resume&kind=text", records.toString());
    String job = post("/api/v1/training/jobs", """
        {"displayName":"RLVR resume after kill","spec":{"algorithm":"rlvr","model":"tiny-lm","dataset":"answer-four-resume",
         "budget":{"maxSteps":40,"learningRate":0.003,"schedule":"constant","logEvery":1,"checkpointEvery":%d},
         "rlvr":{"groupSize":8,"promptsPerStep":4,"maxNewTokens":1,"task":"dataset","checker":"exact",
          "regulariser":{"kind":"rehearsal","divergence":"js","coefficient":0.1,"referenceSamples":1},
          "evaluation":{"prompts":4,"samples":4,"every":100}}}}""".formatted(CHECKPOINT_EVERY));
    String jobId = field(job, STRING_FIELD, "jobId");
    Map<String, Map<Long, Double>> killed = killAfterACheckpointAndResume(jobId);

    String logs = get("/api/v1/training/jobs/" + jobId + "/logs");
    long resumedFrom = resumedFrom(logs);
    assertThat(logs).as("the reference sampled once, by the first attempt")
        .containsOnlyOnce("rehearsal set: the reference solved")
        .contains("rehearsal set read from step-%010d".formatted(resumedFrom));
    assertSameStepsAfter(resumedFrom, killed, jobId, List.of("reward", "rehearsal", "rehearsal_set_size", "clip_ratio", "loss"));
    assertThat(killed.get("rehearsal_set_size").values()).as("a non-empty rehearsal set").allSatisfy(size -> assertThat(size).isPositive());
    assertThat(count("SELECT count(*) FROM training.model WHERE producing_job = '" + jobId + "'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM training.outbox_event WHERE topic = 'models.registry.v1' AND record_key LIKE 'tiny-lm-rlvr%'"))
        .as("one ModelRegistered event for the produced model").isEqualTo(1);
  }

  /**
   * Kills the training service at a moment when the killed attempt has logged at least one step after
   * its latest checkpoint, reads what it logged (metric name → step → value), restarts the service
   * and waits for the job to succeed in a later attempt. The moment is chosen with the process frozen
   * (SIGSTOP): a running trainer could log its next step or write its next checkpoint between the
   * test's looking and its kill, and a kill just after a checkpoint leaves no step to compare.
   */
  private Map<String, Map<Long, Double>> killAfterACheckpointAndResume(String jobId) throws Exception {
    long pid = platform.pid(Component.TRAINING);
    Path checkpoints = dataDir.resolve("checkpoints").resolve(jobId);
    long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    long checkpointAtKill;
    while (true) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no moment with a step logged after the latest checkpoint within 4 minutes");
      }
      Thread.sleep(50);
      if (lastLoggedStep(jobId) < CHECKPOINT_EVERY + 1) {
        continue;
      }
      signal("STOP", pid);
      // frozen: no step is logged and no checkpoint written between these two reads and the kill
      long logged = lastLoggedStep(jobId);
      checkpointAtKill = latestCheckpointStep(checkpoints);
      if (checkpointAtKill >= CHECKPOINT_EVERY && logged > checkpointAtKill) {
        break;
      }
      signal("CONT", pid);
      // the service answers again once thawed
      assertThat(field(getQuietly("/api/v1/training/jobs/" + jobId), STRING_FIELD, "state"))
          .as("the job must still be running when it is killed").isIn("QUEUED", "RUNNING");
    }
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    await("the killed worker is gone", Duration.ofSeconds(30), () -> !platform.isRunning(Component.TRAINING));
    Map<String, Map<Long, Double>> killed = metrics(jobId);
    platform.start(Component.TRAINING);
    await("the job succeeded", Duration.ofMinutes(4), () -> "SUCCEEDED".equals(field(getQuietly("/api/v1/training/jobs/" + jobId), STRING_FIELD, "state")));
    String finished = get("/api/v1/training/jobs/" + jobId);
    assertThat(Integer.parseInt(field(finished, NUMBER_FIELD, "attempt"))).isGreaterThanOrEqualTo(2);
    String logs = get("/api/v1/training/jobs/" + jobId + "/logs");
    assertThat(logs).contains("worker-lost");
    assertThat(resumedFrom(logs)).as("resumed from the checkpoint that was the latest at the kill").isEqualTo(checkpointAtKill);
    return killed;
  }

  private static long lastLoggedStep(String jobId) {
    return uncheckedCount("SELECT coalesce(max(step), 0) FROM training.job_metric WHERE job_id = '" + jobId + "' AND name = 'loss'");
  }

  /** The step of the checkpoint the job would resume from, as the training service finds it (0 when none). */
  private static long latestCheckpointStep(Path checkpoints) throws Exception {
    Path pointer = checkpoints.resolve("latest");
    if (!Files.isRegularFile(pointer)) {
      return 0;
    }
    String dir = Files.readString(pointer).trim();
    return Files.isDirectory(checkpoints.resolve(dir)) ? Long.parseLong(dir.substring("step-".length())) : 0;
  }

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor()).as("kill -%s %d", signal, pid).isZero();
  }

  private static long resumedFrom(String logs) {
    assertThat(logs).containsPattern("resuming from the checkpoint of step [1-9]");
    return Long.parseLong(logs.replaceAll("(?s).*resuming from the checkpoint of step ([0-9]+).*", "$1"));
  }

  /**
   * The steps after {@code resumedFrom} that the killed attempt had logged against the resumed
   * attempt's. The tolerance is FDpgTrainerTest's: the computations repeat on the same machine, and
   * it only allows for reductions libtorch may order differently between runs (float32, relative
   * 1e-5 of values of order 1..100).
   */
  private static void assertSameStepsAfter(long resumedFrom, Map<String, Map<Long, Double>> killed, String jobId, List<String> names)
      throws Exception {
    Map<String, Map<Long, Double>> resumed = metrics(jobId);
    List<Long> repeated = killed.get("loss").keySet().stream().filter(step -> step > resumedFrom).sorted().toList();
    System.out.printf("job %s resumed from step %d; steps the killed attempt had logged after it: %s%n", jobId, resumedFrom, repeated);
    assertThat(repeated).as("steps logged by the killed attempt after the checkpoint it resumed from").isNotEmpty();
    for (String name : names) {
      for (long step : repeated) {
        double before = killed.get(name).get(step);
        assertThat(resumed.get(name).get(step)).as("%s at step %d, killed attempt %s", name, step, before)
            .isCloseTo(before, within(1e-5 * Math.max(1, Math.abs(before))));
      }
    }
  }

  /** The job's logged metrics, name → step → value (the latest attempt's where several logged a step). */
  private static Map<String, Map<Long, Double>> metrics(String jobId) throws Exception {
    Map<String, Map<Long, Double>> out = new TreeMap<>();
    try (Connection db = DriverManager.getConnection(platform.jdbcUrl(), LocalPlatformConfig.POSTGRES_USER, LocalPlatformConfig.POSTGRES_PASSWORD);
         PreparedStatement query = db.prepareStatement("SELECT name, step, value FROM training.job_metric WHERE job_id = '" + jobId + "'");
         ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        out.computeIfAbsent(rows.getString(1), n -> new TreeMap<>()).put(rows.getLong(2), rows.getDouble(3));
      }
    }
    return out;
  }

  private static long uncheckedCount(String sql) {
    try {
      return count(sql);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private long stepOf(String jobId) {
    try {
      return (long) Double.parseDouble(field(get("/api/v1/training/jobs/" + jobId).replaceAll("(?s).*\"progress\"\\s*:\\s*\\{", "{"), NUMBER_FIELD, "step"));
    } catch (Exception e) {
      return -1;
    }
  }

  private static String field(String json, Pattern template, String name) {
    Matcher m = Pattern.compile(template.pattern().formatted(name)).matcher(json);
    if (!m.find()) {
      throw new AssertionError("no " + name + " in " + json);
    }
    return m.group(1);
  }

  private String post(String path, String body) throws Exception {
    HttpResponse<String> response = http.send(Credentials.as(platform, Component.TRAINING, HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.TRAINING) + path)))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return response.body();
  }

  private String getQuietly(String path) {
    try {
      return get(path);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private String get(String path) throws Exception {
    return http.send(Credentials.as(platform, Component.TRAINING, HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.TRAINING) + path))).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static long count(String sql) throws Exception {
    try (Connection db = DriverManager.getConnection(platform.jdbcUrl(), LocalPlatformConfig.POSTGRES_USER, LocalPlatformConfig.POSTGRES_PASSWORD);
         PreparedStatement query = db.prepareStatement(sql); ResultSet rows = query.executeQuery()) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static void await(String what, Duration timeout, Supplier<Boolean> condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (condition.get()) {
          return;
        }
      } catch (RuntimeException | AssertionError notYet) {
        // still starting or not there yet
      }
      Thread.sleep(500);
    }
    throw new AssertionError("timed out after " + timeout + " waiting until " + what);
  }
}
