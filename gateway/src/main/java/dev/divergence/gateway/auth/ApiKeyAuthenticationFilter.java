package dev.divergence.gateway.auth;

import dev.divergence.platform.tenancy.CallerIdentity;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates a request that presents an API key, in {@code X-Api-Key} or as
 * {@code Authorization: Bearer dvg_...}. A presented key that authenticates nobody (unknown, wrong,
 * revoked, expired) ends the request with 401 here; requests without a key go on to the JWT check.
 */
public class ApiKeyAuthenticationFilter extends OncePerRequestFilter {

  public static final String HEADER = "X-Api-Key";

  private final ApiKeyService keys;
  private final AuthenticationEntryPoint entryPoint;

  public ApiKeyAuthenticationFilter(ApiKeyService keys, AuthenticationEntryPoint entryPoint) {
    this.keys = keys;
    this.entryPoint = entryPoint;
  }

  /** The API key a request presents, if any. */
  static Optional<String> presentedKey(HttpServletRequest request) {
    String header = request.getHeader(HEADER);
    if (header != null) {
      return Optional.of(header);
    }
    String authorization = request.getHeader("Authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        && ApiKeySecret.looksLikeOne(authorization.substring(7).strip())) {
      return Optional.of(authorization.substring(7).strip());
    }
    return Optional.empty();
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    Optional<String> presented = presentedKey(request);
    if (presented.isPresent()) {
      Optional<CallerIdentity> caller = keys.authenticate(presented.get());
      if (caller.isEmpty()) {
        SecurityContextHolder.clearContext();
        entryPoint.commence(request, response, new BadCredentialsException(
            "the API key is unknown, revoked or expired"));
        return;
      }
      var context = SecurityContextHolder.createEmptyContext();
      context.setAuthentication(new CallerAuthentication(caller.get(), "api-key"));
      SecurityContextHolder.setContext(context);
    }
    chain.doFilter(request, response);
  }
}
