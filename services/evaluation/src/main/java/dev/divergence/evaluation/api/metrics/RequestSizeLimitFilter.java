package dev.divergence.evaluation.api.metrics;

import dev.divergence.platform.errors.ErrorKind;
import dev.divergence.platform.web.BufferedBodyRequest;
import dev.divergence.platform.web.RequestIdFilter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.MDC;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Rejects Metrics API bodies above {@code divergence.evaluation.metrics.max-request-bytes} with 413
 * problem+json naming the setting, before anything is parsed: by the Content-Length header, or, for a
 * body sent without one (chunked), by reading at most the limit plus one byte.
 */
public class RequestSizeLimitFilter extends OncePerRequestFilter {

  static final String SETTING = "divergence.evaluation.metrics.max-request-bytes";

  private final long maxBytes;

  public RequestSizeLimitFilter(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    long declared = request.getContentLengthLong();
    if (declared > maxBytes) {
      reject(response, declared + " bytes");
      return;
    }
    if (declared < 0 && request.getHeader("Transfer-Encoding") != null) {
      byte[] body = readAtMost(request.getInputStream(), maxBytes + 1);
      if (body.length > maxBytes) {
        reject(response, "more than " + maxBytes + " bytes");
        return;
      }
      chain.doFilter(new BufferedBodyRequest(request, body), response);
      return;
    }
    chain.doFilter(request, response);
  }

  private static byte[] readAtMost(InputStream in, long limit) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    int read;
    while (total < limit && (read = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total))) > 0) {
      out.write(buffer, 0, read);
      total += read;
    }
    return out.toByteArray();
  }

  private void reject(HttpServletResponse response, String size) throws IOException {
    String detail = "The request body of " + size + " exceeds " + SETTING + " = " + maxBytes
        + " bytes; send fewer rows per request.";
    String requestId = MDC.get(RequestIdFilter.MDC_KEY);
    String json = "{\"type\":\"" + ErrorKind.TYPE_BASE + "payload-too-large\",\"title\":\"Payload too large\","
        + "\"status\":413,\"detail\":\"" + detail + "\",\"limit\":" + maxBytes + ",\"setting\":\"" + SETTING + "\","
        + "\"errors\":[{\"field\":\"body\",\"message\":\"is larger than " + SETTING + " = " + maxBytes + " bytes\"}]"
        + (requestId == null ? "" : ",\"requestId\":\"" + requestId.replace("\"", "") + "\"") + "}";
    response.setStatus(413);
    response.setContentType("application/problem+json");
    response.setHeader("Connection", "close");
    response.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
  }
}
