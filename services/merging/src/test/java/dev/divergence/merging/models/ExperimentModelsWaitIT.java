package dev.divergence.merging.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.divergence.model.assets.TinyAssets;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An experiment's wait for built-in models is bounded: with the background preparation held back for
 * an hour and {@code experiments.models-wait} of 2 s, the experiment waits RUNNING and then ends FAILED
 * with reason {@code models-not-ready} and a message naming the model, instead of waiting for ever.
 * The context is closed after the class, so its worker takes no other class's experiments.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.merging.data-dir=target/merging-test-data",
        "divergence.merging.built-in-classifier-steps=40", "divergence.merging.prepare-built-ins-at-start=true",
        "divergence.merging.prepare-built-ins-after=1h", "divergence.merging.experiments.workers=1",
        "divergence.merging.experiments.models-wait=2s"})
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class ExperimentModelsWaitIT {

  @LocalServerPort int port;
  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @Test
  void anExperimentWhoseModelsStayPreparingFailsAfterTheBoundedWait() throws Exception {
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/merging/experiments"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(Map.of("spec", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
            "expert", TinyAssets.DIGITS_EXPERT, "methods", List.of("t3"), "splits", List.of(Map.of("name", "digits")), "seeds", 1)))))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String id = json.readTree(created.body()).get("experimentId").asString();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> experiment(id).get("state").asString().equals("FAILED"));
    JsonNode failed = experiment(id);
    assertThat(failed.get("reason").asString()).isEqualTo("models-not-ready");
    assertThat(failed.get("message").asString()).contains(TinyAssets.DIGITS_GENERALIST, "PREPARING");
  }

  private JsonNode experiment(String id) throws Exception {
    return json.readTree(http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/merging/experiments/" + id))
        .GET().build(), HttpResponse.BodyHandlers.ofString()).body());
  }
}
