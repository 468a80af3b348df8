package dev.divergence.merging.api;

import dev.divergence.merging.models.BuiltInModelNotReadyException;
import dev.divergence.merging.models.BuiltInState;
import dev.divergence.platform.errors.ErrorKind;
import dev.divergence.platform.web.RequestIdFilter;
import java.net.URI;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * A built-in model still being prepared answers 503 problem+json with a Retry-After header, the
 * model's name (property {@code model}) and its state; ahead of the platform's generic problem
 * advice, which has no Retry-After.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
public class BuiltInModelNotReadyAdvice {

  @ExceptionHandler(BuiltInModelNotReadyException.class)
  public ResponseEntity<ProblemDetail> notReady(BuiltInModelNotReadyException error) {
    ErrorKind kind = error.kind();
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(kind.httpStatus()), error.getMessage());
    problem.setType(URI.create(kind.typeUri()));
    problem.setTitle(kind.title());
    problem.setProperty("model", error.model());
    problem.setProperty("state", BuiltInState.PREPARING.name());
    String requestId = MDC.get(RequestIdFilter.MDC_KEY);
    if (requestId != null) {
      problem.setProperty("requestId", requestId);
    }
    return ResponseEntity.status(kind.httpStatus())
        .header(HttpHeaders.RETRY_AFTER, Long.toString(BuiltInModelNotReadyException.RETRY_AFTER.toSeconds()))
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(problem);
  }
}
