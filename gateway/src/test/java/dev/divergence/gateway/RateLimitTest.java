package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.test.EmbeddedInfrastructureExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Rate limits across two real gateway replicas that share their buckets through the same PostgreSQL:
 * the configured number of calls pass, whichever replica serves them, and the next is 429 with
 * Retry-After. Small limits that refill slowly (per hour), so no call is refilled during the test.
 */
@ExtendWith(EmbeddedInfrastructureExtension.class)
class RateLimitTest {

  static final int SUBMISSIONS = 3;
  static final int READS = 4;
  static final int GENERATION_TOKENS = 100;
  private static ConfigurableApplicationContext first;
  private static ConfigurableApplicationContext second;

  @BeforeAll
  static void startTwoReplicas() {
    first = replica();
    second = replica();
  }

  @AfterAll
  static void stop() {
    for (ConfigurableApplicationContext replica : new ConfigurableApplicationContext[] {first, second}) {
      if (replica != null) {
        replica.close();
      }
    }
  }

  private static ConfigurableApplicationContext replica() {
    // command-line arguments: they override the gateway's application.yml, as the test must
    Map<String, String> settings = Map.ofEntries(
        Map.entry("server.port", "0"),
        Map.entry("divergence.gateway.services.training.uri", GatewayTestBase.TRAINING.uri()),
        Map.entry("divergence.gateway.services.inference.uri", GatewayTestBase.INFERENCE.uri()),
        Map.entry("divergence.gateway.services.evaluation.uri", "http://127.0.0.1:" + GatewayTestBase.EVALUATION_PORT),
        Map.entry("divergence.gateway.services.merging.uri", "http://127.0.0.1:" + GatewayTestBase.MERGING_PORT),
        Map.entry("divergence.security.identity.secret", GatewayTestBase.IDENTITY_SECRET),
        Map.entry("divergence.gateway.auth.bootstrap-admin-key", GatewayTestBase.ADMIN_KEY),
        Map.entry("divergence.gateway.rate-limits.submissions.capacity", Integer.toString(SUBMISSIONS)),
        Map.entry("divergence.gateway.rate-limits.submissions.period", "1h"),
        Map.entry("divergence.gateway.rate-limits.reads.capacity", Integer.toString(READS)),
        Map.entry("divergence.gateway.rate-limits.reads.period", "1h"),
        Map.entry("divergence.gateway.rate-limits.generation-tokens.capacity", Integer.toString(GENERATION_TOKENS)),
        Map.entry("divergence.gateway.rate-limits.generation-tokens.period", "1h"));
    return new SpringApplicationBuilder(GatewayApplication.class)
        .run(settings.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
  }

  private static String url(ConfigurableApplicationContext replica, String path) {
    return "http://localhost:" + ((WebServerApplicationContext) replica).getWebServer().getPort() + path;
  }

  /** A fresh key (a fresh set of buckets): the admin's own calls draw on the admin's buckets. */
  private static String freshKey(String roles) {
    HttpResponse<String> created = GatewayTestBase.send(HttpRequest.newBuilder(URI.create(url(first, "/api/v1/admin/api-keys")))
        .header("X-Api-Key", GatewayTestBase.ADMIN_KEY).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"limited\",\"tenant\":\"acme\",\"roles\":[\"" + roles + "\"]}"))
        .build());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return GatewayTestBase.json(created).get("apiKey").asString();
  }

  private static HttpResponse<String> post(ConfigurableApplicationContext replica, String key, String path, String body) {
    return GatewayTestBase.send(HttpRequest.newBuilder(URI.create(url(replica, path))).timeout(Duration.ofSeconds(10))
        .header("X-Api-Key", key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  private static HttpResponse<String> get(ConfigurableApplicationContext replica, String key, String path) {
    return GatewayTestBase.send(HttpRequest.newBuilder(URI.create(url(replica, path))).timeout(Duration.ofSeconds(10))
        .header("X-Api-Key", key).GET().build());
  }

  private static void assertLimited(HttpResponse<String> response) {
    assertLimited(response, 0);
  }

  private static void assertLimited(HttpResponse<String> response, long remaining) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(429);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(GatewayTestBase.json(response).get("type").asString()).isEqualTo("https://divergence.dev/problems/too-many-requests");
    // an empty bucket of n per hour gets one token back after 3600/n s
    long retryAfter = Long.parseLong(response.headers().firstValue("Retry-After").orElseThrow());
    assertThat(retryAfter).isPositive().isLessThanOrEqualTo(3600);
    assertThat(response.headers().firstValue("RateLimit-Remaining")).hasValue(Long.toString(remaining));
  }

  @Test
  void submissionsAreCountedAcrossReplicasAndTheNextIsRefused() {
    String key = freshKey("submitter");
    List<ConfigurableApplicationContext> servedBy = List.of(first, second, first);
    for (int i = 0; i < SUBMISSIONS; i++) {
      HttpResponse<String> response = post(servedBy.get(i), key, "/api/v1/training/jobs", "{}");
      assertThat(response.statusCode()).as("submission %d", i + 1).isEqualTo(201);
      assertThat(response.headers().firstValue("RateLimit-Limit")).hasValue(Integer.toString(SUBMISSIONS));
      assertThat(response.headers().firstValue("RateLimit-Remaining")).hasValue(Integer.toString(SUBMISSIONS - i - 1));
    }
    int before = GatewayTestBase.TRAINING.receivedCount();
    assertLimited(post(second, key, "/api/v1/training/jobs", "{}"));
    assertLimited(post(first, key, "/api/v1/training/jobs", "{}"));
    assertThat(GatewayTestBase.TRAINING.receivedCount()).as("refused calls never reach the service").isEqualTo(before);
    // reads have their own bucket
    assertThat(get(second, key, "/api/v1/training/jobs").statusCode()).isEqualTo(200);
  }

  @Test
  void eachCallerHasItsOwnBuckets() {
    String greedy = freshKey("viewer");
    String other = freshKey("viewer");
    for (int i = 0; i < READS; i++) {
      assertThat(get(i % 2 == 0 ? first : second, greedy, "/api/v1/training/jobs").statusCode()).isEqualTo(200);
    }
    assertLimited(get(first, greedy, "/api/v1/training/jobs"));
    assertThat(get(first, other, "/api/v1/training/jobs").statusCode()).isEqualTo(200);
  }

  @Test
  void generationCostsTheTokensItAsksForAndItsBodyReachesTheServiceUnchanged() {
    String key = freshKey("submitter");
    String body = "{\"model\":\"tiny-lm\",\"prompt\":\"12+7=\",\"maxTokens\":40}";
    HttpResponse<String> firstCall = post(first, key, "/api/v1/inference/generate", body);
    assertThat(firstCall.statusCode()).isEqualTo(201);
    assertThat(GatewayTestBase.INFERENCE.lastReceived().body()).isEqualTo(body);
    assertThat(firstCall.headers().firstValue("RateLimit-Remaining")).hasValue(Integer.toString(GENERATION_TOKENS - 40));
    assertThat(post(second, key, "/api/v1/inference/generate", body).statusCode()).isEqualTo(201);
    // 20 tokens left: a request for 40 waits, one for 20 passes
    assertLimited(post(first, key, "/api/v1/inference/generate", body), GENERATION_TOKENS - 80);
    assertThat(post(second, key, "/api/v1/inference/generate", body.replace("40", "20")).statusCode()).isEqualTo(201);
  }
}
