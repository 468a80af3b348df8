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
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dashboard as a browser sees it over HTTP, for tests below the browser tests: it keeps the
 * session cookie, follows no redirect (tests read them), and posts forms the way a page does.
 */
final class FormBrowser {

  private static final Pattern CSRF = Pattern.compile("name=\"_csrf\"[^>]*?value=\"([^\"]+)\"");

  private final HttpClient client = HttpClient.newBuilder().cookieHandler(new CookieManager())
      .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
  private final IntSupplier port;

  /** {@code port}: the gateway's, read at each request (a test's server port is known only once it runs). */
  FormBrowser(IntSupplier port) {
    this.port = port;
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://localhost:" + port.getAsInt() + path)).timeout(Duration.ofSeconds(30));
  }

  HttpResponse<String> get(String path) throws Exception {
    return send(request(path).GET());
  }

  /** Posts {@code pairs} (name, value, name, value, ...) as a form. */
  HttpResponse<String> post(String path, String... pairs) throws Exception {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < pairs.length; i += 2) {
      body.append(body.isEmpty() ? "" : "&").append(pairs[i]).append('=')
          .append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
    }
    return send(request(path).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
  }

  HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The CSRF token a page's forms carry. */
  static String csrf(String html) {
    Matcher token = CSRF.matcher(html);
    assertThat(token.find()).as("a CSRF token in:\n%s", html).isTrue();
    return token.group(1);
  }
}
