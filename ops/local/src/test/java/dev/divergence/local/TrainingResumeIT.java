package dev.divergence.local;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fault test of the training service as a real process: its worker is killed (SIGKILL) in the
 * middle of a job; the restarted service declares the attempt lost, a new attempt resumes from the
 * last checkpoint, the job succeeds, and its model is registered exactly once.
 */
class TrainingResumeIT {

  private static final Pattern STRING_FIELD = Pattern.compile("\"%s\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern NUMBER_FIELD = Pattern.compile("\"%s\"\\s*:\\s*(-?[0-9.]+)");
  private static LocalPlatform platform;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    Path root = LocalPlatformConfig.findRepoRoot(Path.of(""));
    Path dataDir = Path.of("target/it-data", "resume-" + System.currentTimeMillis()).toAbsolutePath();
    Files.createDirectories(dataDir);
    List<String> jvm = new ArrayList<>(LocalPlatformConfig.DEFAULT_SERVICE_JVM_OPTIONS);
    // declare a silent worker lost after 6 s instead of 20 s, so the test does not wait long
    jvm.add("-Ddivergence.training.worker-lost-after=6s");
    jvm.add("-Ddivergence.training.heartbeat-interval=1s");
    platform = LocalPlatform.start(LocalPlatformConfig.builder().repoRoot(root).dataDir(dataDir).randomFreePorts()
        .components(Component.KAFKA, Component.POSTGRES, Component.TRAINING).serviceJvmOptions(jvm)
        .startTimeout(Duration.ofMinutes(5)).build());
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
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.TRAINING) + path))
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
    return http.send(HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.TRAINING) + path)).GET().build(),
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
