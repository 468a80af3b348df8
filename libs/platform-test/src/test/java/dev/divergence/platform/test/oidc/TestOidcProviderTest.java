package dev.divergence.platform.test.oidc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The test provider behaves like a provider a client discovers: its discovery document names its own
 * issuer and endpoints, its JWK set holds one key, an unauthenticated browser is sent to its login
 * form (only for a request with a PKCE challenge: without one the client is sent back with
 * invalid_request); stopped, it refuses connections; restarted, it is back on the same port with the same key.
 */
class TestOidcProviderTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void discoveryLoginStopAndRestart() throws Exception {
    try (TestOidcProvider provider = TestOidcProvider.start("client", "secret", List.of("/callback"),
        List.of(new TestOidcProvider.Account("alice", "pw", Map.of("tenant", "acme"))))) {
      JsonNode discovery = getJson(provider.issuer() + "/.well-known/openid-configuration");
      assertThat(discovery.get("issuer").asString()).isEqualTo(provider.issuer());
      assertThat(discovery.get("authorization_endpoint").asString()).isEqualTo(provider.issuer() + "/oauth2/authorize");
      assertThat(discovery.get("code_challenge_methods_supported").toString()).contains("S256");
      String keys = getJson(provider.issuer() + "/oauth2/jwks").toString();
      assertThat(JSON.readTree(keys).get("keys")).hasSize(1);

      HttpResponse<String> authorize = http.send(HttpRequest.newBuilder(URI.create(provider.issuer()
          + "/oauth2/authorize?response_type=code&client_id=client&scope=openid&redirect_uri=http://127.0.0.1:1234/callback&state=s"
          + "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"))
          .header("Accept", "text/html").GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(authorize.statusCode()).isEqualTo(302);
      assertThat(URI.create(provider.issuer() + "/").resolve(authorize.headers().firstValue("Location").orElseThrow()))
          .isEqualTo(URI.create(provider.issuer() + "/login"));
      HttpResponse<String> withoutPkce = http.send(HttpRequest.newBuilder(URI.create(provider.issuer()
          + "/oauth2/authorize?response_type=code&client_id=client&scope=openid&redirect_uri=http://127.0.0.1:1234/callback&state=s"))
          .header("Accept", "text/html").GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(withoutPkce.headers().firstValue("Location")).hasValueSatisfying(location ->
          assertThat(location).startsWith("http://127.0.0.1:1234/callback?error=invalid_request").contains("code_challenge"));

      provider.stop();
      assertThatThrownBy(() -> getJson(provider.issuer() + "/oauth2/jwks")).isInstanceOf(IOException.class);
      provider.restart();
      assertThat(getJson(provider.issuer() + "/oauth2/jwks").toString()).isEqualTo(keys);
    }
  }

  private JsonNode getJson(String url) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }
}
