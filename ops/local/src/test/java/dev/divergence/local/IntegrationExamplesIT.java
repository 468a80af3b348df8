package dev.divergence.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs the examples of docs/integration.md against a real platform (Kafka, PostgreSQL, training and the
 * gateway, each in its own process), as a reader would: the shell scripts of docs/examples/rest with
 * bash and curl, the gateway's URL and the bootstrap admin key in their environment, and the gRPC
 * example as a single-file Java program. Each example's printed outcome is checked, and what it claims
 * is checked again through the REST API by the test itself. Every example in the folder must be run
 * here and named in the document, so neither can rot unnoticed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IntegrationExamplesIT {

  private static final Duration SCRIPT_LIMIT = Duration.ofMinutes(6);
  private static final Set<String> RUN_HERE = new HashSet<>();
  private static LocalPlatform platform;
  private static Path repoRoot;
  private static String idempotentJobId;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final JsonMapper json = JsonMapper.builder().build();

  @BeforeAll
  static void startPlatform() throws Exception {
    repoRoot = TestPlatforms.repoRoot();
    // the built-in breast-cancer teacher and student the examples distil, made with the tests' small budget
    platform = LocalPlatform.start(TestPlatforms.builder("integration", Component.KAFKA, Component.POSTGRES,
            Component.TRAINING, Component.GATEWAY)
        .serviceJvmOptions(TestPlatforms.serviceJvm("-Ddivergence.training.built-in-budget=small")).build());
  }

  @AfterAll
  static void stopPlatform() {
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  @Order(1)
  void apiKeysAreMadeUsedListedAndRevokedWithTheAdminApi() throws Exception {
    Run run = script("api-keys.sh");
    assertThat(run.exitCode()).as(run.output()).isZero();
    Matcher created = Pattern.compile("created key (\\S+) for tenant default with roles \\[\"submitter\"]").matcher(run.output());
    assertThat(created.find()).as(run.output()).isTrue();
    assertThat(run.output())
        .contains("with the new key (X-Api-Key): 200", "with the new key (Authorization: Bearer): 200",
            "with the submitter key: 403", "listed: 1 key(s) with id " + created.group(1), "with the revoked key: 401");
    JsonNode key = getJson("/api/v1/admin/api-keys/" + created.group(1));
    assertThat(key.get("active").asBoolean()).as(key.toString()).isFalse();
    assertThat(key.get("revokedAt").isNull()).isFalse();
  }

  @Test
  @Order(2)
  void aSubmissionRetriedWithItsIdempotencyKeyIsOneJob() throws Exception {
    String idempotencyKey = "integration-example-" + System.nanoTime();
    Run run = script("submit-idempotent.sh", Map.of("IDEMPOTENCY_KEY", idempotencyKey));
    assertThat(run.exitCode()).as(run.output()).isZero();
    Matcher first = Pattern.compile("submitted: 201 job (\\S+)").matcher(run.output());
    assertThat(first.find()).as(run.output()).isTrue();
    idempotentJobId = first.group(1);
    assertThat(run.output()).contains("submitted again with the same Idempotency-Key: 200 job " + idempotentJobId, "same job: yes");
    List<JsonNode> examples = allJobs().stream()
        .filter(job -> job.get("displayName").asString().equals("kd js (integration example)")).toList();
    assertThat(examples).as("one job for two submissions").hasSize(1);
    assertThat(examples.get(0).get("jobId").asString()).isEqualTo(idempotentJobId);
  }

  @Test
  @Order(3)
  void aJobsEventStreamIsFollowedToItsEnd() throws Exception {
    Run run = script("follow-events.sh", Map.of(), idempotentJobId);
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).containsPattern("(QUEUED|RUNNING) step \\d+/20").contains("SUCCEEDED step 20/20")
        .endsWith("stream ended; the job is SUCCEEDED\n");
    assertThat(getJson("/api/v1/training/jobs/" + idempotentJobId).get("state").asString()).isEqualTo("SUCCEEDED");
  }

  @Test
  @Order(4)
  void everyJobIsListedOnceAcrossThePages() throws Exception {
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> submitted = send(HttpRequest.newBuilder(uri("/api/v1/training/jobs"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("""
              {"displayName":"paging %d","spec":{"algorithm":"distillation","model":"breast-cancer-mlp-student",
               "dataset":"breast-cancer","budget":{"maxSteps":5},
               "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"kl"}}}}""".formatted(i))));
      assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(201);
    }
    List<String> expected = allJobs().stream().map(job -> job.get("jobId").asString()).toList();
    assertThat(expected).hasSizeGreaterThanOrEqualTo(4);

    Run run = script("paging.sh", Map.of("PAGE_SIZE", "2"));
    assertThat(run.exitCode()).as(run.output()).isZero();
    List<String> listed = new ArrayList<>();
    Matcher page = Pattern.compile("(?m)^page \\d+: (.*)$").matcher(run.output());
    while (page.find()) {
      List<String> ids = List.of(page.group(1).trim().split(" "));
      assertThat(ids).as("page size 2").hasSizeLessThanOrEqualTo(2);
      listed.addAll(ids);
    }
    assertThat(listed).as(run.output()).containsExactlyElementsOf(expected);
    int pages = (expected.size() + 1) / 2;
    assertThat(run.output()).contains("jobs: " + expected.size() + " in " + pages + " pages");
  }

  @Test
  @Order(5)
  void aStreamIsCutByTheClientsTimeoutAndTheJobCancelled() throws Exception {
    Run run = script("deadlines.sh");
    assertThat(run.exitCode()).as(run.output()).isZero();
    Matcher job = Pattern.compile("submitted job (\\S+)").matcher(run.output());
    assertThat(job.find()).as(run.output()).isTrue();
    // 28: curl's "operation timed out"
    assertThat(run.output()).contains("event stream with --max-time 3: curl exit code 28")
        .containsPattern("cancel answered: state (CANCELLED, cancelRequested (true|false)|RUNNING, cancelRequested true)");
    await("the long job is cancelled", () -> "CANCELLED".equals(getJson("/api/v1/training/jobs/" + job.group(1)).get("state").asString()));
  }

  @Test
  @Order(6)
  void theGrpcExampleSubmitsPagesWatchesAndIsToldWhichFieldIsBad() throws Exception {
    Run run = java("grpc/TrainingClient.java");
    assertThat(run.exitCode()).as(run.output()).isZero();
    Matcher submitted = Pattern.compile("submitted job (\\S+), again with the same idempotency key: (\\S+)").matcher(run.output());
    assertThat(submitted.find()).as(run.output()).isTrue();
    assertThat(submitted.group(2)).isEqualTo(submitted.group(1));
    // every job but the long one, which the example submits after its listing
    int jobs = allJobs().size() - 1;
    assertThat(run.output()).contains("listed " + jobs + " jobs in " + (jobs + 1) / 2 + " pages",
        "watched job " + submitted.group(1) + " to its end: JOB_STATE_SUCCEEDED",
        "watch with a 2 s deadline: DEADLINE_EXCEEDED",
        "bad input: INVALID_ARGUMENT fields=spec.budget.maxSteps");
    Matcher cancelled = Pattern.compile("cancelled job (\\S+)").matcher(run.output());
    assertThat(cancelled.find()).isTrue();
    await("the long gRPC job is cancelled",
        () -> "CANCELLED".equals(getJson("/api/v1/training/jobs/" + cancelled.group(1)).get("state").asString()));
  }

  @Test
  @Order(7)
  void theGenericClientCallsAUnaryAndAStreamingMethodFromTheDescriptorSetAlone() throws Exception {
    Run page = java("grpc/GrpcCall.java", "dev.divergence.training.v1.TrainingService/ListJobs", "{\"pageSize\": 2}");
    assertThat(page.exitCode()).as(page.output()).isZero();
    JsonNode listed = json.readTree(page.output().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
    List<String> newestTwo = allJobs().stream().limit(2).map(job -> job.get("jobId").asString()).toList();
    assertThat(listed.get("jobs").valueStream().map(job -> job.get("jobId").asString()).toList()).isEqualTo(newestTwo);
    assertThat(listed.get("nextPageToken").asString()).isNotEmpty();

    Run watched = java("grpc/GrpcCall.java", "dev.divergence.training.v1.TrainingService/WatchJob",
        "{\"jobId\": \"" + idempotentJobId + "\"}");
    assertThat(watched.exitCode()).as(watched.output()).isZero();
    List<String> updates = watched.output().lines().filter(l -> l.startsWith("{")).toList();
    assertThat(updates).as(watched.output()).isNotEmpty();
    assertThat(json.readTree(updates.getLast()).at("/job/state").asString()).isEqualTo("JOB_STATE_SUCCEEDED");

    Run bad = java("grpc/GrpcCall.java", "dev.divergence.training.v1.TrainingService/GetJob", "{\"jobId\": \"not-a-uuid\"}");
    assertThat(bad.exitCode()).as(bad.output()).isEqualTo(1);
    assertThat(bad.output()).containsPattern("(INVALID_ARGUMENT|NOT_FOUND): ");
  }

  @Test
  @Order(8)
  void everyExampleIsRunHereAndNamedInTheDocument() throws IOException {
    String document = Files.readString(repoRoot.resolve("docs/integration.md"));
    try (Stream<Path> files = Files.walk(repoRoot.resolve("docs/examples"))) {
      List<String> examples = files.filter(Files::isRegularFile)
          .map(f -> repoRoot.resolve("docs/examples").relativize(f).toString()).filter(f -> !f.endsWith(".md")).toList();
      assertThat(examples).isNotEmpty();
      for (String example : examples) {
        assertThat(RUN_HERE).as("run by this test").contains(example);
        assertThat(document).as("docs/integration.md names it").contains("examples/" + example);
      }
    }
  }

  private record Run(int exitCode, String output) {}

  private Run script(String name) throws Exception {
    return script(name, Map.of());
  }

  private Run script(String name, Map<String, String> extraEnv, String... args) throws Exception {
    Map<String, String> env = new HashMap<>(extraEnv);
    env.put("DIVERGENCE_URL", platform.httpUrl(Component.GATEWAY));
    env.put("DIVERGENCE_API_KEY", Credentials.adminKey(platform));
    List<String> command = new ArrayList<>(List.of("bash", example("rest/" + name).toString()));
    command.addAll(List.of(args));
    return run(command, env);
  }

  /**
   * A gRPC example as a single-file program on this test's classpath (shared-proto and grpc-netty), against
   * the gateway's gRPC entry point with the admin key when this platform has one, else against the training
   * service's own port with a signed identity (what the gateway sends).
   */
  private static Run java(String example, String... args) throws Exception {
    Map<String, String> env = new HashMap<>();
    int gatewayGrpc = platform.ports().grpc(Component.GATEWAY);
    if (gatewayGrpc > 0) {
      env.put("DIVERGENCE_GRPC_TARGET", "localhost:" + gatewayGrpc);
      env.put("DIVERGENCE_API_KEY", Credentials.adminKey(platform));
    } else {
      env.put("DIVERGENCE_GRPC_TARGET", "localhost:" + platform.ports().grpc(Component.TRAINING));
      env.put("DIVERGENCE_IDENTITY", Credentials.identity(platform));
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(java, "-cp", classpath, example(example).toString()));
    command.addAll(List.of(args));
    return run(command, env);
  }

  private static Path example(String relative) {
    RUN_HERE.add(relative);
    return repoRoot.resolve("docs/examples").resolve(relative);
  }

  private static Run run(List<String> command, Map<String, String> env) throws Exception {
    Path log = Files.createTempFile("integration-example", ".log");
    try {
      ProcessBuilder builder = new ProcessBuilder(command).directory(repoRoot.toFile())
          .redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      if (!process.waitFor(SCRIPT_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(command + " still running after " + SCRIPT_LIMIT + ":\n" + Files.readString(log));
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      String shown = String.join(" ", command.stream().map(a -> a.length() > 300 ? "<classpath>" : a).toList());
      System.out.println("$ " + shown + "\n" + output);
      return new Run(process.exitValue(), output);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** Every job of the tenant, newest first, read page by page by the test itself. */
  private List<JsonNode> allJobs() throws Exception {
    Map<String, JsonNode> jobs = new LinkedHashMap<>();
    String token = null;
    do {
      JsonNode page = getJson("/api/v1/training/jobs?pageSize=100" + (token == null ? "" : "&pageToken=" + token));
      page.get("jobs").forEach(job -> jobs.put(job.get("jobId").asString(), job));
      token = page.path("nextPageToken").isString() ? page.get("nextPageToken").asString() : null;
    } while (token != null);
    return List.copyOf(jobs.values());
  }

  private URI uri(String path) {
    return URI.create(platform.httpUrl(Component.GATEWAY) + path);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(Credentials.as(platform, Component.GATEWAY, request.timeout(Duration.ofSeconds(30))).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode getJson(String path) throws Exception {
    HttpResponse<String> response = send(HttpRequest.newBuilder(uri(path)).GET());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  private static void await(String what, ThrowingCondition condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (!condition.holds()) {
      assertThat(System.nanoTime()).as(what + " within 3 min").isLessThan(deadline);
      Thread.sleep(500);
    }
  }

  @FunctionalInterface
  private interface ThrowingCondition {
    boolean holds() throws Exception;
  }
}
