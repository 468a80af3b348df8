package dev.divergence.training.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The job API calls the end-to-end job tests share: submit, wait for success, read metric series. */
abstract class JobEndToEndSupport {

  protected final HttpClient http = HttpClient.newHttpClient();
  protected final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort protected int port;

  protected String submit(String spec) throws Exception {
    HttpResponse<String> response = post("/api/v1/training/jobs", "{\"spec\":" + spec + "}");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return json.readTree(response.body()).get("jobId").asString();
  }

  protected void awaitSucceeded(String jobId) {
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1)).until(() -> {
      JsonNode job = json.readTree(get("/api/v1/training/jobs/" + jobId).body());
      String state = job.get("state").asString();
      if (state.equals("FAILED") || state.equals("CANCELLED")) {
        throw new AssertionError("job " + jobId + " ended " + state + ": " + job);
      }
      return state.equals("SUCCEEDED");
    });
  }

  /** Every metric series the job logged, by name, in step order. */
  protected Map<String, List<Double>> allSeries(String jobId) throws Exception {
    JsonNode body = json.readTree(get("/api/v1/training/jobs/" + jobId + "/metrics").body());
    Map<String, List<Double>> out = new TreeMap<>();
    body.get("series").properties().forEach(entry -> {
      List<Double> values = new ArrayList<>();
      entry.getValue().get("values").forEach(v -> values.add(v.asDouble()));
      out.put(entry.getKey(), values);
    });
    return out;
  }

  protected static double mean(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  protected HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  protected HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  protected URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }
}
