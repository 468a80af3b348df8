package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's security at the HTTP level: pages need a signed-in session, the sign-in form takes
 * an API key, forms without the session's CSRF token are refused, and pages carry a strict content
 * security policy. (DashboardIT drives the pages themselves in a browser against the real platform.)
 */
class DashboardSecurityTest extends GatewayTestBase {

  private final FormBrowser browser = new FormBrowser(() -> port);

  @Test
  void pagesRedirectToSignInAndCarryAStrictContentSecurityPolicy() throws Exception {
    HttpResponse<String> jobs = browser.get("/ui/jobs");
    assertThat(jobs.statusCode()).isEqualTo(302);
    assertThat(jobs.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/ui/sign-in"));

    HttpResponse<String> signIn = browser.get("/ui/sign-in");
    assertThat(signIn.statusCode()).isEqualTo(200);
    assertThat(signIn.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
        assertThat(csp).contains("script-src 'self'", "frame-ancestors 'none'").doesNotContain("unsafe-inline", "unsafe-eval"));
  }

  @Test
  void aWrongKeyIsRefusedAndTheAdminKeySignsIn() throws Exception {
    String token = csrfToken();
    HttpResponse<String> wrong = browser.post("/ui/sign-in", "apiKey", ApiKeyGenerator.another(), "_csrf", token);
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("unknown, revoked or expired");

    HttpResponse<String> right = browser.post("/ui/sign-in", "apiKey", ADMIN_KEY, "_csrf", token);
    assertThat(right.statusCode()).as(right.body()).isEqualTo(302);
    assertThat(right.headers().allValues("Set-Cookie")).anySatisfy(cookie ->
        assertThat(cookie).startsWith("JSESSIONID=").containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Lax"));
    assertThat(right.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/ui/jobs"));
  }

  @Test
  void aFormWithoutTheSessionsCsrfTokenIsRefused() throws Exception {
    csrfToken();
    HttpResponse<String> forged = browser.post("/ui/sign-in", "apiKey", ADMIN_KEY);
    assertThat(forged.statusCode()).isEqualTo(403);
  }

  @Test
  void aMultipartFormCarriesItsCsrfTokenAndFieldsToTheController() throws Exception {
    String token = csrfToken();
    assertThat(browser.post("/ui/sign-in", "apiKey", ADMIN_KEY, "_csrf", token).statusCode()).isEqualTo(302);
    String boundary = "----dashboard-test";
    String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + token + "\r\n"
        + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nuploaded\r\n"
        + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ntext\r\n"
        + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.jsonl\"\r\n"
        + "Content-Type: application/x-ndjson\r\n\r\n{\"text\":\"a\"}\n\r\n--" + boundary + "--\r\n";
    int before = TRAINING.receivedCount();
    HttpResponse<String> upload = browser.send(browser.request("/ui/datasets").header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    assertThat(upload.statusCode()).as(upload.body()).isEqualTo(200);
    assertThat(TRAINING.receivedCount()).as("the file went to the training service").isGreaterThan(before);
  }

  private String csrfToken() throws Exception {
    return FormBrowser.csrf(browser.get("/ui/sign-in").body());
  }

  /** A well-formed key that was never issued. */
  private static final class ApiKeyGenerator {
    static String another() {
      return dev.divergence.gateway.auth.ApiKeySecret.generate().text();
    }
  }
}
