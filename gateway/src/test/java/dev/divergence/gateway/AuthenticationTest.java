package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.tenancy.CallerIdentity;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Authentication and authorisation at the real gateway, with the key store in a real PostgreSQL and
 * a JWT issuer served by the test: who gets in, with which roles, and what the service behind
 * learns of them.
 */
class AuthenticationTest extends GatewayTestBase {

  private HttpResponse<String> withKey(String key, HttpRequest.Builder request) {
    return send(request.header("X-Api-Key", key).build());
  }

  private JsonNode createKey(String name, String tenant, List<String> roles, Instant expiresAt, String asKey) {
    String body = JSON.writeValueAsString(expiresAt == null
        ? Map.of("name", name, "tenant", tenant, "roles", roles)
        : Map.of("name", name, "tenant", tenant, "roles", roles, "expiresAt", expiresAt.toString()));
    HttpResponse<String> created = withKey(asKey, anonymous("/api/v1/admin/api-keys")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return json(created);
  }

  private static void assertProblem(HttpResponse<String> response, int status, String slug) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(json(response).get("type").asString()).isEqualTo("https://divergence.dev/problems/" + slug);
  }

  @Test
  void withoutCredentialsOnlyHealthIsOpen() {
    HttpResponse<String> refused = send(anonymous("/api/v1/training/jobs").GET().build());
    assertProblem(refused, 401, "unauthenticated");
    assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertProblem(send(anonymous("/api/v1/training/jobs").POST(HttpRequest.BodyPublishers.ofString("{}"))
        .header("Content-Type", "application/json").build()), 401, "unauthenticated");
    assertProblem(send(anonymous("/api-docs/training").GET().build()), 401, "unauthenticated");
    assertProblem(send(anonymous("/actuator/prometheus").GET().build()), 401, "unauthenticated");
    assertThat(send(anonymous("/actuator/health/readiness").GET().build()).statusCode()).isEqualTo(200);
  }

  @Test
  void anUnknownOrMalformedKeyIs401NeverForwarded() {
    int before = TRAINING.receivedCount();
    String unknown = dev.divergence.gateway.auth.ApiKeySecret.generate().text();
    for (String key : new String[] {unknown, "dvg_not-a-key", ADMIN_KEY.substring(0, ADMIN_KEY.length() - 1) + (ADMIN_KEY.endsWith("x") ? "y" : "x"), "dvg_0000000000000000_short"}) {
      assertProblem(withKey(key, anonymous("/api/v1/training/jobs").GET()), 401, "unauthenticated");
    }
    assertProblem(send(anonymous("/api/v1/training/jobs").header("Authorization", "Bearer " + unknown).GET().build()),
        401, "unauthenticated");
    assertThat(TRAINING.receivedCount()).as("nothing reached the service").isEqualTo(before);
  }

  @Test
  void rolesDecideReadsChangesAndAdministration() {
    String viewer = createKey("ci reader", "acme", List.of("viewer"), null, ADMIN_KEY).get("apiKey").asString();
    String submitter = createKey("ci submitter", "acme", List.of("submitter"), null, ADMIN_KEY).get("apiKey").asString();

    assertThat(withKey(viewer, anonymous("/api/v1/training/jobs").GET()).statusCode()).isEqualTo(200);
    assertProblem(withKey(viewer, anonymous("/api/v1/training/jobs").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{}"))), 403, "permission-denied");
    assertThat(withKey(submitter, anonymous("/api/v1/training/jobs").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{}"))).statusCode()).isEqualTo(201);
    assertProblem(withKey(submitter, anonymous("/api/v1/admin/api-keys").GET()), 403, "permission-denied");
    assertProblem(withKey(submitter, anonymous("/actuator/prometheus").GET()), 403, "permission-denied");
  }

  @Test
  void theServiceLearnsTheCallersTenantFromTheSignedIdentityWhateverTheCallerClaims() {
    JsonNode created = createKey("acme submitter", "acme", List.of("submitter"), null, ADMIN_KEY);
    String key = created.get("apiKey").asString();
    String forged = SERVICE_SIDE.sign(new CallerIdentity("key:forged", "umbrella", java.util.Set.of("admin")))
        .replace('a', 'b');
    HttpResponse<String> response = withKey(key, anonymous("/api/v1/training/jobs").GET()
        .header("X-Tenant-Id", "umbrella").header("X-Divergence-Identity", forged));
    assertThat(response.statusCode()).isEqualTo(200);
    var headers = TRAINING.lastReceived().headers();
    CallerIdentity seen = SERVICE_SIDE.verify(headers.getFirst("X-Divergence-Identity"));
    assertThat(seen.tenant()).isEqualTo("acme");
    assertThat(seen.subject()).isEqualTo("key:" + created.at("/key/keyId").asString());
    assertThat(seen.roles()).containsExactly("submitter");
    assertThat(headers.get("X-Divergence-Identity")).hasSize(1);
    assertThat(headers.getFirst("X-Tenant-Id")).isEqualTo("acme");
    assertThat(headers.getFirst("X-Api-Key")).isNull();
  }

  @Test
  void aRevokedKeyStopsAtOnceAndARotatedKeyIsReplaced() {
    JsonNode created = createKey("rotating", "acme", List.of("viewer"), null, ADMIN_KEY);
    String keyId = created.at("/key/keyId").asString();
    String first = created.get("apiKey").asString();
    assertThat(withKey(first, anonymous("/api/v1/training/jobs").GET()).statusCode()).isEqualTo(200);

    HttpResponse<String> rotated = withKey(ADMIN_KEY, anonymous("/api/v1/admin/api-keys/" + keyId + "/rotate")
        .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(201);
    String second = json(rotated).get("apiKey").asString();
    assertThat(json(rotated).at("/key/rotatedFrom").asString()).isEqualTo(keyId);
    assertProblem(withKey(first, anonymous("/api/v1/training/jobs").GET()), 401, "unauthenticated");
    assertThat(withKey(second, anonymous("/api/v1/training/jobs").GET()).statusCode()).isEqualTo(200);

    String secondId = json(rotated).at("/key/keyId").asString();
    HttpResponse<String> revoked = withKey(ADMIN_KEY, anonymous("/api/v1/admin/api-keys/" + secondId).DELETE());
    assertThat(revoked.statusCode()).isEqualTo(200);
    assertThat(json(revoked).get("active").asBoolean()).isFalse();
    assertProblem(withKey(second, anonymous("/api/v1/training/jobs").GET()), 401, "unauthenticated");

    HttpResponse<String> listed = withKey(ADMIN_KEY, anonymous("/api/v1/admin/api-keys?tenant=acme").GET());
    assertThat(listed.body()).contains(keyId).doesNotContain(first).doesNotContain(second);
  }

  @Test
  void anExpiredKeyIsRefused() throws Exception {
    String key = createKey("short-lived", "acme", List.of("viewer"), Instant.now().plusSeconds(2), ADMIN_KEY)
        .get("apiKey").asString();
    assertThat(withKey(key, anonymous("/api/v1/training/jobs").GET()).statusCode()).isEqualTo(200);
    Thread.sleep(2_500);
    assertProblem(withKey(key, anonymous("/api/v1/training/jobs").GET()), 401, "unauthenticated");
  }

  @Test
  void aTenantAdminManagesOnlyItsTenantsKeysAndCannotMakeAdmins() {
    String acmeAdmin = createKey("acme admin", "acme", List.of("tenant-admin"), null, ADMIN_KEY).get("apiKey").asString();
    String umbrellaKey = createKey("umbrella reader", "umbrella", List.of("viewer"), null, ADMIN_KEY).at("/key/keyId").asString();

    assertThat(createKey("acme bot", "acme", List.of("submitter"), null, acmeAdmin).at("/key/tenant").asString()).isEqualTo("acme");
    assertProblem(withKey(acmeAdmin, anonymous("/api/v1/admin/api-keys").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\",\"tenant\":\"umbrella\",\"roles\":[\"viewer\"]}"))),
        403, "permission-denied");
    assertProblem(withKey(acmeAdmin, anonymous("/api/v1/admin/api-keys").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\",\"roles\":[\"admin\"]}"))), 403, "permission-denied");
    // another tenant's key does not even exist for it
    assertProblem(withKey(acmeAdmin, anonymous("/api/v1/admin/api-keys/" + umbrellaKey).GET()), 404, "not-found");
    assertProblem(withKey(acmeAdmin, anonymous("/api/v1/admin/api-keys/" + umbrellaKey).DELETE()), 404, "not-found");
    assertThat(withKey(acmeAdmin, anonymous("/api/v1/admin/api-keys").GET()).body()).doesNotContain(umbrellaKey);
  }

  @Test
  void badKeyRequestsAre400NamingTheField() {
    Map<String, String> bodies = Map.of(
        "{\"roles\":[\"viewer\"]}", "name",
        "{\"name\":\"x\",\"roles\":[]}", "roles",
        "{\"name\":\"x\",\"roles\":[\"root\"]}", "roles",
        "{\"name\":\"x\",\"tenant\":\"Not Valid\",\"roles\":[\"viewer\"]}", "tenant",
        "{\"name\":\"x\",\"roles\":[\"viewer\"],\"expiresAt\":\"2020-01-01T00:00:00Z\"}", "expiresAt");
    bodies.forEach((body, field) -> {
      HttpResponse<String> response = withKey(ADMIN_KEY, anonymous("/api/v1/admin/api-keys")
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
      assertProblem(response, 400, "invalid-argument");
      assertThat(json(response).at("/errors/0/field").asString()).as(body).isEqualTo(field);
    });
  }

  @Test
  void aJwtFromTheConfiguredIssuerAuthenticatesWithItsTenantAndRoles() {
    Instant inAnHour = Instant.now().plusSeconds(3600);
    String token = ISSUER.token("alice@acme", Map.of("tenant", "acme", "roles", List.of("submitter", "unknown-role")), inAnHour);
    HttpResponse<String> response = send(anonymous("/api/v1/training/jobs").header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    CallerIdentity seen = SERVICE_SIDE.verify(TRAINING.lastReceived().headers().getFirst("X-Divergence-Identity"));
    assertThat(seen).isEqualTo(new CallerIdentity("jwt:alice@acme", "acme", java.util.Set.of("submitter")));
    assertThat(TRAINING.lastReceived().headers().getFirst("Authorization")).isNull();

    String viewerToken = ISSUER.token("bob@acme", Map.of("tenant", "acme", "roles", "viewer"), inAnHour);
    assertProblem(send(anonymous("/api/v1/training/jobs").header("Authorization", "Bearer " + viewerToken)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build()),
        403, "permission-denied");
  }

  @Test
  void aCallerOfSeveralTenantsChoosesOneWithTheTenantHeaderAndNoOther() {
    Instant inAnHour = Instant.now().plusSeconds(3600);
    String token = ISSUER.token("erin@acme", Map.of("tenant", "acme", "tenants", List.of("acme", "globex"),
        "roles", List.of("viewer")), inAnHour);
    // no choice: the tenant claim's tenant
    assertThat(send(anonymous("/api/v1/training/jobs").header("Authorization", "Bearer " + token).GET().build()).statusCode())
        .isEqualTo(200);
    assertThat(SERVICE_SIDE.verify(TRAINING.lastReceived().headers().getFirst("X-Divergence-Identity")).tenant()).isEqualTo("acme");
    // one of the listed tenants: the call is made for it
    HttpResponse<String> globex = send(anonymous("/api/v1/training/jobs").header("Authorization", "Bearer " + token)
        .header("X-Divergence-Tenant", "globex").GET().build());
    assertThat(globex.statusCode()).as(globex.body()).isEqualTo(200);
    CallerIdentity seen = SERVICE_SIDE.verify(TRAINING.lastReceived().headers().getFirst("X-Divergence-Identity"));
    assertThat(seen).isEqualTo(new CallerIdentity("jwt:erin@acme", "globex", java.util.Set.of("viewer")));
    assertThat(TRAINING.lastReceived().headers().getFirst("X-Tenant-Id")).isEqualTo("globex");

    // a tenant the token does not list, or an API key's other tenant: refused before any service sees it
    int before = TRAINING.receivedCount();
    HttpResponse<String> umbrella = send(anonymous("/api/v1/training/jobs").header("Authorization", "Bearer " + token)
        .header("X-Divergence-Tenant", "umbrella").GET().build());
    assertProblem(umbrella, 403, "permission-denied");
    assertThat(json(umbrella).get("detail").asString()).contains("X-Divergence-Tenant", "umbrella", "acme, globex");
    assertProblem(send(request("/api/v1/training/jobs").header("X-Divergence-Tenant", "acme").GET().build()),
        403, "permission-denied");
    assertThat(TRAINING.receivedCount()).isEqualTo(before);
    // an API key's own tenant may be named
    assertThat(send(request("/api/v1/training/jobs").header("X-Divergence-Tenant", "default").GET().build()).statusCode())
        .isEqualTo(200);

    // a tenants claim listing something that is no tenant id makes the token invalid
    String malformed = ISSUER.token("erin@acme", Map.of("tenant", "acme", "tenants", List.of("acme", "Not A Tenant"),
        "roles", List.of("viewer")), inAnHour);
    assertProblem(send(anonymous("/api/v1/training/jobs").header("Authorization", "Bearer " + malformed).GET().build()),
        401, "unauthenticated");
    // without a tenant claim the first listed tenant is the active one
    String listedOnly = ISSUER.token("frank", Map.of("tenants", "globex acme", "roles", "viewer"), inAnHour);
    assertThat(send(anonymous("/api/v1/training/jobs").header("Authorization", "Bearer " + listedOnly).GET().build()).statusCode())
        .isEqualTo(200);
    assertThat(SERVICE_SIDE.verify(TRAINING.lastReceived().headers().getFirst("X-Divergence-Identity")).tenant()).isEqualTo("globex");
  }

  @Test
  void expiredForeignMalformedOrRolelessJwtsAre401() {
    Map<String, Object> claims = Map.of("tenant", "acme", "roles", List.of("viewer"));
    List<String> refused = List.of(
        ISSUER.token("alice", claims, Instant.now().minusSeconds(600)),
        ISSUER.tokenFromAnotherIssuer("mallory", claims, Instant.now().plusSeconds(3600)),
        ISSUER.token("carol", Map.of("tenant", "acme"), Instant.now().plusSeconds(3600)),
        ISSUER.token("dave", Map.of("roles", List.of("viewer")), Instant.now().plusSeconds(3600)),
        "not.a.jwt",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwidGVuYW50IjoiYWNtZSIsInJvbGVzIjpbImFkbWluIl19.");
    int before = TRAINING.receivedCount();
    for (String token : refused) {
      assertProblem(send(anonymous("/api/v1/training/jobs").header("Authorization", "Bearer " + token).GET().build()),
          401, "unauthenticated");
    }
    assertThat(TRAINING.receivedCount()).isEqualTo(before);
  }
}
