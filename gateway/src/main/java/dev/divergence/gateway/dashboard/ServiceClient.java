package dev.divergence.gateway.dashboard;

import dev.divergence.gateway.GatewayProperties;
import dev.divergence.gateway.auth.CallerAuthentication;
import dev.divergence.platform.tenancy.CallerIdentity;
import dev.divergence.platform.tenancy.IdentityPolicy;
import dev.divergence.platform.tenancy.IdentityTokens;
import dev.divergence.platform.tenancy.TenantContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The dashboard's way to the services: their public REST APIs, called as the signed-in user (the
 * gateway's signed identity token, as every forwarded API call carries), so a page shows exactly what
 * that user's API calls would.
 */
@Component
public class ServiceClient {

  /** A service's answer: its status and JSON body (a problem+json body for 4xx and 5xx). */
  public record Answer(int status, JsonNode body) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }

    /** The elements of the body's array {@code field} (none when it is missing), for a page to list. */
    public List<JsonNode> items(String field) {
      return elements(body.path(field));
    }

    /** The elements of the body itself when it is an array. */
    public List<JsonNode> items() {
      return elements(body);
    }
  }

  /** The elements of a JSON array as a list (empty for anything else). */
  static List<JsonNode> elements(JsonNode array) {
    List<JsonNode> out = new java.util.ArrayList<>();
    array.forEach(out::add);
    return out;
  }

  /** The service gave no answer at all (down, refusing connections, timing out). */
  public static final class ServiceDownException extends RuntimeException {
    private final String service;

    ServiceDownException(String service, Throwable cause) {
      super("the " + service + " service is unavailable: " + cause.getClass().getSimpleName()
          + (cause.getMessage() == null ? "" : " " + cause.getMessage()), cause);
      this.service = service;
    }

    public String service() {
      return service;
    }
  }

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final GatewayProperties properties;
  private final IdentityTokens tokens;
  private final HttpClient http;

  public ServiceClient(GatewayProperties properties, IdentityPolicy identity) {
    this.properties = properties;
    this.tokens = identity.tokens().orElseThrow(() -> new IllegalStateException(
        "the dashboard calls the services as its users: set divergence.security.identity.secret"));
    this.http = HttpClient.newBuilder().connectTimeout(properties.connectTimeout()).build();
  }

  public Answer get(String service, String pathAndQuery) {
    return send(service, request(service, pathAndQuery).GET());
  }

  public Answer post(String service, String path, String jsonBody) {
    return send(service, request(service, path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(jsonBody == null ? "" : jsonBody)));
  }

  /** A body that is not JSON (a JSON Lines dataset, say), sent as it is. */
  public Answer post(String service, String path, String contentType, byte[] body) {
    return send(service, request(service, path).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** A server-sent event stream, read as it arrives; the caller closes it. */
  public InputStream stream(String service, String path) {
    HttpRequest request = request(service, path).header("Accept", "text/event-stream").timeout(Duration.ofHours(12)).GET().build();
    try {
      HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() != 200) {
        response.body().close();
        throw new IllegalStateException(service + " answered " + response.statusCode() + " to " + path);
      }
      return response.body();
    } catch (IOException e) {
      throw new ServiceDownException(service, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServiceDownException(service, e);
    }
  }

  /** The service's own readiness, as its probe sees it. */
  public Answer health(String service) {
    return send(service, HttpRequest.newBuilder(base(service).resolve("/actuator/health/readiness"))
        .timeout(Duration.ofSeconds(5)).GET());
  }

  /**
   * One of the service's actuator metrics ({@code /actuator/metrics/{name}}), narrowed to the meters with
   * every given tag ({@code "key:value"}); 404 when the service has no such meter (yet).
   */
  public Answer metric(String service, String name, String... tags) {
    StringBuilder path = new StringBuilder("/actuator/metrics/").append(name);
    for (int i = 0; i < tags.length; i++) {
      path.append(i == 0 ? '?' : '&').append("tag=").append(java.net.URLEncoder.encode(tags[i], java.nio.charset.StandardCharsets.UTF_8));
    }
    return send(service, HttpRequest.newBuilder(base(service).resolve(path.toString())).timeout(Duration.ofSeconds(5)).GET());
  }

  public java.util.Set<String> services() {
    return properties.services().keySet();
  }

  private HttpRequest.Builder request(String service, String pathAndQuery) {
    CallerIdentity caller = CallerAuthentication.current().orElseThrow(() ->
        new IllegalStateException("the dashboard calls services only for a signed-in user"));
    return HttpRequest.newBuilder(base(service).resolve(pathAndQuery))
        .timeout(properties.readTimeout())
        .header(IdentityTokens.HEADER, tokens.sign(caller))
        .header(TenantContext.HEADER, caller.tenant())
        .header("Accept", "application/json, application/problem+json");
  }

  private URI base(String service) {
    GatewayProperties.Service target = properties.services().get(service);
    if (target == null) {
      throw new IllegalArgumentException("no service named " + service);
    }
    return target.uri();
  }

  private Answer send(String service, HttpRequest.Builder request) {
    try {
      HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      JsonNode body = response.body().length == 0 ? JSON.nullNode() : parse(response.body());
      return new Answer(response.statusCode(), body);
    } catch (IOException e) {
      throw new ServiceDownException(service, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServiceDownException(service, e);
    }
  }

  private static JsonNode parse(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (RuntimeException notJson) {
      return JSON.getNodeFactory().textNode(new String(body, java.nio.charset.StandardCharsets.UTF_8));
    }
  }
}
