package dev.divergence.gateway.route;

import dev.divergence.gateway.auth.ApiKeyAuthenticationFilter;
import dev.divergence.gateway.auth.CallerAuthentication;
import dev.divergence.platform.tenancy.IdentityPolicy;
import dev.divergence.platform.tenancy.IdentityTokens;
import dev.divergence.platform.tenancy.TenantContext;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.function.ServerRequest;

/**
 * What a service learns of the caller: the gateway's signed identity token for the authenticated
 * caller (and its tenant in {@code X-Tenant-Id}, for logs). Whatever identity or tenant the caller
 * sent itself is dropped, and so are its credentials: services never see API keys or JWTs.
 */
@Component
public class CallerForwarding {

  private final IdentityTokens tokens;

  public CallerForwarding(IdentityPolicy identity) {
    this.tokens = identity.tokens().orElseThrow(() -> new IllegalStateException(
        "the gateway signs callers' identities: set divergence.security.identity.secret"));
  }

  public ServerRequest forward(ServerRequest request) {
    var caller = CallerAuthentication.current();
    return ServerRequest.from(request).headers(headers -> {
      headers.remove(IdentityTokens.HEADER);
      headers.remove(TenantContext.HEADER);
      headers.remove(ApiKeyAuthenticationFilter.HEADER);
      headers.remove(HttpHeaders.AUTHORIZATION);
      caller.ifPresent(identity -> {
        headers.set(IdentityTokens.HEADER, tokens.sign(identity));
        headers.set(TenantContext.HEADER, identity.tenant());
      });
    }).build();
  }
}
