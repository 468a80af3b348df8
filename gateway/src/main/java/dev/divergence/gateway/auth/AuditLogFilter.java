package dev.divergence.gateway.auth;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * One structured log event per state-changing call (logger {@code divergence.audit}): who (subject,
 * authentication method), which tenant, what (method, path) and the result (status), whether it was
 * allowed or not. Reads are not audited; their volume would drown the changes.
 */
public class AuditLogFilter extends OncePerRequestFilter {

  private static final Logger audit = LoggerFactory.getLogger("divergence.audit");
  private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (READS.contains(request.getMethod())) {
      chain.doFilter(request, response);
      return;
    }
    try {
      chain.doFilter(request, response);
    } finally {
      var caller = CallerAuthentication.current();
      audit.atInfo()
          .addKeyValue("audit.subject", caller.map(c -> c.subject()).orElse("anonymous"))
          .addKeyValue("audit.tenant", caller.map(c -> c.tenant()).orElse(""))
          .addKeyValue("audit.method", request.getMethod())
          .addKeyValue("audit.path", request.getRequestURI())
          .addKeyValue("audit.status", response.getStatus())
          .log("{} {} by {} -> {}", request.getMethod(), request.getRequestURI(),
              caller.map(c -> c.subject()).orElse("anonymous"), response.getStatus());
    }
  }
}
