package dev.divergence.platform.tenancy;

import dev.divergence.platform.errors.FieldViolation;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/** Binds {@link TenantContext} for the request; a malformed tenant header is a 400 naming the header. */
public class TenantFilter extends OncePerRequestFilter {

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String tenant = request.getHeader(TenantContext.HEADER);
    if (tenant != null && !TenantContext.isValid(tenant)) {
      FieldViolation violation = new FieldViolation(TenantContext.HEADER, "must match [a-z0-9][a-z0-9-]{0,62}");
      response.setStatus(400);
      response.setContentType("application/problem+json");
      response.getWriter().write(
          "{\"type\":\"https://divergence.dev/problems/invalid-argument\",\"title\":\"Invalid argument\",\"status\":400,"
              + "\"detail\":\"" + violation.field() + ": " + violation.message() + "\","
              + "\"errors\":[{\"field\":\"" + violation.field() + "\",\"message\":\"" + violation.message() + "\"}]}");
      return;
    }
    TenantContext.set(tenant == null ? TenantContext.DEFAULT_TENANT : tenant);
    try {
      chain.doFilter(request, response);
    } finally {
      TenantContext.clear();
    }
  }
}
