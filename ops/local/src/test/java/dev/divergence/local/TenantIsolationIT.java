package dev.divergence.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tenant isolation across every route of the platform, through the real gateway and services.
 *
 * <p>Tenant A makes one resource of every kind (a training job and the model it produced, an uploaded
 * dataset, an evaluation run, a merge, a merge experiment, an exported merge, an API key). Then the test
 * reads every service's OpenAPI document through the gateway (and the gateway's own) and, for every
 * operation whose path has a parameter, calls it as tenant B with tenant A's id in that parameter:
 * each one must answer 404 (not 403, which would tell B the resource exists, and not 2xx or 5xx).
 * The ids come from {@link #ownedIds}, keyed by service and parameter name; a parameter the table does
 * not know fails the test, so a new endpoint is checked the day it appears, and a new kind of resource
 * must be added here consciously. The same calls as tenant A must find the resource (not 404), so the
 * 404s are not broken routes. Every list (GET without a path parameter) seen by tenant B holds none of
 * A's ids, and the default tenant's admin sees no more of A's data than B does (admin manages keys of
 * every tenant, nothing else).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantIsolationIT {

  private static final Duration WAIT = Duration.ofMinutes(4);
  private static final List<String> SERVICES = List.of("training", "inference", "evaluation", "merging");
  private static final String GATEWAY = "gateway";
  private static final Pattern PATH_PARAMETER = Pattern.compile("\\{([^}/]+)}");
  private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");
  private static final String TENANT_A = "tenant-a";
  private static final String TENANT_B = "tenant-b";

  /**
   * Path parameters that name no tenant's resource, with the reason; everything else must have one of
   * tenant A's ids in {@link #ownedIds}.
   */
  private static final Map<String, String> NOT_A_TENANT_RESOURCE = Map.of(
      "evaluation.metric", "a metric's name in the evaluation service's fixed vocabulary (stateless computations)");

  /**
   * Bodies for the operations that need one to reach their lookup (the lookup must come before the
   * body's checks would not matter: a 400 for B would hide whether the id was found); others get none.
   */
  private static final Map<String, String> BODIES = Map.of(
      "POST /api/v1/merging/merges/{mergeId}/predict", "{\"inputs\":[" + zeros(64) + "]}",
      "POST /api/v1/merging/merges/{mergeId}/evaluate", "{\"inputs\":[" + zeros(64) + "],\"labels\":[0]}",
      "POST /api/v1/merging/merges/{mergeId}/export", "{\"name\":\"tenant-a-export\"}",
      "POST /api/v1/training/jobs/{jobId}/retry", "{}");

  private static LocalPlatform platform;
  private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final JsonMapper json = JsonMapper.builder().build();

  /** API keys: submitters of A and B, tenant admins of A and B (for the gateway's key routes). */
  private static String submitterA;
  private static String submitterB;
  private static String tenantAdminA;
  private static String tenantAdminB;
  /** service.parameter → tenant A's value. */
  private static final Map<String, String> ownedIds = new LinkedHashMap<>();
  /** Every string that identifies something of tenant A's: none may appear in what another tenant lists. */
  private static final Map<String, String> ownedTokens = new LinkedHashMap<>();
  private static List<Operation> operations;

  @BeforeAll
  static void startPlatformAndMakeTenantAsResources() throws Exception {
    // small built-in models and few steps for merging's built-in pair: made in seconds (as EvaluationRunsIT, MergingIT)
    platform = LocalPlatform.start(TestPlatforms.builder("tenant-isolation", Component.KAFKA, Component.POSTGRES,
            Component.TRAINING, Component.INFERENCE, Component.EVALUATION, Component.MERGING, Component.GATEWAY)
        .serviceJvmOptions(TestPlatforms.serviceJvm("-Ddivergence.inference.built-in-budget=small",
            "-Ddivergence.training.built-in-budget=small", "-Ddivergence.merging.built-in-classifier-steps=40")).build());
    String admin = Credentials.adminKey(platform);
    submitterA = createKey(admin, TENANT_A, "submitter").apiKey;
    submitterB = createKey(admin, TENANT_B, "submitter").apiKey;
    tenantAdminA = createKey(admin, TENANT_A, "tenant-admin").apiKey;
    tenantAdminB = createKey(admin, TENANT_B, "tenant-admin").apiKey;
    // a key of A's that the key routes may rotate and revoke without locking the test out
    IssuedKey spare = createKey(admin, TENANT_A, "viewer");
    owned("gateway.keyId", spare.keyId);

    String suffix = Long.toString(System.currentTimeMillis(), 36);
    String dataset = "tenant-a-data-" + suffix;
    HttpResponse<String> uploaded = call(submitterA, "POST", "/api/v1/training/datasets?name=" + dataset + "&kind=classification",
        IntStream.range(0, 8).mapToObj(i -> "{\"features\":[" + i + ",1.5,-2],\"label\":" + (i % 2) + "}")
            .collect(Collectors.joining("\n")));
    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
    owned("training.name", dataset);

    HttpResponse<String> submitted = call(submitterA, "POST", "/api/v1/training/jobs", """
        {"displayName":"tenant-a-job-%s","spec":{"algorithm":"distillation","model":"breast-cancer-mlp-student",
         "dataset":"breast-cancer","budget":{"maxSteps":10},
         "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"tv"}}}}""".formatted(suffix));
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(201);
    String jobId = read(submitted).get("jobId").asString();
    owned("training.jobId", jobId);
    owned("evaluation.jobId", jobId);

    HttpResponse<String> merge = call(submitterA, "POST", "/api/v1/merging/merges", """
        {"generalist":"digits-cnn-generalist","expert":"digits-cnn-expert","method":"wise_ft","parameters":{"alpha":0.5}}""",
        WAIT);
    assertThat(merge.statusCode()).as(merge.body()).isEqualTo(201);
    String mergeId = read(merge).get("mergeId").asString();
    owned("merging.mergeId", mergeId);
    HttpResponse<String> experiment = call(submitterA, "POST", "/api/v1/merging/experiments", """
        {"displayName":"tenant-a-experiment","spec":{"mergeId":"%s","methods":["generalist","expert"],
         "splits":[{"name":"digits"}],"seeds":1}}""".formatted(mergeId));
    assertThat(experiment.statusCode()).as(experiment.body()).isEqualTo(201);
    owned("merging.experimentId", read(experiment).get("experimentId").asString());

    await("tenant A's training job succeeded", () -> "SUCCEEDED".equals(
        read(call(submitterA, "GET", "/api/v1/training/jobs/" + jobId, null)).path("state").asString()));
    String model = read(call(submitterA, "GET", "/api/v1/training/jobs/" + jobId, null)).get("outputModel").asString();
    String modelName = model.substring(0, model.lastIndexOf(':'));
    owned("training.reference", model);
    owned("inference.name", modelName);
    await("inference serves tenant A's model " + modelName, () -> "READY".equals(
        read(call(submitterA, "GET", "/api/v1/inference/models/" + modelName, null)).path("state").asString()));
    HttpResponse<String> run = call(submitterA, "POST", "/api/v1/evaluation/runs", """
        {"displayName":"tenant-a-run","spec":{"model":"%s","suites":["classifier"],"prompts":{"dataset":"breast-cancer"}}}"""
        .formatted(modelName));
    assertThat(run.statusCode()).as(run.body()).isEqualTo(201);
    owned("evaluation.runId", read(run).get("runId").asString());

    operations = new ArrayList<>();
    for (String service : SERVICES) {
      operations.addAll(Operation.of(service, read(call(admin, "GET", "/api-docs/" + service, null))));
    }
    operations.addAll(Operation.of(GATEWAY, read(call(admin, "GET", "/v3/api-docs", null))));
    // reads first, then changes (cancel, rotate, ...), deletes last: A's own calls must find everything still there
    operations.sort(Comparator.comparingInt(Operation::phase).thenComparing(Operation::key));
  }

  @AfterAll
  static void stopPlatform() {
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  @Order(1)
  void everyParameterOfEveryRouteIsKnown() {
    List<String> unknown = new ArrayList<>();
    for (Operation operation : operations) {
      for (String parameter : operation.parameters()) {
        String key = operation.service() + "." + parameter;
        if (!ownedIds.containsKey(key) && !NOT_A_TENANT_RESOURCE.containsKey(key)) {
          unknown.add(operation.key() + " (" + key + ")");
        }
      }
    }
    assertThat(unknown).as("routes whose path parameters name nothing this test made for tenant A: add the resource "
        + "to the test (ownedIds) or, if it is not a tenant's, to NOT_A_TENANT_RESOURCE with the reason").isEmpty();
    assertThat(withTenantResource()).as("the enumeration found the routes").hasSizeGreaterThan(20);
    System.out.println("tenant isolation checks " + withTenantResource().size() + " routes with a tenant resource:");
    withTenantResource().forEach(o -> System.out.println("  " + o.key()));
  }

  @Test
  @Order(2)
  void tenantBGets404OnEveryRouteForTenantAsIds() throws Exception {
    List<String> leaks = new ArrayList<>();
    for (Operation operation : withTenantResource()) {
      String caller = operation.service().equals(GATEWAY) ? tenantAdminB : submitterB;
      Answer answer = operation.call(caller);
      if (answer.status != 404) {
        leaks.add(operation.key() + " as " + TENANT_B + ": " + answer);
      } else {
        assertThat(answer.contentType).as(operation.key()).contains("application/problem+json");
      }
    }
    assertThat(leaks).as("routes that did not answer tenant B 404 for tenant A's resource").isEmpty();
  }

  @Test
  @Order(3)
  void listsShownToOtherTenantsHoldNoneOfTenantAsIds() throws Exception {
    List<String> leaks = new ArrayList<>();
    for (Operation list : operations) {
      if (!list.method().equals("GET") || !list.parameters().isEmpty()) {
        continue;
      }
      for (Map.Entry<String, String> other : Map.of(TENANT_B, list.service().equals(GATEWAY) ? tenantAdminB : submitterB,
          "default (admin)", Credentials.adminKey(platform)).entrySet()) {
        if (list.service().equals(GATEWAY) && other.getKey().startsWith("default")) {
          continue; // an admin manages every tenant's keys, by design
        }
        Answer answer = list.call(other.getValue());
        ownedTokens.forEach((what, token) -> {
          if (answer.body.contains(token)) {
            leaks.add(list.key() + " as " + other.getKey() + " shows " + what + " " + token + " (" + answer.status + ")");
          }
        });
      }
    }
    assertThat(leaks).isEmpty();
  }

  /**
   * Resources named in a request's body rather than its path: tenant B naming tenant A's model, dataset or
   * merge gets exactly the answer it gets for a name that was never made (never a success).
   */
  @Test
  @Order(4)
  void tenantAsResourcesNamedInABodyAreUnknownToTenantB() throws Exception {
    String unknownName = "never-made-" + Long.toString(System.nanoTime(), 36);
    String unknownId = java.util.UUID.randomUUID().toString();
    String modelName = ownedIds.get("inference.name");
    Map<String, String> probes = new LinkedHashMap<>();
    String job = """
        {"displayName":"probe","spec":{"algorithm":"distillation","model":"%s","dataset":"%s","budget":{"maxSteps":1},
         "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"kl"}}}}""";
    probes.put("POST /api/v1/training/jobs spec.dataset", job.formatted("breast-cancer-mlp-student", "@"));
    probes.put("POST /api/v1/training/jobs spec.model", job.formatted("@", "breast-cancer"));
    probes.put("POST /api/v1/inference/score/classify model", "{\"model\":\"@\",\"features\":[" + zeros(30) + "]}");
    probes.put("POST /api/v1/evaluation/runs spec.model",
        "{\"spec\":{\"model\":\"@\",\"suites\":[\"classifier\"],\"prompts\":{\"dataset\":\"breast-cancer\"}}}");
    probes.put("POST /api/v1/evaluation/runs spec.prompts.dataset",
        "{\"spec\":{\"model\":\"breast-cancer-mlp-teacher\",\"suites\":[\"classifier\"],\"prompts\":{\"dataset\":\"@\"}}}");
    probes.put("POST /api/v1/merging/experiments spec.mergeId", "{\"spec\":{\"mergeId\":\"@\",\"seeds\":1}}");
    // run ids in a query: the analyses of runs (GET, so their answers are compared whole)
    probes.put("GET /api/v1/evaluation/frontier?runId=@ runId", null);
    probes.put("GET /api/v1/evaluation/comparison?a=@&b=@ runId", null);
    probes.put("GET /api/v1/merging/experiments?mergeId=@ spec.mergeId", null);
    Map<String, String[]> values = Map.of(
        "spec.dataset", new String[] {ownedIds.get("training.name"), unknownName},
        "spec.prompts.dataset", new String[] {ownedIds.get("training.name"), unknownName},
        "spec.model", new String[] {modelName, unknownName},
        "model", new String[] {modelName, unknownName},
        "spec.mergeId", new String[] {ownedIds.get("merging.mergeId"), unknownId},
        "runId", new String[] {ownedIds.get("evaluation.runId"), unknownId});
    List<String> leaks = new ArrayList<>();
    for (Map.Entry<String, String> probe : probes.entrySet()) {
      String[] words = probe.getKey().split(" ");
      String[] ids = values.get(words[2]);
      String body = probe.getValue();
      HttpResponse<String> withAs = call(submitterB, words[0], words[1].replace("@", ids[0]),
          body == null ? null : body.replace("@", ids[0]));
      HttpResponse<String> withUnknown = call(submitterB, words[0], words[1].replace("@", ids[1]),
          body == null ? null : body.replace("@", ids[1]));
      // a change must fail as for an unknown name; a read may succeed, with what an unknown id shows (nothing)
      boolean sameAnswer = withAs.statusCode() == withUnknown.statusCode()
          && (withAs.statusCode() / 100 != 2 || (words[0].equals("GET") && withAs.body().replace(ids[0], ids[1]).equals(withUnknown.body())));
      if (!sameAnswer) {
        leaks.add(probe.getKey() + " as " + TENANT_B + ": " + withAs.statusCode() + " " + withAs.body() + " (an unknown one: "
            + withUnknown.statusCode() + ")");
      }
    }
    assertThat(leaks).as("tenant A's resources that tenant B could use or tell from unknown ones").isEmpty();
  }

  @Test
  @Order(5)
  void tenantAReachesItsOwnResourcesOnTheSameRoutes() throws Exception {
    List<String> notFound = new ArrayList<>();
    for (Operation operation : withTenantResource()) {
      Answer answer = operation.call(operation.service().equals(GATEWAY) ? tenantAdminA : submitterA);
      // 2xx, or 409 for a change the resource's state does not allow (cancel a finished job): found either way
      if (!(answer.status / 100 == 2 || answer.status == 409)) {
        notFound.add(operation.key() + " as " + TENANT_A + ": " + answer);
      }
    }
    assertThat(notFound).as("tenant A's own calls that did not find its resource").isEmpty();
  }

  @Test
  @Order(6)
  void tenantAsListsShowItsResources() throws Exception {
    Map<String, String> shows = Map.of(
        "/api/v1/training/jobs", ownedIds.get("training.jobId"),
        "/api/v1/training/datasets", ownedIds.get("training.name"),
        "/api/v1/training/models", ownedIds.get("inference.name"),
        "/api/v1/inference/models", ownedIds.get("inference.name"),
        "/api/v1/evaluation/training-jobs", ownedIds.get("evaluation.jobId"),
        "/api/v1/evaluation/runs", ownedIds.get("evaluation.runId"),
        "/api/v1/merging/experiments", ownedIds.get("merging.experimentId"));
    for (Map.Entry<String, String> list : shows.entrySet()) {
      HttpResponse<String> answer = call(submitterA, "GET", list.getKey(), null);
      assertThat(answer.statusCode()).as(list.getKey()).isEqualTo(200);
      assertThat(answer.body()).as(list.getKey()).contains(list.getValue());
    }
  }

  // ---- the routes ------------------------------------------------------------------------------

  private static List<Operation> withTenantResource() {
    return operations.stream().filter(o -> o.parameters().stream()
        .anyMatch(p -> !NOT_A_TENANT_RESOURCE.containsKey(o.service() + "." + p))).toList();
  }

  /** One operation of an OpenAPI document: the service that serves it, its method and path template. */
  record Operation(String service, String method, String template) {

    static List<Operation> of(String service, JsonNode document) {
      List<Operation> found = new ArrayList<>();
      document.get("paths").properties().forEach(path -> path.getValue().properties().forEach(operation -> {
        if (METHODS.contains(operation.getKey())) {
          found.add(new Operation(service, operation.getKey().toUpperCase(), path.getKey()));
        }
      }));
      assertThat(found).as("operations in the OpenAPI document of " + service).isNotEmpty();
      return found;
    }

    List<String> parameters() {
      List<String> names = new ArrayList<>();
      Matcher matcher = PATH_PARAMETER.matcher(template);
      while (matcher.find()) {
        names.add(matcher.group(1));
      }
      return names;
    }

    String key() {
      return method + " " + template;
    }

    int phase() {
      return switch (method) {
        case "GET" -> 0;
        case "DELETE" -> 2;
        default -> 1;
      };
    }

    /** Calls the operation with tenant A's ids in its path as the holder of {@code apiKey}. */
    Answer call(String apiKey) throws Exception {
      Matcher matcher = PATH_PARAMETER.matcher(template);
      StringBuilder path = new StringBuilder();
      while (matcher.find()) {
        String value = ownedIds.getOrDefault(service + "." + matcher.group(1), "kl");
        matcher.appendReplacement(path, Matcher.quoteReplacement(URLEncoder.encode(value, StandardCharsets.UTF_8)));
      }
      matcher.appendTail(path);
      String body = BODIES.get(key());
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.GATEWAY) + path))
          .timeout(Duration.ofSeconds(60)).header("X-Api-Key", apiKey)
          .header("Accept", template.endsWith("/events") ? "text/event-stream" : "application/json, application/problem+json, */*")
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
      if (body != null) {
        request.header("Content-Type", "application/json");
      }
      // only the head of a stream (SSE, JSON Lines): the status is the answer; the rest is not waited for
      HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      String contentType = response.headers().firstValue("Content-Type").orElse("");
      String text;
      try (InputStream in = response.body()) {
        text = contentType.startsWith("text/event-stream") || contentType.startsWith("application/x-ndjson")
            ? new String(in.readNBytes(512), StandardCharsets.UTF_8)
            : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      return new Answer(response.statusCode(), contentType, text);
    }
  }

  record Answer(int status, String contentType, String body) {
    @Override
    public String toString() {
      return status + " " + contentType + " " + (body.length() > 300 ? body.substring(0, 300) + "…" : body);
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private record IssuedKey(String keyId, String apiKey) {}

  private static IssuedKey createKey(String adminKey, String tenant, String role) throws Exception {
    HttpResponse<String> created = call(adminKey, "POST", "/api/v1/admin/api-keys",
        json.writeValueAsString(Map.of("name", tenant + "-" + role, "tenant", tenant, "roles", List.of(role))));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode body = read(created);
    return new IssuedKey(body.at("/key/keyId").asString(), body.get("apiKey").asString());
  }

  private static void owned(String parameter, String value) {
    ownedIds.put(parameter, value);
    ownedTokens.put(parameter, value);
  }

  private static HttpResponse<String> call(String apiKey, String method, String path, String body) throws Exception {
    return call(apiKey, method, path, body, Duration.ZERO);
  }

  /** A call through the gateway; a 503 (a built-in still being made, a service still starting) is retried for {@code patience}. */
  private static HttpResponse<String> call(String apiKey, String method, String path, String body, Duration patience) throws Exception {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.GATEWAY) + path))
          .timeout(Duration.ofSeconds(60)).header("X-Api-Key", apiKey)
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
      if (body != null) {
        request.header("Content-Type", path.contains("/datasets?") ? "application/x-ndjson" : "application/json");
      }
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 503 || System.nanoTime() > deadline) {
        return response;
      }
      Thread.sleep(1000);
    }
  }

  private static JsonNode read(HttpResponse<String> response) {
    return json.readTree(response.body());
  }

  private static String zeros(int n) {
    return Collections.nCopies(n, "0").stream().collect(Collectors.joining(",", "[", "]"));
  }

  private static void await(String what, ThrowingCondition condition) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.holds()) {
      assertThat(System.nanoTime()).as(what + " within " + WAIT).isLessThan(deadline);
      Thread.sleep(500);
    }
  }

  @FunctionalInterface
  private interface ThrowingCondition {
    boolean holds() throws Exception;
  }
}
