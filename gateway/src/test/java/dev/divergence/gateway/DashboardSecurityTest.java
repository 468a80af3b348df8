package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

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
 * The dashboard's security at the HTTP level: pages need a signed-in session, the sign-in form takes
 * an API key, forms without the session's CSRF token are refused, and pages carry a strict content
 * security policy. (DashboardIT drives the pages themselves in a browser against the real platform.)
 */
class DashboardSecurityTest extends GatewayTestBase {

  private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

  private final HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager())
      .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void pagesRedirectToSignInAndCarryAStrictContentSecurityPolicy() throws Exception {
    HttpResponse<String> jobs = browse(page("/ui/jobs").GET());
    assertThat(jobs.statusCode()).isEqualTo(302);
    assertThat(jobs.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/ui/sign-in"));

    HttpResponse<String> signIn = browse(page("/ui/sign-in").GET());
    assertThat(signIn.statusCode()).isEqualTo(200);
    assertThat(signIn.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
        assertThat(csp).contains("script-src 'self'", "frame-ancestors 'none'").doesNotContain("unsafe-inline", "unsafe-eval"));
  }

  @Test
  void aWrongKeyIsRefusedAndTheAdminKeySignsIn() throws Exception {
    String token = csrfToken();
    HttpResponse<String> wrong = browse(form("/ui/sign-in", "apiKey", ApiKeyGenerator.another(), "_csrf", token));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("unknown, revoked or expired");

    HttpResponse<String> right = browse(form("/ui/sign-in", "apiKey", ADMIN_KEY, "_csrf", token));
    assertThat(right.statusCode()).as(right.body()).isEqualTo(302);
    assertThat(right.headers().allValues("Set-Cookie")).anySatisfy(cookie ->
        assertThat(cookie).startsWith("JSESSIONID=").containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Lax"));
    assertThat(right.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/ui/jobs"));
  }

  @Test
  void aFormWithoutTheSessionsCsrfTokenIsRefused() throws Exception {
    csrfToken();
    HttpResponse<String> forged = browse(form("/ui/sign-in", "apiKey", ADMIN_KEY));
    assertThat(forged.statusCode()).isEqualTo(403);
  }

  @Test
  void aMultipartFormCarriesItsCsrfTokenAndFieldsToTheController() throws Exception {
    String token = csrfToken();
    assertThat(browse(form("/ui/sign-in", "apiKey", ADMIN_KEY, "_csrf", token)).statusCode()).isEqualTo(302);
    String boundary = "----dashboard-test";
    String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + token + "\r\n"
        + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nuploaded\r\n"
        + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ntext\r\n"
        + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.jsonl\"\r\n"
        + "Content-Type: application/x-ndjson\r\n\r\n{\"text\":\"a\"}\n\r\n--" + boundary + "--\r\n";
    int before = TRAINING.receivedCount();
    HttpResponse<String> upload = browse(page("/ui/datasets").header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    assertThat(upload.statusCode()).as(upload.body()).isEqualTo(200);
    assertThat(TRAINING.receivedCount()).as("the file went to the training service").isGreaterThan(before);
  }

  private String csrfToken() throws Exception {
    HttpResponse<String> signIn = browse(page("/ui/sign-in").GET());
    Matcher token = CSRF.matcher(signIn.body());
    assertThat(token.find()).as(signIn.body()).isTrue();
    return token.group(1);
  }

  private HttpRequest.Builder page(String path) {
    return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(10));
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

  /** A well-formed key that was never issued. */
  private static final class ApiKeyGenerator {
    static String another() {
      return dev.divergence.gateway.auth.ApiKeySecret.generate().text();
    }
  }
}
