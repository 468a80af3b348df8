package dev.divergence.gateway;

import dev.divergence.gateway.auth.ApiKeySecret;
import dev.divergence.platform.tenancy.IdentityTokens;
import dev.divergence.platform.test.EmbeddedInfrastructureExtension;
import dev.divergence.platform.test.net.DownPort;
import dev.divergence.platform.test.oidc.TestOidcProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The real gateway on a random port in front of real HTTP servers: training and inference answer,
 * evaluation and merging are down. All test classes share this setup, hence one Spring context.
 * Resilience settings are shrunk so timeouts and the circuit breaker show quickly; the read timeout
 * stays generous enough for a cold JVM on a busy build machine.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(EmbeddedInfrastructureExtension.class)
abstract class GatewayTestBase {

  /** The identity secret gateway and services share (a test value; deployments make their own). */
  static final String IDENTITY_SECRET = java.util.Base64.getEncoder().encodeToString(
      "gateway-test-identity-secret-32b".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  static final IdentityTokens SERVICE_SIDE = new IdentityTokens(IdentityTokens.decodeSecret(IDENTITY_SECRET), "test",
      Duration.ofMinutes(5), java.time.Clock.systemUTC());
  /** The admin key of the default tenant the gateway stores at start, as ./platform up's is. */
  static final String ADMIN_KEY = ApiKeySecret.generate().text();
  /** An OIDC issuer's JWK set, served by the test itself: the gateway fetches keys from it. */
  static final TestJwtIssuer ISSUER = TestJwtIssuer.start();
  /**
   * The dashboard's OIDC provider, a real one (Spring Authorization Server) and the outer edge of
   * these tests: alice belongs to acme and globex, bob's account grants no platform role.
   */
  static final TestOidcProvider OIDC_PROVIDER = TestOidcProvider.start("divergence-dashboard", "dashboard-test-secret",
      java.util.List.of("/ui/oauth2/code/oidc"), java.util.List.of(
          new TestOidcProvider.Account("alice", "alice-password", java.util.Map.of(
              "tenant", "acme", "tenants", java.util.List.of("acme", "globex"), "roles", java.util.List.of("submitter"))),
          new TestOidcProvider.Account("bob", "bob-password", java.util.Map.of("tenant", "acme"))));
  static final String OIDC_PROVIDER_NAME = "Test IdP";
  static final int MAX_REQUEST_BYTES = 4096;
  static final String ALLOWED_ORIGIN = "https://dashboard.example.com";

  static final FakeService TRAINING = FakeService.start("training");
  static final FakeService INFERENCE = FakeService.start("inference");
  static final DownPort EVALUATION_DOWN = DownPort.reserve();
  static final int EVALUATION_PORT = EVALUATION_DOWN.port();
  /** Merging is down until {@link CircuitBreakerTest} brings it back on this port. */
  static final DownPort MERGING_DOWN = DownPort.reserve();
  static final int MERGING_PORT = MERGING_DOWN.port();

  static final int BREAKER_WINDOW = 4;
  static final Duration READ_TIMEOUT = Duration.ofSeconds(3);

  static final JsonMapper JSON = JsonMapper.builder().build();
  static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  @LocalServerPort
  int port;

  @DynamicPropertySource
  static void services(DynamicPropertyRegistry registry) {
    registry.add("divergence.gateway.services.training.uri", TRAINING::uri);
    registry.add("divergence.gateway.services.inference.uri", INFERENCE::uri);
    registry.add("divergence.gateway.services.evaluation.uri", () -> "http://127.0.0.1:" + EVALUATION_PORT);
    registry.add("divergence.gateway.services.merging.uri", () -> "http://127.0.0.1:" + MERGING_PORT);
    registry.add("divergence.gateway.read-timeout", () -> READ_TIMEOUT.toMillis() + "ms");
    registry.add("divergence.gateway.retry.backoff", () -> "10ms");
    registry.add("divergence.gateway.circuit-breaker.sliding-window-size", () -> BREAKER_WINDOW);
    registry.add("divergence.gateway.circuit-breaker.minimum-number-of-calls", () -> BREAKER_WINDOW);
    registry.add("divergence.gateway.circuit-breaker.wait-in-open-state", () -> "60s");
    registry.add("divergence.security.identity.secret", () -> IDENTITY_SECRET);
    registry.add("divergence.gateway.auth.bootstrap-admin-key", () -> ADMIN_KEY);
    registry.add("spring.security.oauth2.resourceserver.jwt.jwk-set-uri", ISSUER::jwkSetUri);
    registry.add("divergence.gateway.dashboard.oidc.issuer-uri", OIDC_PROVIDER::issuer);
    registry.add("divergence.gateway.dashboard.oidc.client-id", OIDC_PROVIDER::clientId);
    registry.add("divergence.gateway.dashboard.oidc.client-secret", OIDC_PROVIDER::clientSecret);
    registry.add("divergence.gateway.dashboard.oidc.name", () -> OIDC_PROVIDER_NAME);
    registry.add("divergence.gateway.edge.max-request-size", () -> MAX_REQUEST_BYTES + "B");
    registry.add("divergence.gateway.edge.cors-allowed-origins", () -> ALLOWED_ORIGIN);
  }

  /** A request as the bootstrap admin. */
  HttpRequest.Builder request(String path) {
    return anonymous(path).header("X-Api-Key", ADMIN_KEY);
  }

  HttpRequest.Builder anonymous(String path) {
    return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(10));
  }

  HttpResponse<String> get(String path) {
    return send(request(path).GET().build());
  }

  static HttpResponse<String> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(HttpResponse<String> response) {
    return JSON.readTree(response.body());
  }
}
