package dev.divergence.evaluation.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.run.RunProgress;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunState;
import dev.divergence.evaluation.run.SuiteResult;
import dev.divergence.evaluation.store.RunRepository;
import dev.divergence.evaluation.store.TrackedTrainingJobRepository;
import dev.divergence.evaluation.tracking.TrackedTrainingJob;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.tenancy.TenantServerInterceptor;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.evaluation.v1.AnalysisServiceGrpc;
import dev.divergence.proto.evaluation.v1.CompareRunsRequest;
import dev.divergence.proto.evaluation.v1.ComparisonResponse;
import dev.divergence.proto.evaluation.v1.FrontierPoint;
import dev.divergence.proto.evaluation.v1.FrontierResponse;
import dev.divergence.proto.evaluation.v1.GetFrontierRequest;
import dev.divergence.proto.evaluation.v1.MetricComparison;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Frontier and comparison over REST and gRPC on runs with known results, stored through the
 * repository as a worker would store them (the inference service is absent: nothing here runs a
 * model). Each test works in a tenant of its own, so other tests' runs cannot leak in.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "divergence.grpc.port=0")
class AnalysisApiIT {

  /** Student t's upper 0.975 quantile at 63 and 126 degrees of freedom (scipy, refined as in welch_reference.py). */
  private static final double T63 = 1.9983405425207408;
  private static final double T126 = 1.978970601990628;

  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired RunRepository runs;
  @Autowired TrackedTrainingJobRepository jobs;

  @DynamicPropertySource
  static void inferenceNowhere(DynamicPropertyRegistry registry) throws Exception {
    int unused;
    try (ServerSocket socket = new ServerSocket(0)) {
      unused = socket.getLocalPort();
    }
    int nowhere = unused;
    registry.add("divergence.clients.inference.target", () -> "localhost:" + nowhere);
    registry.add("divergence.clients.training.target", () -> "localhost:" + nowhere);
    registry.add("divergence.evaluation.runs.workers", () -> "1");
  }

  /** A tenant's runs: three f-DPO runs with all three axes, one without diversity, a distillation run, an unended and a failed one. */
  private record Seeded(String tenant, Map<String, UUID> runs, Map<String, UUID> jobs) {}

  private Seeded seed() {
    String tenant = "analysis-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, UUID> jobIds = new LinkedHashMap<>();
    job(tenant, jobIds, "rkl", "f_dpo", "reverse_kl");
    job(tenant, jobIds, "js", "f_dpo", "js");
    job(tenant, jobIds, "kl", "f_dpo", "kl");
    job(tenant, jobIds, "distill", "distillation", "kl");
    Map<String, UUID> ids = new LinkedHashMap<>();
    Instant t = Instant.parse("2026-12-01T00:00:00Z");
    // R1 and R2 are on the front; R3 is dominated by R1 (less reward, more divergence, less diversity)
    ids.put("R1", succeeded(tenant, "policy-rkl", jobIds.get("rkl"), t.plusSeconds(1), spec("policy-rkl", 0L),
        all(0.60, 0.20, 3.0)));
    ids.put("R2", succeeded(tenant, "policy-js", jobIds.get("js"), t.plusSeconds(2), spec("policy-js", 0L),
        all(0.70, 0.30, 3.5)));
    ids.put("R3", succeeded(tenant, "policy-kl", jobIds.get("kl"), t.plusSeconds(3), spec("policy-kl", 0L),
        all(0.55, 0.25, 2.5)));
    ids.put("R4", succeeded(tenant, "policy-kl-2", jobIds.get("kl"), t.plusSeconds(4), spec("policy-kl-2", 0L),
        List.of(rewards(0.65, "pass@1", 0.65), divergence(0.1))));
    // dominates everything, but comes from a distillation job: not on the f_dpo frontier
    ids.put("R5", succeeded(tenant, "student", jobIds.get("distill"), t.plusSeconds(5), spec("student", 0L),
        all(0.90, 0.05, 5.0)));
    UUID running = UUID.randomUUID();
    runs.insert(run(running, tenant, "policy-rkl-2", jobIds.get("rkl"), RunState.RUNNING, t.plusSeconds(6), spec("policy-rkl-2", 0L)));
    ids.put("R6", running);
    UUID failed = UUID.randomUUID();
    runs.insert(run(failed, tenant, "policy-js-2", jobIds.get("js"), RunState.RUNNING, t.plusSeconds(7), spec("policy-js-2", 0L)));
    runs.finish(failed, RunState.FAILED, "model-unavailable", "no inference", null, t.plusSeconds(8));
    ids.put("R7", failed);
    // R8: like R1 but on other prompts (another seed of the built-in set) and with pass@1 as well
    ids.put("R8", succeeded(tenant, "policy-rkl", jobIds.get("rkl"), t.plusSeconds(9), spec("policy-rkl", 7L),
        List.of(rewards(0.62, "pass@1", 0.62), divergence(0.21), diversity(3.1))));
    return new Seeded(tenant, ids, jobIds);
  }

  // ---- frontier ----------------------------------------------------------------------------------

  @Test
  void theFrontierOfAnAlgorithmsRunsOverRestAndGrpc() throws Exception {
    Seeded s = seed();
    JsonNode frontier = ok(get(s.tenant(), "/api/v1/evaluation/frontier?algorithm=f_dpo"));
    // SUCCEEDED f-DPO runs newest first: R8, R4, R3, R2, R1; R4 lacks the diversity suite
    assertThat(ids(frontier.get("points"), "runId", s)).containsExactly("R8", "R3", "R2", "R1");
    assertThat(frontier.get("skipped").size()).isEqualTo(1);
    assertThat(name(frontier.at("/skipped/0/runId").asString(), s)).isEqualTo("R4");
    assertThat(frontier.at("/skipped/0/reason").asString()).isEqualTo("missing-suite");
    assertThat(frontier.at("/skipped/0/message").asString()).contains("no diversity suite");
    // R8 (0.62, 0.21, 3.1) is not dominated by R1 (0.60, 0.20, 3.0): more reward and diversity
    assertThat(ids(frontier.get("pareto"), null, s)).containsExactly("R8", "R2", "R1");
    assertThat(frontier.at("/divergence/metric").asString()).isEqualTo("samples.reverse_kl");
    assertThat(frontier.at("/divergence/goal").asString()).isEqualTo("minimise");
    assertThat(frontier.at("/reward/metric").asString()).isEqualTo("reward");
    assertThat(frontier.at("/diversity/metric").asString()).isEqualTo("vendi");
    assertThat(frontier.at("/selection/by").asString()).isEqualTo("algorithm");
    assertThat(frontier.at("/selection/truncated").asBoolean()).isFalse();
    JsonNode r2 = point(frontier, s.runs().get("R2"));
    assertThat(r2.get("trainingAlgorithm").asString()).isEqualTo("f_dpo");
    assertThat(r2.get("trainingDivergence").asString()).isEqualTo("js");
    assertThat(r2.get("model").asString()).isEqualTo("policy-js");
    assertThat(r2.get("producingJob").asString()).isEqualTo(s.jobs().get("js").toString());
    assertThat(r2.at("/reward/mean").asDouble()).isEqualTo(0.70);
    assertThat(r2.at("/reward/lower").asDouble()).isEqualTo(0.70 - T63 * 0.05);
    assertThat(r2.at("/reward/n").asLong()).isEqualTo(64);
    assertThat(r2.at("/divergence/mean").asDouble()).isEqualTo(0.30);
    assertThat(r2.at("/diversity/mean").asDouble()).isEqualTo(3.5);
    assertThat(r2.get("pareto").asBoolean()).isTrue();
    assertThat(point(frontier, s.runs().get("R3")).get("pareto").asBoolean()).isFalse();

    withGrpc(s.tenant(), stub -> {
      FrontierResponse proto = stub.getFrontier(GetFrontierRequest.newBuilder().setAlgorithm("f_dpo").build());
      assertThat(proto.getPointsList()).extracting(FrontierPoint::getRunId)
          .containsExactly(idsOf(s, "R8", "R3", "R2", "R1"));
      assertThat(proto.getParetoList()).containsExactly(idsOf(s, "R8", "R2", "R1"));
      assertThat(proto.getSkipped(0).getReason()).isEqualTo("missing-suite");
      FrontierPoint p = proto.getPoints(2);
      assertThat(p.getTrainingDivergence()).isEqualTo("js");
      assertThat(p.getReward().getLower()).isEqualTo(0.70 - T63 * 0.05);
      assertThat(p.getDivergence().getMean()).isEqualTo(0.30);
      assertThat(proto.getDivergence().getMetric()).isEqualTo("samples.reverse_kl");
      return null;
    });
  }

  @Test
  void listedRunsKeepTheirOrderAndEveryUnplottableRunIsListedWithItsReason() throws Exception {
    Seeded s = seed();
    String query = "?runId=" + s.runs().get("R5") + "&runId=" + s.runs().get("R6") + "&runId=" + s.runs().get("R1")
        + "&runId=" + s.runs().get("R7") + "&runId=" + s.runs().get("R3");
    JsonNode frontier = ok(get(s.tenant(), "/api/v1/evaluation/frontier" + query));
    assertThat(ids(frontier.get("points"), "runId", s)).containsExactly("R5", "R1", "R3");
    // the distillation run dominates both f-DPO runs
    assertThat(ids(frontier.get("pareto"), null, s)).containsExactly("R5");
    assertThat(ids(frontier.get("skipped"), "runId", s)).containsExactly("R6", "R7");
    assertThat(frontier.at("/skipped/0/reason").asString()).isEqualTo("not-ended");
    assertThat(frontier.at("/skipped/1/reason").asString()).isEqualTo("not-succeeded");
    assertThat(frontier.at("/skipped/1/message").asString()).contains("model-unavailable");
    assertThat(point(frontier, s.runs().get("R5")).get("trainingAlgorithm").asString()).isEqualTo("distillation");

    String body = json.writeValueAsString(Map.of("runIds", List.of(s.runs().get("R5").toString(),
        s.runs().get("R6").toString(), s.runs().get("R1").toString(), s.runs().get("R7").toString(),
        s.runs().get("R3").toString())));
    assertThat(ok(post(s.tenant(), "/api/v1/evaluation/frontier", body))).isEqualTo(frontier);

    withGrpc(s.tenant(), stub -> {
      FrontierResponse proto = stub.getFrontier(GetFrontierRequest.newBuilder()
          .addAllRunIds(List.of(idsOf(s, "R5", "R6", "R1", "R7", "R3"))).build());
      assertThat(proto.getPointsList()).extracting(FrontierPoint::getRunId).containsExactly(idsOf(s, "R5", "R1", "R3"));
      assertThat(proto.getSkippedList()).extracting(r -> r.getReason()).containsExactly("not-ended", "not-succeeded");
      assertThat(proto.getSelection().getBy()).isEqualTo("runIds");
      return null;
    });
  }

  @Test
  void aChosenMetricThatSomeRunsLackSkipsThemNamingIt() throws Exception {
    Seeded s = seed();
    JsonNode frontier = ok(get(s.tenant(), "/api/v1/evaluation/frontier?algorithm=f_dpo&reward=pass@1"));
    // only R8 has pass@1 and all three axes (R4 has pass@1 but no diversity)
    assertThat(ids(frontier.get("points"), "runId", s)).containsExactly("R8");
    assertThat(frontier.at("/points/0/reward/mean").asDouble()).isEqualTo(0.62);
    Map<String, String> reasons = new LinkedHashMap<>();
    frontier.get("skipped").forEach(k -> reasons.put(name(k.get("runId").asString(), s), k.get("reason").asString()));
    assertThat(reasons).containsExactly(Map.entry("R4", "missing-suite"), Map.entry("R3", "missing-metric"),
        Map.entry("R2", "missing-metric"), Map.entry("R1", "missing-metric"));
    assertThat(frontier.at("/skipped/1/message").asString()).contains("pass@1", "reward");
  }

  @Test
  void anAlgorithmMatchingMoreRunsThanTheLimitTakesTheNewestAndSaysSo() throws Exception {
    String tenant = "analysis-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, UUID> jobIds = new LinkedHashMap<>();
    job(tenant, jobIds, "rkl", "f_dpo", "reverse_kl");
    Instant t = Instant.parse("2026-12-02T00:00:00Z");
    List<UUID> oldestFirst = new ArrayList<>();
    for (int i = 0; i <= FrontierService.MAX_RUNS; i++) {
      oldestFirst.add(succeeded(tenant, "policy-" + i, jobIds.get("rkl"), t.plusSeconds(i), spec("policy-" + i, 0L),
          all(0.5 + i * 1e-3, 0.2, 3.0)));
    }
    JsonNode frontier = ok(get(tenant, "/api/v1/evaluation/frontier?algorithm=f_dpo"));
    assertThat(frontier.get("points").size()).isEqualTo(FrontierService.MAX_RUNS);
    assertThat(frontier.at("/selection/truncated").asBoolean()).isTrue();
    assertThat(frontier.at("/selection/limit").asInt()).isEqualTo(100);
    assertThat(frontier.at("/points/0/runId").asString()).isEqualTo(oldestFirst.get(FrontierService.MAX_RUNS).toString());
    assertThat(frontier.toString()).doesNotContain(oldestFirst.get(0).toString());
    // equal divergence and diversity, reward rising with time: only the newest run is Pareto-optimal
    assertThat(ids(frontier.get("pareto"), null, new Seeded(tenant, Map.of(), jobIds)))
        .containsExactly(oldestFirst.get(FrontierService.MAX_RUNS).toString());
  }

  // ---- comparison --------------------------------------------------------------------------------

  @Test
  void aComparisonOverRestAndGrpc() throws Exception {
    Seeded s = seed();
    UUID a = s.runs().get("R1");
    UUID b = s.runs().get("R2");
    JsonNode comparison = ok(get(s.tenant(), "/api/v1/evaluation/comparison?a=" + a + "&b=" + b));
    assertThat(comparison.at("/a/runId").asString()).isEqualTo(a.toString());
    assertThat(comparison.at("/b/model").asString()).isEqualTo("policy-js");
    assertThat(comparison.at("/b/trainingDivergence").asString()).isEqualTo("js");
    assertThat(comparison.at("/a/spec/prompts/builtIn").asString()).isEqualTo("arithmetic");
    assertThat(comparison.at("/a/spec/sampling/samples").asInt()).isEqualTo(8);
    assertThat(comparison.get("comparable").asBoolean()).isTrue();
    assertThat(comparison.get("warnings").size()).isZero();
    assertThat(comparison.get("level").asDouble()).isEqualTo(0.95);
    Map<String, JsonNode> metrics = new LinkedHashMap<>();
    comparison.get("metrics").forEach(m -> metrics.put(m.get("suite").asString() + "/" + m.get("metric").asString(), m));
    // suites in a's order; metrics in the order they were stored (the results column is json, keys keep their order)
    assertThat(metrics.keySet()).containsExactlyInAnyOrder("rewards/reward", "model_divergence/samples.reverse_kl",
        "model_divergence/texts.reverse_kl", "diversity/vendi");
    // equal n = 64 and equal standard errors 0.05: se_d = 0.05 √2, Welch's ν = 2 · 63 = 126
    JsonNode reward = metrics.get("rewards/reward");
    assertThat(reward.at("/a/mean").asDouble()).isEqualTo(0.60);
    assertThat(reward.at("/b/mean").asDouble()).isEqualTo(0.70);
    double half = T126 * Math.sqrt(2) * 0.05;
    assertThat(reward.at("/difference/difference").asDouble()).isCloseTo(0.10, within(1e-15));
    assertThat(reward.at("/difference/standardError").asDouble()).isCloseTo(0.05 * Math.sqrt(2), within(1e-15));
    assertThat(reward.at("/difference/degreesOfFreedom").asDouble()).isCloseTo(126, within(1e-9));
    assertThat(reward.at("/difference/lower").asDouble()).isCloseTo(0.10 - half, within(1e-12));
    assertThat(reward.at("/difference/upper").asDouble()).isCloseTo(0.10 + half, within(1e-12));
    assertThat(reward.at("/difference/excludesZero").asBoolean()).isFalse();
    // vendi: 3.0 and 3.5 with standard errors 0.1: half-width 1.979 · 0.1414 = 0.280 < 0.5
    assertThat(metrics.get("diversity/vendi").at("/difference/excludesZero").asBoolean()).isTrue();
    assertThat(comparison.get("onlyInA").size()).isZero();
    assertThat(comparison.get("onlyInB").size()).isZero();

    // R8 used other prompts and also has pass@1; R1 does not
    JsonNode other = ok(get(s.tenant(), "/api/v1/evaluation/comparison?a=" + a + "&b=" + s.runs().get("R8") + "&level=0.9"));
    assertThat(other.get("comparable").asBoolean()).isFalse();
    assertThat(other.at("/warnings/0").asString()).contains("spec.prompts");
    assertThat(other.at("/onlyInB/0/metric").asString()).isEqualTo("pass@1");
    assertThat(other.get("onlyInA").size()).isZero();
    assertThat(other.get("level").asDouble()).isEqualTo(0.9);

    withGrpc(s.tenant(), stub -> {
      ComparisonResponse proto = stub.compareRuns(CompareRunsRequest.newBuilder().setA(a.toString()).setB(b.toString()).build());
      assertThat(proto.getMetricsList()).extracting(MetricComparison::getMetric)
          .containsExactlyInAnyOrder("reward", "samples.reverse_kl", "texts.reverse_kl", "vendi");
      MetricComparison r = proto.getMetricsList().stream().filter(m -> m.getMetric().equals("reward")).findFirst().orElseThrow();
      assertThat(r.getDifference().getLower()).isCloseTo(0.10 - half, within(1e-12));
      assertThat(r.getDifference().getDegreesOfFreedom()).isCloseTo(126, within(1e-9));
      assertThat(r.getDifference().getExcludesZero()).isFalse();
      assertThat(r.getA().getMean()).isEqualTo(0.60);
      assertThat(proto.getA().getSpec().getPrompts().getBuiltIn()).isEqualTo("arithmetic");
      assertThat(proto.getComparable()).isTrue();
      ComparisonResponse warned = stub.compareRuns(CompareRunsRequest.newBuilder().setA(a.toString())
          .setB(s.runs().get("R8").toString()).setLevel(0.9).build());
      assertThat(warned.getWarnings(0)).contains("spec.prompts");
      assertThat(warned.getOnlyInB(0).getMetric()).isEqualTo("pass@1");
      return null;
    });
  }

  // ---- bad input ---------------------------------------------------------------------------------

  @Test
  void badInputIsRefusedNamingTheFieldOverRestAndGrpc() throws Exception {
    Seeded s = seed();
    String r1 = s.runs().get("R1").toString();
    String unknown = UUID.randomUUID().toString();
    assertProblem(get(s.tenant(), "/api/v1/evaluation/frontier?runId=" + r1 + "&runId=nope"), 400, "runId[1]");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/frontier?runId=" + r1 + "&runId=" + unknown), 404, unknown);
    assertProblem(get(s.tenant(), "/api/v1/evaluation/frontier?runId=" + r1 + "&runId=" + r1), 400, "runId[1]");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/frontier"), 400, "runId");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/frontier?runId=" + r1 + "&algorithm=f_dpo"), 400, "algorithm");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/frontier?algorithm=F-DPO!"), 400, "algorithm");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/frontier?algorithm=f_dpo&reward=accuracy"), 400, "pass@<k>");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/frontier?algorithm=f_dpo&divergence=kll"), 400, "reverse_kl");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/frontier?algorithm=f_dpo&divergenceSource=prompts"), 400,
        "divergenceSource");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/frontier?algorithm=f_dpo&diversity=entropy"), 400, "vendi");
    String many = IntStream.range(0, FrontierService.MAX_RUNS + 1).mapToObj(i -> UUID.randomUUID().toString())
        .collect(Collectors.joining("\",\"", "{\"runIds\": [\"", "\"]}"));
    assertProblem(post(s.tenant(), "/api/v1/evaluation/frontier", many), 400, "at most 100");
    // another tenant's run is unknown here
    assertProblem(get("default", "/api/v1/evaluation/frontier?runId=" + r1), 404, r1);

    assertProblem(get(s.tenant(), "/api/v1/evaluation/comparison?a=" + r1), 400, "\"b\"");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/comparison?a=x&b=" + r1), 400, "\"a\"");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/comparison?a=" + r1 + "&b=" + unknown), 404, unknown);
    assertProblem(get(s.tenant(), "/api/v1/evaluation/comparison?a=" + r1 + "&b=" + s.runs().get("R6")), 409, "has not ended");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/comparison?a=" + s.runs().get("R7") + "&b=" + r1), 409, "FAILED");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/comparison?a=" + r1 + "&b=" + r1 + "&level=1"), 400, "level");
    assertProblem(get(s.tenant(), "/api/v1/evaluation/comparison?a=" + r1 + "&b=" + r1 + "&level=high"), 400, "level");

    withGrpc(s.tenant(), stub -> {
      assertStatus(() -> stub.getFrontier(GetFrontierRequest.newBuilder().addRunIds("nope").build()),
          Status.Code.INVALID_ARGUMENT, "runIds[0]");
      assertStatus(() -> stub.getFrontier(GetFrontierRequest.newBuilder().addRunIds(unknown).build()),
          Status.Code.NOT_FOUND, unknown);
      assertStatus(() -> stub.getFrontier(GetFrontierRequest.newBuilder().setAlgorithm("f_dpo").setDiversity("entropy").build()),
          Status.Code.INVALID_ARGUMENT, "diversity");
      assertStatus(() -> stub.compareRuns(CompareRunsRequest.newBuilder().setA(r1).setB("bad").build()),
          Status.Code.INVALID_ARGUMENT, "b");
      assertStatus(() -> stub.compareRuns(CompareRunsRequest.newBuilder().setA(r1).setB(s.runs().get("R6").toString()).build()),
          Status.Code.FAILED_PRECONDITION, "has not ended");
      assertStatus(() -> stub.compareRuns(CompareRunsRequest.newBuilder().setA(r1).setB(r1).setLevel(0).build()),
          Status.Code.INVALID_ARGUMENT, "level");
      return null;
    });
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private static Estimate estimate(double mean, double standardError) {
    return new Estimate(mean, mean - T63 * standardError, mean + T63 * standardError, 64);
  }

  private static SuiteResult rewards(double reward, Object... more) {
    Map<String, Estimate> metrics = new LinkedHashMap<>();
    metrics.put("reward", estimate(reward, 0.05));
    for (int i = 0; i < more.length; i += 2) {
      metrics.put((String) more[i], estimate((Double) more[i + 1], 0.05));
    }
    return new SuiteResult("rewards", metrics, Map.of());
  }

  private static SuiteResult divergence(double reverseKl) {
    Map<String, Estimate> metrics = new LinkedHashMap<>();
    metrics.put("samples.reverse_kl", estimate(reverseKl, 0.01));
    metrics.put("texts.reverse_kl", estimate(reverseKl / 2, 0.01));
    return new SuiteResult("model_divergence", metrics, Map.of("orientation", "p = reference, q = model"));
  }

  private static SuiteResult diversity(double vendi) {
    return new SuiteResult("diversity", Map.of("vendi", estimate(vendi, 0.1)), Map.of());
  }

  private static List<SuiteResult> all(double reward, double reverseKl, double vendi) {
    return List.of(rewards(reward), divergence(reverseKl), diversity(vendi));
  }

  private static RunSpec spec(String model, long promptSeed) {
    return new RunSpec(model, "tiny-lm", List.of("rewards", "model_divergence", "diversity"),
        new RunSpec.PromptSource("arithmetic", null, null, null, 64, promptSeed), new RunSpec.Sampling(8, 1.0, 0, 1.0, 16, 0L),
        List.of("reverse_kl"), List.of(1, 2, 4, 8), null, 0.95, 15);
  }

  private void job(String tenant, Map<String, UUID> ids, String key, String algorithm, String divergence) {
    UUID id = UUID.randomUUID();
    Instant now = Instant.parse("2026-11-30T00:00:00Z");
    jobs.applyEvent(new TrackedTrainingJob(id, tenant, algorithm, divergence, "tiny-lm", "prefs", "SUCCEEDED", now, now, 0));
    ids.put(key, id);
  }

  private static EvaluationRun run(UUID id, String tenant, String model, UUID job, RunState state, Instant created,
      RunSpec spec) {
    return new EvaluationRun(id, tenant, model + " eval", null, spec, state, EvaluationRun.Trigger.AUTOMATIC,
        // automatic runs are unique per model version across tenants: every stored run gets its own
        model + ":" + UUID.randomUUID(), job.toString(), RunProgress.NONE, null, null, List.of(), 0, created, null, null, created);
  }

  /** Stored as a worker stores a run: inserted RUNNING (no worker claims it), then finished with results. */
  private UUID succeeded(String tenant, String model, UUID job, Instant created, RunSpec spec, List<SuiteResult> results) {
    UUID id = UUID.randomUUID();
    assertThat(runs.insert(run(id, tenant, model, job, RunState.RUNNING, created, spec))).isTrue();
    assertThat(runs.finish(id, RunState.SUCCEEDED, null, null, results, created.plusSeconds(60))).isTrue();
    return id;
  }

  private static String[] idsOf(Seeded s, String... names) {
    return java.util.Arrays.stream(names).map(n -> s.runs().get(n).toString()).toArray(String[]::new);
  }

  private static String name(String id, Seeded s) {
    return s.runs().entrySet().stream().filter(e -> e.getValue().toString().equals(id)).map(Map.Entry::getKey)
        .findFirst().orElse(id);
  }

  private static List<String> ids(JsonNode array, String field, Seeded s) {
    List<String> names = new ArrayList<>();
    array.forEach(node -> names.add(name(field == null ? node.asString() : node.get(field).asString(), s)));
    return names;
  }

  private static JsonNode point(JsonNode frontier, UUID id) {
    for (JsonNode point : frontier.get("points")) {
      if (point.get("runId").asString().equals(id.toString())) {
        return point;
      }
    }
    throw new AssertionError("no point for " + id);
  }

  private JsonNode ok(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  private void assertProblem(HttpResponse<String> response, int status, String mentioned) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("problem+json"));
    assertThat(response.body()).contains(mentioned);
  }

  private static void assertStatus(Runnable call, Status.Code code, String mentioned) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("refused").isNotNull();
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
    assertThat(e.getStatus().getDescription()).contains(mentioned);
  }

  private <T> T withGrpc(String tenant, Function<AnalysisServiceGrpc.AnalysisServiceBlockingStub, T> body) {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      Metadata headers = new Metadata();
      headers.put(TenantServerInterceptor.TENANT, tenant);
      return body.apply(AnalysisServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .withDeadlineAfter(java.time.Duration.ofSeconds(30)));
    } finally {
      channel.shutdownNow();
    }
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }

  private HttpResponse<String> get(String tenant, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).header("X-Tenant-Id", tenant).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String tenant, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).header("X-Tenant-Id", tenant).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
