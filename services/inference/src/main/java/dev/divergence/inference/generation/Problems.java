package dev.divergence.inference.generation;

import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.errors.ErrorKind;
import java.net.URI;
import java.util.Map;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;

/**
 * The problem body of a failure that happens after an SSE stream started, when the HTTP status
 * is already sent: the same fields the platform's problem+json responses carry.
 */
final class Problems {

    private Problems() {
    }

    static ProblemDetail of(Throwable error) {
        ErrorKind kind = error instanceof ApiException api ? api.kind() : ErrorKind.INTERNAL;
        String detail = error instanceof ApiException ? error.getMessage() : "An internal error occurred; quote the request id when reporting it.";
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(kind.httpStatus()), detail);
        problem.setType(URI.create(kind.typeUri()));
        problem.setTitle(kind.title());
        if (error instanceof ApiException api && !api.violations().isEmpty()) {
            problem.setProperty("errors", api.violations().stream().map(v -> Map.of("field", v.field(), "message", v.message())).toList());
        }
        return problem;
    }
}
