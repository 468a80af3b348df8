package dev.divergence.training.e2e;

import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The ITs of this module share one database, so jobs other test classes submitted and left queued (API and
 * fuzz tests accept valid specs) are claimed by whichever test context's worker runs next. A test that times
 * its own job's steps first cancels those through the API, so that its job does not wait behind a queue
 * whose length depends on the order the test classes ran in.
 */
final class WorkerQueue {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private WorkerQueue() {
  }

  /** Cancels every QUEUED and RUNNING job and waits until none runs. */
  static void clear(HttpClient http, String baseUrl) throws Exception {
    for (String state : List.of("QUEUED", "RUNNING")) {
      for (String id : jobIds(http, baseUrl, state)) {
        http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/training/jobs/" + id + "/cancel"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("")).build(),
            HttpResponse.BodyHandlers.ofString());
      }
    }
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
        .until(() -> jobIds(http, baseUrl, "RUNNING").isEmpty() && jobIds(http, baseUrl, "QUEUED").isEmpty());
  }

  private static List<String> jobIds(HttpClient http, String baseUrl, String state) throws Exception {
    List<String> ids = new ArrayList<>();
    String token = "";
    do {
      String query = "/api/v1/training/jobs?state=" + state + "&pageSize=100" + (token.isEmpty() ? "" : "&pageToken=" + java.net.URLEncoder.encode(token, java.nio.charset.StandardCharsets.UTF_8));
      JsonNode page = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(baseUrl + query)).GET().build(),
          HttpResponse.BodyHandlers.ofString()).body());
      page.get("jobs").forEach(job -> ids.add(job.get("jobId").asString()));
      token = page.hasNonNull("nextPageToken") ? page.get("nextPageToken").asString() : "";
    } while (!token.isEmpty());
    return ids;
  }
}
