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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The models page's load / unload forms and the system page at the HTTP level: a form goes to the
 * inference service's load / unload endpoint as the signed-in user, only with the session's CSRF token;
 * the system page names the services that are down and shows no number a service did not measure.
 */
class DashboardServingAndSystemTest extends GatewayTestBase {

  private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

  private final HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager())
      .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void unloadAndLoadFormsReachTheInferenceServiceAsTheSignedInUser() throws Exception {
    String token = signIn();
    for (String action : new String[] {"unload", "load"}) {
      HttpResponse<String> changed = browse(form("/ui/models/tiny-lm/" + action, "_csrf", token));
      assertThat(changed.statusCode()).as(changed.body()).isEqualTo(302);
      assertThat(changed.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/ui/models#serving"));
      FakeService.Received received = INFERENCE.lastReceived();
      assertThat(received.method()).isEqualTo("POST");
      assertThat(received.uri()).isEqualTo("/api/v1/inference/models/tiny-lm/" + action);
      CallerIdentity caller = SERVICE_SIDE.verify(received.headers().getFirst("X-Divergence-Identity"));
      assertThat(caller.roles()).contains("admin");
    }
  }

  @Test
  void anUnloadFormWithoutTheSessionsCsrfTokenNeverReachesTheService() throws Exception {
    signIn();
    int before = INFERENCE.receivedCount();
    HttpResponse<String> forged = browse(form("/ui/models/tiny-lm/unload"));
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(INFERENCE.receivedCount()).isEqualTo(before);
  }

  @Test
  void theSystemPageNamesTheDownServicesAndShowsNoUnmeasuredNumber() throws Exception {
    signIn();
    HttpResponse<String> system = browse(page("/ui/system").GET());
    assertThat(system.statusCode()).as(system.body()).isEqualTo(200);
    assertThat(system.body()).contains("The evaluation service is DOWN", "The merging service is DOWN");
    // the stand-in services answer every metric query without a measurement: shown as such, never as 0
    assertThat(system.body()).contains("id=\"queues\"", "not measured yet");
    assertThat(system.body()).doesNotContainPattern("class=\"figure\" data-value=\"[0-9]");
  }

  private String signIn() throws Exception {
    HttpResponse<String> signIn = browse(page("/ui/sign-in").GET());
    Matcher token = CSRF.matcher(signIn.body());
    assertThat(token.find()).as(signIn.body()).isTrue();
    HttpResponse<String> signedIn = browse(form("/ui/sign-in", "apiKey", ADMIN_KEY, "_csrf", token.group(1)));
    assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(302);
    // the token changes at sign-in; every page's sign-out form carries the session's
    HttpResponse<String> models = browse(page("/ui/models").GET());
    assertThat(models.statusCode()).as(models.body()).isEqualTo(200);
    Matcher sessionToken = CSRF.matcher(models.body());
    assertThat(sessionToken.find()).as(models.body()).isTrue();
    return sessionToken.group(1);
  }

  private HttpRequest.Builder page(String path) {
    return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(30));
  }

  private HttpRequest.Builder form(String path, String... pairs) {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < pairs.length; i += 2) {
      body.append(body.isEmpty() ? "" : "&").append(pairs[i]).append('=')
          .append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
    }
    return page(path).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
  }

  private HttpResponse<String> browse(HttpRequest.Builder request) throws Exception {
    return browser.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
