package dev.divergence.inference.api;

import dev.divergence.inference.models.ModelNotServableYetException;
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
 * A model that is not servable yet answers 503 problem+json with a Retry-After header and the
 * model's name (property {@code model}) and state; ahead of the platform's generic problem advice,
 * which has no Retry-After.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ModelNotServableYetAdvice {

  @ExceptionHandler(ModelNotServableYetException.class)
  public ResponseEntity<ProblemDetail> notServableYet(ModelNotServableYetException error) {
    ErrorKind kind = error.kind();
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(kind.httpStatus()), error.getMessage());
    problem.setType(URI.create(kind.typeUri()));
    problem.setTitle(kind.title());
    problem.setProperty("model", error.model());
    problem.setProperty("state", error.state().name());
    String requestId = MDC.get(RequestIdFilter.MDC_KEY);
    if (requestId != null) {
      problem.setProperty("requestId", requestId);
    }
    return ResponseEntity.status(kind.httpStatus())
        .header(HttpHeaders.RETRY_AFTER, Long.toString(ModelNotServableYetException.RETRY_AFTER.toSeconds()))
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(problem);
  }
}
