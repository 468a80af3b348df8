package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.tenancy.CallerIdentity;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Signing in to the dashboard through the OIDC provider, over HTTP as a browser would: the gateway
 * sends the browser to a real provider (Spring Authorization Server, the outer edge of this test)
 * with PKCE, the user signs in on the provider's own form, the provider redirects back with a code,
 * and the gateway's session then calls the services as the user the ID token's claims name (tenant
 * and roles by the API's rules). A user of several tenants switches between them, and only between
 * them; a provider that is down, or an account without a platform role, is a message on the sign-in
 * page. The gateway is reached at 127.0.0.1, the provider at localhost, so their cookies stay apart.
 */
class DashboardOidcSignInTest extends GatewayTestBase {


  private final HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager())
      .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void aUserSignsInAtTheProviderAndTheDashboardCallsTheServicesAsThatUserInTheChosenTenant() throws Exception {
    HttpResponse<String> signInPage = browse(gateway("/ui/sign-in"));
    assertThat(signInPage.body()).contains("Sign in with " + OIDC_PROVIDER_NAME);

    String callback = signInAtProvider("alice", "alice-password");
    HttpResponse<String> signedIn = browse(URI.create(callback));
    assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(302);
    assertThat(signedIn.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/ui/jobs"));

    HttpResponse<String> jobs = browse(gateway("/ui/jobs"));
    assertThat(jobs.statusCode()).as(jobs.body()).isEqualTo(200);
    assertThat(jobs.body()).contains("id=\"tenant\">acme<", "jwt:alice", "id=\"tenantSelect\"", "value=\"globex\"");
    assertThat(lastCallerSeenByTraining()).isEqualTo(new CallerIdentity("jwt:alice", "acme", Set.of("submitter")));

    // switching: every later call is made for globex
    String token = FormBrowser.csrf(jobs.body());
    HttpResponse<String> switched = browse(form("/ui/tenant", "tenant", "globex", "_csrf", token));
    assertThat(switched.statusCode()).as(switched.body()).isEqualTo(302);
    HttpResponse<String> afterSwitch = browse(gateway("/ui/jobs"));
    assertThat(afterSwitch.body()).contains("id=\"tenant\">globex<");
    assertThat(lastCallerSeenByTraining()).isEqualTo(new CallerIdentity("jwt:alice", "globex", Set.of("submitter")));

    // a tenant alice is not a member of: refused with a message, the session stays in globex
    HttpResponse<String> refused = browse(form("/ui/tenant", "tenant", "umbrella", "_csrf", FormBrowser.csrf(afterSwitch.body())));
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.body()).contains("You cannot switch to tenant &#39;umbrella&#39;", "acme, globex").doesNotContain("Exception");
    browse(gateway("/ui/jobs"));
    assertThat(lastCallerSeenByTraining().tenant()).isEqualTo("globex");

    // without the session's CSRF token no switch happens
    assertThat(browse(form("/ui/tenant", "tenant", "acme")).statusCode()).isEqualTo(403);
    browse(gateway("/ui/jobs"));
    assertThat(lastCallerSeenByTraining().tenant()).isEqualTo("globex");
  }

  @Test
  void theFlowUsesPkceAndAnApiKeyUserHasNoTenantSelector() throws Exception {
    HttpResponse<String> start = browse(gateway("/ui/sign-in/oidc"));
    assertThat(start.statusCode()).isEqualTo(302);
    HttpResponse<String> toProvider = browse(resolve(gateway("/"), start.headers().firstValue("Location").orElseThrow()));
    String authorize = toProvider.headers().firstValue("Location").orElseThrow();
    assertThat(authorize).startsWith(OIDC_PROVIDER.issuer() + "/oauth2/authorize?")
        .contains("code_challenge=", "code_challenge_method=S256", "scope=openid", "client_id=divergence-dashboard");

    HttpResponse<String> keyUser = browse(form("/ui/sign-in", "apiKey", ADMIN_KEY, "_csrf", FormBrowser.csrf(browse(gateway("/ui/sign-in")).body())));
    assertThat(keyUser.statusCode()).isEqualTo(302);
    HttpResponse<String> jobs = browse(gateway("/ui/jobs"));
    assertThat(jobs.body()).contains("id=\"tenant\">default<").doesNotContain("tenantSelect");
  }

  @Test
  void anAccountWithoutAPlatformRoleIsToldWhy() throws Exception {
    HttpResponse<String> back = browse(URI.create(signInAtProvider("bob", "bob-password")));
    assertThat(back.statusCode()).isEqualTo(302);
    assertThat(back.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/ui/sign-in?failed"));
    HttpResponse<String> page = browse(gateway("/ui/sign-in?failed"));
    assertThat(page.body()).contains("Signing in through " + OIDC_PROVIDER_NAME + " failed", "has no access to Divergence",
        "grants none of").doesNotContain("Exception", "at org.");
    assertThat(browse(gateway("/ui/jobs")).statusCode()).as("not signed in").isEqualTo(302);
  }

  @Test
  void aProviderThatIsDownIsAMessageNotAStackTrace() throws Exception {
    String callback = signInAtProvider("alice", "alice-password");
    OIDC_PROVIDER.stop();
    try {
      // down before the flow starts: the button's target says so
      HttpResponse<String> start = browse(gateway("/ui/sign-in/oidc"));
      assertThat(start.statusCode()).isEqualTo(503);
      assertThat(start.body()).contains("The sign-in provider " + OIDC_PROVIDER_NAME, "does not answer", "API key")
          .doesNotContain("Exception", "at org.");
      // down between the provider's redirect and the code's exchange at its token endpoint
      HttpResponse<String> back = browse(URI.create(callback));
      assertThat(back.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/ui/sign-in?failed"));
      HttpResponse<String> page = browse(gateway("/ui/sign-in?failed"));
      assertThat(page.body()).contains("Signing in through " + OIDC_PROVIDER_NAME + " failed").doesNotContain("at org.");
      assertThat(browse(gateway("/ui/jobs")).statusCode()).as("not signed in").isEqualTo(302);
    } finally {
      OIDC_PROVIDER.restart();
    }
  }

  /**
   * Drives the flow from the dashboard's button to the provider's redirect back, signing in on the
   * provider's form; returns the callback URL (with the code) the provider sent the browser to.
   */
  private String signInAtProvider(String username, String password) throws Exception {
    URI next = gateway("/ui/sign-in/oidc");
    for (int hop = 0; hop < 6; hop++) {
      HttpResponse<String> response = browse(next);
      assertThat(response.statusCode()).as(next + ": " + response.body()).isEqualTo(302);
      next = resolve(next, response.headers().firstValue("Location").orElseThrow());
      if (next.getPath().equals("/login")) {
        break;
      }
    }
    assertThat(next.getPath()).isEqualTo("/login");
    HttpResponse<String> login = browse(next);
    HttpResponse<String> posted = browser.send(HttpRequest.newBuilder(next)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(encode("username", username, "password", password, "_csrf", FormBrowser.csrf(login.body()))))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(posted.statusCode()).as(posted.body()).isEqualTo(302);
    URI authorize = resolve(next, posted.headers().firstValue("Location").orElseThrow());
    HttpResponse<String> redirected = browse(authorize);
    assertThat(redirected.statusCode()).as(redirected.body()).isEqualTo(302);
    String callback = redirected.headers().firstValue("Location").orElseThrow();
    assertThat(callback).startsWith("http://127.0.0.1:" + port + "/ui/oauth2/code/oidc?").contains("code=", "state=");
    return callback;
  }

  private CallerIdentity lastCallerSeenByTraining() {
    return SERVICE_SIDE.verify(TRAINING.lastReceived().headers().getFirst("X-Divergence-Identity"));
  }

  private URI gateway(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private static URI resolve(URI base, String location) {
    return base.resolve(location);
  }

  private HttpResponse<String> browse(URI uri) throws Exception {
    return browser.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).header("Accept", "text/html").GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> browse(HttpRequest request) throws Exception {
    return browser.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest form(String path, String... pairs) {
    return HttpRequest.newBuilder(gateway(path)).timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(encode(pairs))).build();
  }

  private static String encode(String... pairs) {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < pairs.length; i += 2) {
      body.append(body.isEmpty() ? "" : "&").append(pairs[i]).append('=').append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
    }
    return body.toString();
  }
}
