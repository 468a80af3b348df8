package dev.divergence.gateway.auth;

import dev.divergence.platform.errors.ErrorKind;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Refuses request bodies larger than the configured limit with 413 problem+json: at once when the
 * declared Content-Length is too large, and for a chunked body as soon as the bytes read pass the
 * limit (the proxy's read fails with {@link RequestBodyTooLargeException}, so the service never gets
 * a truncated body as if it were whole).
 */
public class RequestSizeLimitFilter extends OncePerRequestFilter {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final long maxBytes;

  public RequestSizeLimitFilter(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (request.getContentLengthLong() > maxBytes) {
      tooLarge(response, "the request body has " + request.getContentLengthLong() + " bytes; at most " + maxBytes);
      return;
    }
    // a chunked body that grows too large fails the proxy's read; the route answers that with 413
    chain.doFilter(new Limited(request, maxBytes), response);
  }

  static void tooLarge(HttpServletResponse response, String detail) throws IOException {
    response.setStatus(413);
    response.setContentType("application/problem+json");
    response.setCharacterEncoding("UTF-8");
    var problem = JSON.createObjectNode();
    problem.put("type", ErrorKind.TYPE_BASE + "payload-too-large");
    problem.put("title", "Payload too large");
    problem.put("status", 413);
    problem.put("detail", detail);
    JSON.writeValue(response.getOutputStream(), problem);
  }

  private static final class Limited extends HttpServletRequestWrapper {

    private final long maxBytes;

    Limited(HttpServletRequest request, long maxBytes) {
      super(request);
      this.maxBytes = maxBytes;
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      ServletInputStream in = super.getInputStream();
      return new ServletInputStream() {
        private long read;

        private int counted(int n) throws IOException {
          if (n > 0) {
            read += n;
            if (read > maxBytes) {
              throw new RequestBodyTooLargeException(maxBytes);
            }
          }
          return n;
        }

        @Override
        public int read() throws IOException {
          int b = in.read();
          if (b >= 0) {
            counted(1);
          }
          return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
          return counted(in.read(buffer, offset, length));
        }

        @Override
        public boolean isFinished() {
          return in.isFinished();
        }

        @Override
        public boolean isReady() {
          return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
          in.setReadListener(listener);
        }
      };
    }
  }
}
