package dev.divergence.gateway.auth;

import dev.divergence.platform.errors.ErrorKind;
import dev.divergence.platform.web.RequestIdFilter;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import org.slf4j.MDC;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import tools.jackson.databind.json.JsonMapper;

/** 401 and 403 from the security filters as problem+json, like every other error of the platform. */
final class ProblemResponses {

  private static final JsonMapper JSON = JsonMapper.builder()
      .addMixIn(ProblemDetail.class, org.springframework.http.converter.json.ProblemDetailJacksonMixin.class).build();

  private ProblemResponses() {}

  static AuthenticationEntryPoint unauthenticated() {
    return (request, response, failure) -> {
      // RFC 6750: tell the client which scheme to use
      response.setHeader("WWW-Authenticate", "Bearer realm=\"divergence\"");
      write(response, ErrorKind.UNAUTHENTICATED, failure.getMessage() == null || failure instanceof
          org.springframework.security.authentication.InsufficientAuthenticationException
          ? "credentials required: an API key (X-Api-Key or Authorization: Bearer dvg_...) or a bearer JWT"
          : failure.getMessage());
    };
  }

  static AccessDeniedHandler forbidden() {
    return (request, response, denied) -> write(response, ErrorKind.PERMISSION_DENIED,
        "the caller's roles do not allow " + request.getMethod() + " " + request.getRequestURI());
  }

  static void write(HttpServletResponse response, ErrorKind kind, String detail) throws IOException {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(kind.httpStatus()), detail);
    problem.setType(URI.create(kind.typeUri()));
    problem.setTitle(kind.title());
    String requestId = MDC.get(RequestIdFilter.MDC_KEY);
    if (requestId != null) {
      problem.setProperty("requestId", requestId);
    }
    response.setStatus(kind.httpStatus());
    response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
    response.setCharacterEncoding("UTF-8");
    JSON.writeValue(response.getOutputStream(), problem);
  }
}
