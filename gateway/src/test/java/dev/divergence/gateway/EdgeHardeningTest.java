package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** What the edge adds to every answer and refuses before a service sees it: headers, CORS, body size. */
class EdgeHardeningTest extends GatewayTestBase {

  @Test
  void answersCarryTheSecurityHeaders() {
    HttpResponse<String> response = get("/api/v1/training/jobs");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(response.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(response.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
    assertThat(response.headers().firstValue("Content-Security-Policy")).hasValue("frame-ancestors 'none'");
    assertThat(response.headers().firstValue("Cache-Control")).hasValueSatisfying(v -> assertThat(v).contains("no-store"));
    HttpResponse<String> refused = send(anonymous("/api/v1/training/jobs").GET().build());
    assertThat(refused.headers().firstValue("X-Content-Type-Options")).as("on refusals too").hasValue("nosniff");
  }

  @Test
  void aRequestTheFirewallRejectsKeepsItsOwnStatusForAnAuthenticatedCaller() {
    // the rejection ends in the container's error page; that dispatch must not be re-judged as anonymous
    HttpResponse<String> rejected = get("/api/v1/training/jobs;x=1");
    assertThat(rejected.statusCode()).as(rejected.body()).isEqualTo(400);
    assertThat(rejected.headers().firstValue("Content-Type")).as(rejected.body())
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(json(rejected).get("detail").asString()).contains("rejected", ";");
  }

  @Test
  void onlyConfiguredOriginsPassTheCorsPreflight() {
    HttpResponse<String> allowed = send(anonymous("/api/v1/training/jobs").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("Origin", ALLOWED_ORIGIN).header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-api-key,content-type").build());
    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue(ALLOWED_ORIGIN);
    assertThat(allowed.headers().firstValue("Access-Control-Allow-Credentials")).isEmpty();

    HttpResponse<String> other = send(anonymous("/api/v1/training/jobs").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("Origin", "https://evil.example.net").header("Access-Control-Request-Method", "POST").build());
    assertThat(other.statusCode()).isEqualTo(403);
    assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
  }

  @Test
  void anOversizeBodyIs413AndNeverForwardedWhetherDeclaredOrChunked() {
    int before = TRAINING.receivedCount();
    byte[] body = new byte[MAX_REQUEST_BYTES + 1];
    java.util.Arrays.fill(body, (byte) 'x');
    HttpResponse<String> declared = send(request("/api/v1/training/jobs").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    assertThat(declared.statusCode()).isEqualTo(413);
    assertThat(json(declared).get("type").asString()).isEqualTo("https://divergence.dev/problems/payload-too-large");
    // no length given: HTTP/1.1 chunked transfer, counted while it is read
    HttpResponse<String> chunked = send(request("/api/v1/training/jobs").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build());
    assertThat(chunked.statusCode()).as(chunked.body()).isEqualTo(413);
    assertThat(TRAINING.receivedCount()).as("no oversize body reached the service").isEqualTo(before);

    byte[] fits = new byte[MAX_REQUEST_BYTES];
    java.util.Arrays.fill(fits, (byte) 'x');
    assertThat(send(request("/api/v1/training/jobs").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(fits)).build()).statusCode()).isEqualTo(201);
  }
}
