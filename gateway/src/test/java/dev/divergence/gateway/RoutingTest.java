package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class RoutingTest extends GatewayTestBase {

  static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

  @Test
  void forwardsMethodPathQueryBodyAndHeadersUnchanged() {
    HttpResponse<String> response = send(request("/api/v1/training/jobs?dryRun=true&tag=a%20b")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\"}"))
        .header("Content-Type", "application/json")
        .header("X-Request-Id", "req-123")
        .header("X-Tenant-Id", "acme")
        .header("traceparent", "00-" + TRACE_ID + "-b7ad6b7169203331-01")
        .build());

    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(json(response).get("service").asString()).isEqualTo("training");
    assertThat(response.headers().firstValue("X-Served-By")).hasValue("training");
    assertThat(response.headers().allValues("X-Request-Id")).containsExactly("req-123");

    FakeService.Received received = TRAINING.lastReceived();
    assertThat(received.method()).isEqualTo("POST");
    assertThat(received.uri()).isEqualTo("/api/v1/training/jobs?dryRun=true&tag=a%20b");
    assertThat(received.body()).isEqualTo("{\"model\":\"tiny\"}");
    assertThat(received.headers().getFirst("Content-Type")).startsWith("application/json");
    assertThat(received.headers().getFirst("X-Request-Id")).isEqualTo("req-123");
    // the tenant is the authenticated caller's (the admin key's: default), never what the caller claims
    assertThat(received.headers().getFirst("X-Tenant-Id")).isEqualTo("default");
    assertThat(SERVICE_SIDE.verify(received.headers().getFirst("X-Divergence-Identity")).tenant()).isEqualTo("default");
    assertThat(received.headers().getFirst("X-Api-Key")).as("credentials stay at the edge").isNull();
    // the gateway may continue the trace with its own span, but never starts a new trace
    assertThat(received.headers().getFirst("traceparent")).contains(TRACE_ID);
  }

  @Test
  void generatesARequestIdWhenTheCallerSendsNoneAndForwardsIt() {
    HttpResponse<String> response = get("/api/v1/inference/models");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).get("service").asString()).isEqualTo("inference");
    String requestId = response.headers().firstValue("X-Request-Id").orElseThrow();
    assertThat(requestId).isNotBlank();
    assertThat(INFERENCE.lastReceived().headers().getFirst("X-Request-Id")).isEqualTo(requestId);
  }

  @Test
  void routesByServicePrefixOnly() {
    assertThat(get("/api/v1/inference").statusCode()).isEqualTo(200);
    assertThat(INFERENCE.lastReceived().uri()).isEqualTo("/api/v1/inference");
    assertThat(get("/api/v1/inferencex/models").statusCode()).isEqualTo(404);
  }
}
