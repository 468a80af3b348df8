package dev.divergence.gateway.error;

import dev.divergence.platform.errors.ProblemDetailsAdvice;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * At the edge an unmatched path is an unknown route, not a missing static file: this says so in the
 * platform's not-found problem instead of Spring's "No static resource ..." default. The problem
 * itself is still written by platform-commons' {@link ProblemDetailsAdvice}.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class UnknownRouteAdvice {

  private final ProblemDetailsAdvice problems;

  UnknownRouteAdvice(ProblemDetailsAdvice problems) {
    this.problems = problems;
  }

  @ExceptionHandler({NoResourceFoundException.class, NoHandlerFoundException.class})
  ResponseEntity<Object> unknownRoute(HttpServletRequest request, WebRequest webRequest) {
    return problems.handleApi(new UnknownRouteException(request.getMethod(), request.getRequestURI()), webRequest);
  }
}
