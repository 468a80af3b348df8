package dev.divergence.platform.errors;

import dev.divergence.platform.text.InvalidTextException;
import dev.divergence.platform.web.RequestIdFilter;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.FieldError;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Turns every REST failure into RFC 9457 problem+json. Field-level problems carry an {@code errors}
 * array of {@code {field, message}} so clients can point at the offending input; every problem
 * carries the request id so it can be found in the logs.
 */
@RestControllerAdvice
public class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);

  @ExceptionHandler(ApiException.class)
  public ResponseEntity<Object> handleApi(ApiException error, WebRequest request) {
    ProblemDetail problem = problemOf(error.kind(), error.getMessage(), error.violations());
    return createResponseEntity(problem, new HttpHeaders(), HttpStatusCode.valueOf(error.kind().httpStatus()), request);
  }

  @ExceptionHandler(MethodArgumentTypeMismatchException.class)
  public ResponseEntity<Object> handleTypeMismatch(MethodArgumentTypeMismatchException error, WebRequest request) {
    return handleApi(new InvalidArgumentException(error.getName(), "has an invalid value"), request);
  }

  /**
   * Tomcat parses query and form parameters lazily and throws when they are not valid in the request's
   * character encoding (e.g. {@code ?name=%FF}, or a form body of random bytes): the caller's input.
   */
  @ExceptionHandler(InvalidParameterException.class)
  public ResponseEntity<Object> handleUndecodableParameters(InvalidParameterException error, WebRequest request) {
    return handleApi(new InvalidArgumentException("parameters",
        "query or form parameters are not valid percent-encoded UTF-8"), request);
  }

  @ExceptionHandler(Exception.class)
  public ResponseEntity<Object> handleUnexpected(Exception error, WebRequest request) {
    log.error("unhandled error", error);
    ProblemDetail problem = problemOf(ErrorKind.INTERNAL, "An internal error occurred; quote the request id when reporting it.", List.of());
    return createResponseEntity(problem, new HttpHeaders(), HttpStatus.INTERNAL_SERVER_ERROR, request);
  }

  @Override
  protected @Nullable ResponseEntity<Object> handleMethodArgumentNotValid(
      MethodArgumentNotValidException error, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    List<FieldViolation> violations = new ArrayList<>();
    for (FieldError fieldError : error.getBindingResult().getFieldErrors()) {
      violations.add(new FieldViolation(fieldError.getField(), String.valueOf(fieldError.getDefaultMessage())));
    }
    error.getBindingResult().getGlobalErrors().forEach(
        global -> violations.add(new FieldViolation(global.getObjectName(), String.valueOf(global.getDefaultMessage()))));
    return handleApi(new InvalidArgumentException(violations), request);
  }

  @Override
  protected @Nullable ResponseEntity<Object> handleMissingServletRequestParameter(
      MissingServletRequestParameterException error, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    return handleApi(new InvalidArgumentException(error.getParameterName(), "is required"), request);
  }

  @Override
  protected @Nullable ResponseEntity<Object> handleHttpMessageNotReadable(
      HttpMessageNotReadableException error, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    return handleApi(new InvalidArgumentException(List.of(describeUnreadableBody(error))), request);
  }

  /** Names the JSON field at fault: unknown, of the wrong type, or the body itself when it is not JSON. */
  static FieldViolation describeUnreadableBody(HttpMessageNotReadableException error) {
    Throwable cause = error.getMostSpecificCause();
    if (cause instanceof InvalidTextException invalidText) {
      return new FieldViolation(pathOf(invalidText), invalidText.problem());
    }
    if (cause instanceof UnrecognizedPropertyException unknown) {
      return new FieldViolation(pathOf(unknown), "unknown field");
    }
    if (cause instanceof InvalidFormatException invalid) {
      return new FieldViolation(pathOf(invalid), "has an invalid value '" + invalid.getValue() + "'");
    }
    if (cause instanceof MismatchedInputException mismatched && !mismatched.getPath().isEmpty()) {
      return new FieldViolation(pathOf(mismatched), "has the wrong type");
    }
    if (cause instanceof StreamReadException malformed) {
      var location = malformed.getLocation();
      String where = location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
      return new FieldViolation("body", "is not valid JSON" + where);
    }
    return new FieldViolation("body", "is missing or unreadable");
  }

  static String pathOf(JacksonException error) {
    StringBuilder path = new StringBuilder();
    for (JacksonException.Reference reference : error.getPath()) {
      if (reference.getPropertyName() != null) {
        if (!path.isEmpty()) {
          path.append('.');
        }
        path.append(reference.getPropertyName());
      } else if (reference.getIndex() >= 0) {
        path.append('[').append(reference.getIndex()).append(']');
      }
    }
    return path.isEmpty() ? "body" : path.toString();
  }

  @Override
  protected ResponseEntity<Object> createResponseEntity(
      @Nullable Object body, HttpHeaders headers, HttpStatusCode statusCode, WebRequest request) {
    if (body instanceof ProblemDetail problem) {
      if (problem.getType() == null || "about:blank".equals(problem.getType().toString())) {
        problem.setType(URI.create(ErrorKind.TYPE_BASE + statusCode.value()));
      }
      String requestId = MDC.get(RequestIdFilter.MDC_KEY);
      if (requestId != null) {
        problem.setProperty("requestId", requestId);
      }
      if (headers.getContentType() == null) {
        // set, not negotiated: Spring drops an error's body when the request's Accept header does not parse,
        // and a 400 must still say which field was wrong (the Accept header itself, say)
        HttpHeaders typed = new HttpHeaders();
        typed.putAll(headers);
        typed.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        headers = typed;
      }
    }
    return super.createResponseEntity(body, headers, statusCode, request);
  }

  static ProblemDetail problemOf(ErrorKind kind, String detail, List<FieldViolation> violations) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(kind.httpStatus()), detail);
    problem.setType(URI.create(kind.typeUri()));
    problem.setTitle(kind.title());
    if (!violations.isEmpty()) {
      problem.setProperty(
          "errors", violations.stream().map(v -> Map.of("field", v.field(), "message", v.message())).toList());
    }
    return problem;
  }
}
