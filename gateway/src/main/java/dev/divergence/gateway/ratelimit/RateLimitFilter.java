package dev.divergence.gateway.ratelimit;

import dev.divergence.gateway.auth.CallerAuthentication;
import dev.divergence.platform.errors.ErrorKind;
import dev.divergence.platform.tenancy.CallerIdentity;
import dev.divergence.platform.web.BufferedBodyRequest;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Applies the caller's rate limits after authentication: 429 problem+json with {@code Retry-After}
 * when its bucket is empty, and the {@code RateLimit-Limit}, {@code RateLimit-Remaining},
 * {@code RateLimit-Reset} headers (IETF draft, seconds) on every limited answer. Generation costs the
 * tokens it asks for, so the filter reads {@code maxTokens} from the (small, JSON) request body and
 * hands the body on unchanged.
 */
public class RateLimitFilter extends OncePerRequestFilter {

  static final int DEFAULT_MAX_TOKENS = 64;
  // a generation request is a prompt and settings; more than this is not one (the service would refuse it too)
  static final int MAX_GENERATION_BODY = 1 << 20;
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RateLimitFilter.class);

  private final RateLimiter limiter;
  private final RateLimitProperties properties;
  private final MeterRegistry meters;

  public RateLimitFilter(RateLimiter limiter, RateLimitProperties properties, MeterRegistry meters) {
    this.limiter = limiter;
    this.properties = properties;
    this.meters = meters;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String path = request.getRequestURI();
    // key administration is rare and must stay possible for an admin whose other calls used up its buckets
    return !properties.enabled() || path.startsWith("/actuator/health") || path.startsWith("/api/v1/admin/");
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    Optional<CallerIdentity> caller = CallerAuthentication.current();
    if (caller.isEmpty()) {
      // not authenticated: the security chain answers 401 / 403 anyway, and anonymous health is not limited
      chain.doFilter(request, response);
      return;
    }
    RequestClass requestClass = RequestClass.of(request);
    HttpServletRequest forwarded = request;
    long cost = 1;
    if (requestClass == RequestClass.GENERATION) {
      byte[] body = request.getInputStream().readNBytes(MAX_GENERATION_BODY + 1);
      if (body.length > MAX_GENERATION_BODY) {
        problem(response, 413, "payload-too-large", "Payload too large",
            "a generation request has at most " + MAX_GENERATION_BODY + " bytes");
        return;
      }
      cost = requestedTokens(body);
      forwarded = new BufferedBodyRequest(request, body);
    }
    RateLimiter.Decision decision;
    try {
      decision = limiter.tryConsume(caller.get().subject(), requestClass, cost);
    } catch (RuntimeException e) {
      // as the gRPC entry point does: unchecked limits are not waved through, and the caller learns why
      log.error("could not read the rate limit bucket of {}", caller.get().subject(), e);
      problem(response, ErrorKind.UNAVAILABLE.httpStatus(), "unavailable", ErrorKind.UNAVAILABLE.title(),
          "the gateway cannot check rate limits at the moment; retry later");
      return;
    }
    response.setHeader("RateLimit-Limit", Long.toString(decision.limit()));
    response.setHeader("RateLimit-Remaining", Long.toString(Math.max(0, decision.remaining())));
    response.setHeader("RateLimit-Reset", Long.toString(ceilSeconds(decision.resetAfter())));
    response.setHeader("RateLimit-Policy", decision.limit() + ";w=" + properties.limitOf(requestClass).period().toSeconds()
        + ";name=\"" + requestClass.apiName() + "\"");
    if (!decision.allowed()) {
      meters.counter("divergence.gateway.rate_limited", "class", requestClass.apiName()).increment();
      response.setHeader("Retry-After", Long.toString(Math.max(1, ceilSeconds(decision.retryAfter()))));
      problem(response, ErrorKind.TOO_MANY_REQUESTS.httpStatus(), "too-many-requests", ErrorKind.TOO_MANY_REQUESTS.title(),
          "rate limit of " + requestClass.apiName() + " reached (" + decision.limit() + " per "
              + properties.limitOf(requestClass).period() + "); retry after " + Math.max(1, ceilSeconds(decision.retryAfter())) + " s");
      return;
    }
    chain.doFilter(forwarded, response);
  }

  /** The tokens a generation request asks for: its maxTokens (the service's default when unset or unreadable). */
  static long requestedTokens(byte[] body) {
    try {
      JsonNode maxTokens = JSON.readTree(body).path("maxTokens");
      return maxTokens.isIntegralNumber() && maxTokens.asLong() > 0 ? maxTokens.asLong() : DEFAULT_MAX_TOKENS;
    } catch (JacksonException e) {
      // the service answers the malformed body with a 400 naming it; the call still costs a default
      return DEFAULT_MAX_TOKENS;
    }
  }

  private static long ceilSeconds(Duration duration) {
    return (duration.toMillis() + 999) / 1000;
  }

  private static void problem(HttpServletResponse response, int status, String slug, String title, String detail)
      throws IOException {
    response.setStatus(status);
    response.setContentType("application/problem+json");
    response.setCharacterEncoding("UTF-8");
    var problem = JSON.createObjectNode();
    problem.put("type", ErrorKind.TYPE_BASE + slug);
    problem.put("title", title);
    problem.put("status", status);
    problem.put("detail", detail);
    JSON.writeValue(response.getOutputStream(), problem);
  }
}
