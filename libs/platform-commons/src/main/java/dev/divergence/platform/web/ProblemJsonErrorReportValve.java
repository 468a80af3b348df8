package dev.divergence.platform.web;

import dev.divergence.platform.errors.ErrorKind;
import java.io.IOException;
import java.io.Writer;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tomcat answers some bad requests itself, before Spring sees them: a path with an encoded NUL or
 * slash, a request line or headers too large. Its error page is HTML; this valve writes the same
 * problem+json every other answer of the platform has, naming {@code request} as what was wrong.
 */
public class ProblemJsonErrorReportValve extends ErrorReportValve {

  private static final JsonMapper JSON =
      JsonMapper.builder().addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class).build();

  public ProblemJsonErrorReportValve() {
    setShowReport(false);
    setShowServerInfo(false);
  }

  @Override
  protected void report(Request request, Response response, Throwable throwable) {
    int status = response.getStatus();
    if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
      return;
    }
    HttpStatus known = HttpStatus.resolve(status);
    ProblemDetail problem = ProblemDetail.forStatus(status);
    if (status < 500) {
      String reason = response.getMessage() == null || response.getMessage().isBlank()
          ? (known == null ? "bad request" : known.getReasonPhrase()) : response.getMessage();
      String message = "was rejected by the HTTP server (" + reason + "), e.g. for an encoded NUL or slash in the path"
          + " or a request line or headers too large";
      problem.setType(URI.create(status == 400 ? ErrorKind.INVALID_ARGUMENT.typeUri() : ErrorKind.TYPE_BASE + status));
      problem.setTitle(status == 400 ? ErrorKind.INVALID_ARGUMENT.title() : known == null ? "Client error" : known.getReasonPhrase());
      problem.setDetail("request: " + message);
      problem.setProperty("errors", List.of(Map.of("field", "request", "message", message)));
    } else {
      problem.setType(URI.create(ErrorKind.INTERNAL.typeUri()));
      problem.setTitle(ErrorKind.INTERNAL.title());
      problem.setDetail("An internal error occurred.");
    }
    try {
      response.setContentType("application/problem+json");
      response.setCharacterEncoding("UTF-8");
      Writer writer = response.getReporter();
      if (writer != null) {
        writer.write(JSON.writeValueAsString(problem));
        response.finishResponse();
      }
    } catch (IOException | IllegalStateException ignored) {
      // the client is gone or the response cannot take a body any more; nothing else to tell it
    }
  }
}
