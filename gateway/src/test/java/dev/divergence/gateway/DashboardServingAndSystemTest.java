package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.tenancy.CallerIdentity;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * The models page's load / unload forms and the system page at the HTTP level: a form goes to the
 * inference service's load / unload endpoint as the signed-in user, only with the session's CSRF token;
 * the system page names the services that are down and shows no number a service did not measure.
 */
class DashboardServingAndSystemTest extends GatewayTestBase {

  private final FormBrowser browser = new FormBrowser(() -> port);

  @Test
  void unloadAndLoadFormsReachTheInferenceServiceAsTheSignedInUser() throws Exception {
    String token = signIn();
    for (String action : new String[] {"unload", "load"}) {
      HttpResponse<String> changed = browser.post("/ui/models/tiny-lm/" + action, "_csrf", token);
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
    HttpResponse<String> forged = browser.post("/ui/models/tiny-lm/unload");
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(INFERENCE.receivedCount()).isEqualTo(before);
  }

  @Test
  void theSystemPageNamesTheDownServicesAndShowsNoUnmeasuredNumber() throws Exception {
    signIn();
    HttpResponse<String> system = browser.get("/ui/system");
    assertThat(system.statusCode()).as(system.body()).isEqualTo(200);
    assertThat(system.body()).contains("The evaluation service is DOWN", "The merging service is DOWN");
    // the stand-in services answer every metric query without a measurement: shown as such, never as 0
    assertThat(system.body()).contains("id=\"queues\"", "not measured yet");
    assertThat(system.body()).doesNotContainPattern("class=\"figure\" data-value=\"[0-9]");
  }

  private String signIn() throws Exception {
    String token = FormBrowser.csrf(browser.get("/ui/sign-in").body());
    HttpResponse<String> signedIn = browser.post("/ui/sign-in", "apiKey", ADMIN_KEY, "_csrf", token);
    assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(302);
    // the token changes at sign-in; every page's sign-out form carries the session's
    HttpResponse<String> models = browser.get("/ui/models");
    assertThat(models.statusCode()).as(models.body()).isEqualTo(200);
    return FormBrowser.csrf(models.body());
  }
}
