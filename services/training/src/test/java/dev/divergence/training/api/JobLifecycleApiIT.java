package dev.divergence.training.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.training.checkpoint.CheckpointStore;
import dev.divergence.training.config.TrainingProperties;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The job API beyond submit: cancel and retry rules (409 when the state forbids), list filters and
 * paging, the SSE stream, the dataset registry's validated uploads, and bad specs naming their
 * field. Workers are off, so jobs stay where the API puts them.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.training.workers=0"})
class JobLifecycleApiIT {

  private static final String SPEC = """
      {"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer",
       "budget":{"maxSteps":50},
       "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"kl"}}}""";

  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort int port;
  @Autowired TrainingProperties training;

  @Test
  void cancelAndRetryFollowTheLifecycle() throws Exception {
    String id = submit("lifecycle");
    JsonNode cancelled = json.readTree(post("/api/v1/training/jobs/" + id + "/cancel", "").body());
    assertThat(cancelled.get("state").asString()).isEqualTo("CANCELLED");
    assertThat(cancelled.get("reason").asString()).isEqualTo("cancelled-by-user");

    HttpResponse<String> again = post("/api/v1/training/jobs/" + id + "/cancel", "");
    assertThat(again.statusCode()).as("cancelling a finished job").isEqualTo(409);
    assertThat(again.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("problem+json"));

    HttpResponse<String> retried = post("/api/v1/training/jobs/" + id + "/retry", "{\"budget\":{\"maxSteps\":80}}");
    assertThat(retried.statusCode()).isEqualTo(200);
    JsonNode job = json.readTree(retried.body());
    assertThat(job.get("state").asString()).isEqualTo("QUEUED");
    assertThat(job.get("attempt").asInt()).isEqualTo(2);
    assertThat(job.get("spec").get("budget").get("maxSteps").asLong()).isEqualTo(80);
    assertThat(post("/api/v1/training/jobs/" + id + "/retry", "").statusCode()).as("retrying a queued job").isEqualTo(409);
    HttpResponse<String> badRetry = post("/api/v1/training/jobs/" + post("/api/v1/training/jobs/" + id + "/cancel", "").body()
        .replaceAll("(?s).*\"jobId\":\"([^\"]+)\".*", "$1") + "/retry", "{\"budget\":{\"maxSteps\":-1}}");
    assertProblem(badRetry, 400, "spec.budget.maxSteps");

    String logs = get("/api/v1/training/jobs/" + id + "/logs").body();
    assertThat(logs).contains("submitted").contains("cancelled before it started").contains("retry requested");
    assertThat(get("/api/v1/training/jobs/" + id + "/metrics").statusCode()).isEqualTo(200);
  }

  @Test
  void aJobListsItsAttemptsAndTheCheckpointsOnTheDataVolume() throws Exception {
    String id = submit("checkpoints");
    assertThat(json.readTree(get("/api/v1/training/jobs/" + id + "/attempts").body()).get("attempts"))
        .as("no worker started it (workers are off)").isEmpty();
    assertThat(json.readTree(get("/api/v1/training/jobs/" + id + "/checkpoints").body()).get("checkpoints")).isEmpty();

    // checkpoints written where a worker writes them, by the store the worker uses
    CheckpointStore store = new CheckpointStore(training.checkpointsDir().resolve(id), 2);
    store.save(5, dir -> Files.write(dir.resolve("model.safetensors"), new byte[123]));
    store.save(10, dir -> Files.write(dir.resolve("model.safetensors"), new byte[456]));
    JsonNode listed = json.readTree(get("/api/v1/training/jobs/" + id + "/checkpoints").body()).get("checkpoints");
    assertThat(listed).hasSize(2);
    assertThat(listed.get(0).get("step").asLong()).isEqualTo(5);
    assertThat(listed.get(0).get("sizeBytes").asLong()).isEqualTo(123);
    assertThat(listed.get(1).get("step").asLong()).isEqualTo(10);
    assertThat(listed.get(1).get("writtenAt").asString()).isNotBlank();

    assertThat(get("/api/v1/training/jobs/" + UUID.randomUUID() + "/checkpoints").statusCode()).isEqualTo(404);
    assertThat(get("/api/v1/training/jobs/" + UUID.randomUUID() + "/attempts").statusCode()).isEqualTo(404);
    assertProblem(get("/api/v1/training/jobs/not-a-uuid/attempts"), 400, "jobId");
  }

  @Test
  void listFiltersAndPages() throws Exception {
    String model = "breast-cancer-mlp-student";
    List<String> mine = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      mine.add(submit("page-" + i));
    }
    post("/api/v1/training/jobs/" + mine.get(0) + "/cancel", "");

    JsonNode first = json.readTree(get("/api/v1/training/jobs?pageSize=2&model=" + model).body());
    assertThat(first.get("jobs")).hasSize(2);
    String token = first.get("nextPageToken").asString();
    JsonNode second = json.readTree(get("/api/v1/training/jobs?pageSize=2&model=" + model + "&pageToken=" + token).body());
    List<String> seen = new ArrayList<>();
    first.get("jobs").forEach(j -> seen.add(j.get("jobId").asString()));
    second.get("jobs").forEach(j -> seen.add(j.get("jobId").asString()));
    assertThat(seen).doesNotHaveDuplicates();
    assertThat(seen.subList(0, 2)).containsExactly(mine.get(2), mine.get(1));

    JsonNode cancelled = json.readTree(get("/api/v1/training/jobs?state=cancelled&algorithm=distillation").body());
    List<String> cancelledIds = new ArrayList<>();
    cancelled.get("jobs").forEach(j -> {
      assertThat(j.get("state").asString()).isEqualTo("CANCELLED");
      cancelledIds.add(j.get("jobId").asString());
    });
    assertThat(cancelledIds).contains(mine.get(0));

    assertProblem(get("/api/v1/training/jobs?state=sleeping"), 400, "state");
    assertProblem(get("/api/v1/training/jobs?pageToken=garbage"), 400, "pageToken");
    assertProblem(get("/api/v1/training/jobs?pageSize=1000"), 400, "pageSize");
    assertProblem(get("/api/v1/training/jobs?algorithm=magic"), 400, "algorithm");
  }

  @Test
  void eventStreamSendsTheJobAndEndsWithIt() throws Exception {
    String id = submit("sse");
    post("/api/v1/training/jobs/" + id + "/cancel", "");
    HttpResponse<String> stream = http.send(HttpRequest.newBuilder(uri("/api/v1/training/jobs/" + id + "/events"))
        .timeout(Duration.ofSeconds(30)).header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.body()).contains("event:job").contains("\"state\":\"CANCELLED\"");
    // a watch of a job that has already ended sees it at once; each stream must still end (many in a
    // row, since the watcher once lost the end when its first round ran before it knew its own handle)
    for (int i = 0; i < 50; i++) {
      HttpResponse<String> again = http.send(HttpRequest.newBuilder(uri("/api/v1/training/jobs/" + id + "/events"))
          .timeout(Duration.ofSeconds(30)).header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(again.body()).as("watch %d", i).contains("\"state\":\"CANCELLED\"");
    }
  }

  @Test
  void datasetUploadsAreValidatedRecordByRecord() throws Exception {
    String name = "prefs-" + UUID.randomUUID().toString().substring(0, 8);
    String good = """
        {"prompt":"2+2=","chosen":"4","rejected":"5"}
        {"prompt":"3+3=","chosen":"6","rejected":"7"}
        """;
    HttpResponse<String> created = upload(name, "preference", good);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(json.readTree(created.body()).get("records").asLong()).isEqualTo(2);
    assertThat(upload(name, "preference", good).statusCode()).as("datasets are immutable").isEqualTo(409);

    assertProblem(upload("broken-" + name, "preference", "{\"prompt\":\"1+1=\",\"chosen\":\"2\",\"rejected\":\"3\"}\n{\"prompt\":\"x\",\"chosen\":\"y\"}\n"),
        400, "line 2.rejected");
    assertProblem(upload("broken-" + name, "preference", "{\"prompt\":\"1+1=\",\"chosen\":\"2\",\"rejected\":\"3\",\"score\":1}\n"),
        400, "line 1.score");
    assertProblem(upload("broken-" + name, "preference", "not json\n"), 400, "line 1");
    assertProblem(upload("broken-" + name, "audio", good), 400, "kind");
    assertThat(get("/api/v1/training/datasets/broken-" + name).statusCode()).as("nothing stored").isEqualTo(404);

    // an f-DPO job can use the uploaded preference dataset; distillation cannot
    String fdpo = """
        {"spec":{"algorithm":"f_dpo","model":"tiny-lm","dataset":"%s","budget":{"maxSteps":5},
         "fDpo":{"referenceModel":"tiny-lm","divergence":{"name":"alpha","alpha":0.5}}}}""".formatted(name);
    assertThat(post("/api/v1/training/jobs", fdpo).statusCode()).isEqualTo(201);
    assertProblem(post("/api/v1/training/jobs", "{\"spec\":" + SPEC.replace("\"dataset\":\"breast-cancer\"", "\"dataset\":\"" + name + "\"") + "}"),
        400, "spec.dataset");
  }

  @Test
  void badSpecsNameTheirField() throws Exception {
    String fdpo = """
        {"spec":{"algorithm":"f_dpo","model":"tiny-lm","dataset":"arithmetic-preferences","budget":{"maxSteps":5},
         "fDpo":{"referenceModel":"tiny-lm","divergence":{"name":"alpha","alpha":%s},"beta":%s}}}""";
    assertProblem(post("/api/v1/training/jobs", fdpo.formatted("1.5", "0.1")), 400, "spec.fDpo.divergence.alpha");
    assertProblem(post("/api/v1/training/jobs", fdpo.formatted("0.5", "-1")), 400, "spec.fDpo.beta");
    assertProblem(post("/api/v1/training/jobs", fdpo.formatted("0.5", "0.1").replace("\"referenceModel\":\"tiny-lm\"", "\"referenceModel\":\"ghost\"")),
        400, "spec.fDpo.referenceModel");
    assertProblem(post("/api/v1/training/jobs", "{\"spec\":" + SPEC.replace("\"name\":\"kl\"", "\"name\":\"tv\",\"beta\":0.5") + "}"),
        400, "spec.distillation.divergence.beta");
    assertProblem(post("/api/v1/training/jobs", "{\"spec\":" + SPEC.replace("{\"maxSteps\":50}", "{\"maxSteps\":50,\"batchSize\":0}") + "}"),
        400, "spec.budget.batchSize");
    // a distillation block under fDpo: its fields are unknown there
    assertProblem(post("/api/v1/training/jobs", "{\"spec\":" + SPEC.replace("\"distillation\":", "\"fDpo\":") + "}"), 400, "spec.fDpo.teacherModel");
    String withoutBlock = SPEC.substring(0, SPEC.indexOf(",\n \"distillation\"")) + "}";
    assertProblem(post("/api/v1/training/jobs", "{\"spec\":" + withoutBlock + "}"), 400, "spec.distillation");
  }

  @Test
  void registryListsBuiltInsAndRejectsBadImports() throws Exception {
    JsonNode models = json.readTree(get("/api/v1/training/models").body());
    List<String> builtIn = new ArrayList<>();
    models.get("builtIn").forEach(n -> builtIn.add(n.asString()));
    assertThat(builtIn).contains("tiny-lm", "breast-cancer-mlp-teacher");
    assertProblem(post("/api/v1/training/models", "{\"name\":\"imported\",\"path\":\"/definitely/not/here\"}"), 400, "path");
    assertProblem(post("/api/v1/training/models", "{\"name\":\"Bad Name\",\"path\":\"/tmp\"}"), 400, "name");
    assertThat(get("/api/v1/training/models/nothing-by-this-name").statusCode()).isEqualTo(404);
  }

  private String submit(String name) throws Exception {
    HttpResponse<String> response = post("/api/v1/training/jobs", "{\"displayName\":\"" + name + "\",\"spec\":" + SPEC + "}");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return json.readTree(response.body()).get("jobId").asString();
  }

  private void assertProblem(HttpResponse<String> response, int status, String field) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    JsonNode problem = json.readTree(response.body());
    List<String> fields = new ArrayList<>();
    problem.path("errors").forEach(error -> fields.add(error.get("field").asString()));
    assertThat(fields).as(response.body()).contains(field);
  }

  private HttpResponse<String> upload(String name, String kind, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri("/api/v1/training/datasets?name=" + name + "&kind=" + kind))
        .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json");
    request.POST(body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }
}
