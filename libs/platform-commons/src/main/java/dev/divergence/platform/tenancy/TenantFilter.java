package dev.divergence.platform.tenancy;

import dev.divergence.platform.errors.ErrorKind;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.web.RequestIdFilter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Binds {@link TenantContext} for the request from the gateway's signed identity token
 * ({@link IdentityTokens#HEADER}); a call without a valid one is a 401, so a caller that goes around
 * the gateway gets nothing. Health, metrics and API documentation stay open: they hold no tenant's
 * data and probes and the gateway's documentation page read them. With {@code trust-headers} (a
 * service's own tests) a plain {@code X-Tenant-Id} is taken instead; a malformed one is a 400 naming
 * the header. The filter runs before Spring MVC, so it writes the problem itself, with Jackson (the
 * rejected value is the caller's text and must be escaped).
 */
public class TenantFilter extends OncePerRequestFilter {

  private static final Logger log = LoggerFactory.getLogger(TenantFilter.class);
  // the mix-in Spring's own JSON converter applies: the extra properties ("errors") at the top level
  private static final JsonMapper JSON =
      JsonMapper.builder().addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class).build();
  private static final List<String> OPEN_PREFIXES = List.of("/actuator/", "/v3/api-docs");

  private final IdentityPolicy policy;

  public TenantFilter(IdentityPolicy policy) {
    this.policy = policy;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    switch (policy.mode()) {
      case ISSUE -> chain.doFilter(request, response);
      case TRUST_HEADERS -> trustingTheHeader(request, response, chain);
      case VERIFY -> verifying(request, response, chain);
    }
  }

  private void verifying(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (isOpen(request)) {
      chain.doFilter(request, response);
      return;
    }
    CallerIdentity caller;
    try {
      caller = policy.tokens().orElseThrow().verify(request.getHeader(IdentityTokens.HEADER));
    } catch (InvalidIdentityException e) {
      log.warn("rejected {} {}: {}", request.getMethod(), request.getRequestURI(), e.getMessage());
      writeProblem(response, ErrorKind.UNAUTHENTICATED, e.getMessage()
          + ": services answer only calls the gateway forwards (" + IdentityTokens.HEADER + ")", null);
      return;
    }
    TenantContext.bind(caller);
    try {
      chain.doFilter(request, response);
    } finally {
      TenantContext.clear();
    }
  }

  private static boolean isOpen(HttpServletRequest request) {
    String path = request.getRequestURI();
    return path.equals("/actuator") || OPEN_PREFIXES.stream().anyMatch(path::startsWith);
  }

  private void trustingTheHeader(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String tenant = request.getHeader(TenantContext.HEADER);
    if (tenant != null && !TenantContext.isValid(tenant)) {
      FieldViolation violation = new FieldViolation(TenantContext.HEADER,
          "must match [a-z0-9][a-z0-9-]{0,62}, got '" + tenant + "'");
      writeProblem(response, ErrorKind.INVALID_ARGUMENT, violation.field() + ": " + violation.message(), violation);
      return;
    }
    TenantContext.set(tenant == null ? TenantContext.DEFAULT_TENANT : tenant);
    try {
      chain.doFilter(request, response);
    } finally {
      TenantContext.clear();
    }
  }

  private static void writeProblem(HttpServletResponse response, ErrorKind kind, String detail, FieldViolation violation)
      throws IOException {
    response.setStatus(kind.httpStatus());
    response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
    response.setCharacterEncoding("UTF-8");
    JSON.writeValue(response.getOutputStream(), problemOf(kind, detail, violation));
  }

  static ProblemDetail problemOf(FieldViolation violation) {
    return problemOf(ErrorKind.INVALID_ARGUMENT, violation.field() + ": " + violation.message(), violation);
  }

  static ProblemDetail problemOf(ErrorKind kind, String detail, FieldViolation violation) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(kind.httpStatus()), detail);
    problem.setType(URI.create(kind.typeUri()));
    problem.setTitle(kind.title());
    if (violation != null) {
      problem.setProperty("errors", List.of(Map.of("field", violation.field(), "message", violation.message())));
    }
    String requestId = MDC.get(RequestIdFilter.MDC_KEY);
    if (requestId != null) {
      problem.setProperty("requestId", requestId);
    }
    return problem;
  }
}
