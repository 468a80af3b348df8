package dev.divergence.gateway.auth;

import dev.divergence.platform.errors.ErrorKind;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * A caller of several tenants chooses the one a request is made for with {@value #HEADER}; it must be
 * one of the caller's tenants (a JWT's tenants claim, or an API key's one tenant), otherwise the call
 * is refused with 403. Without the header the call is made for the caller's active tenant (a JWT's
 * tenant claim). {@code X-Tenant-Id} from a caller stays ignored: the services learn the tenant only
 * from the gateway's signed identity.
 */
final class TenantSelectionFilter extends OncePerRequestFilter {

  static final String HEADER = "X-Divergence-Tenant";

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String chosen = request.getHeader(HEADER);
    var caller = CallerAuthentication.currentAuthentication();
    if (chosen == null || caller.isEmpty()) {
      chain.doFilter(request, response);
      return;
    }
    CallerAuthentication actingFor;
    try {
      actingFor = caller.get().actingFor(chosen.strip());
    } catch (CallerAuthentication.TenantNotAllowedException notMember) {
      ProblemResponses.write(response, ErrorKind.PERMISSION_DENIED, HEADER + ": " + notMember.getMessage());
      return;
    }
    var context = SecurityContextHolder.createEmptyContext();
    context.setAuthentication(actingFor);
    SecurityContextHolder.setContext(context);
    chain.doFilter(request, response);
  }
}
