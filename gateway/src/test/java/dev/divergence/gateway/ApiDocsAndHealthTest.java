package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ApiDocsAndHealthTest extends GatewayTestBase {

  @Test
  void theSwaggerUiListsEveryServiceAndTheGateway() {
    HttpResponse<String> page = get("/swagger-ui.html");
    assertThat(page.statusCode()).isEqualTo(302);
    String indexPath = page.headers().firstValue("Location").orElseThrow().replaceFirst("^https?://[^/]+", "");
    HttpResponse<String> index = get(indexPath);
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.body()).contains("swagger-ui");

    JsonNode config = json(get("/v3/api-docs/swagger-config"));
    List<String> specs = new ArrayList<>();
    config.get("urls").forEach(url -> specs.add(url.get("name").asString() + " " + url.get("url").asString()));
    assertThat(specs).containsExactlyInAnyOrder(
        "training /api-docs/training",
        "inference /api-docs/inference",
        "evaluation /api-docs/evaluation",
        "merging /api-docs/merging",
        "gateway /v3/api-docs");
  }

  @Test
  void aServiceDocumentIsFetchedThroughTheGateway() {
    HttpResponse<String> response = get("/api-docs/training");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).at("/info/title").asString()).isEqualTo("training");
    assertThat(TRAINING.lastReceived().uri()).isEqualTo("/v3/api-docs");
  }

  @Test
  void theGatewayServesItsOwnDocument() {
    HttpResponse<String> response = get("/v3/api-docs");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).get("openapi").asString()).startsWith("3.");
    assertThat(json(response).at("/info/title").asString()).isEqualTo("Divergence gateway");
  }

  @Test
  void isReady() {
    HttpResponse<String> response = get("/actuator/health/readiness");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).get("status").asString()).isEqualTo("UP");
  }
}
