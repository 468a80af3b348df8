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
import org.slf4j.MDC;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Binds {@link TenantContext} for the request; a malformed tenant header is a 400 naming the header.
 * The filter runs before Spring MVC, so it writes the problem itself, with Jackson (the rejected value
 * is the caller's text and must be escaped).
 */
public class TenantFilter extends OncePerRequestFilter {

  // the mix-in Spring's own JSON converter applies: the extra properties ("errors") at the top level
  private static final JsonMapper JSON =
      JsonMapper.builder().addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class).build();

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String tenant = request.getHeader(TenantContext.HEADER);
    if (tenant != null && !TenantContext.isValid(tenant)) {
      FieldViolation violation = new FieldViolation(TenantContext.HEADER,
          "must match [a-z0-9][a-z0-9-]{0,62}, got '" + tenant + "'");
      response.setStatus(HttpStatus.BAD_REQUEST.value());
      response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
      response.setCharacterEncoding("UTF-8");
      JSON.writeValue(response.getOutputStream(), problemOf(violation));
      return;
    }
    TenantContext.set(tenant == null ? TenantContext.DEFAULT_TENANT : tenant);
    try {
      chain.doFilter(request, response);
    } finally {
      TenantContext.clear();
    }
  }

  static ProblemDetail problemOf(FieldViolation violation) {
    ErrorKind kind = ErrorKind.INVALID_ARGUMENT;
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(
        HttpStatus.valueOf(kind.httpStatus()), violation.field() + ": " + violation.message());
    problem.setType(URI.create(kind.typeUri()));
    problem.setTitle(kind.title());
    problem.setProperty("errors", List.of(Map.of("field", violation.field(), "message", violation.message())));
    String requestId = MDC.get(RequestIdFilter.MDC_KEY);
    if (requestId != null) {
      problem.setProperty("requestId", requestId);
    }
    return problem;
  }
}
