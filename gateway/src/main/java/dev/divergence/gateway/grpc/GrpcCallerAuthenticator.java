package dev.divergence.gateway.grpc;

import dev.divergence.gateway.auth.ApiKeySecret;
import dev.divergence.gateway.auth.ApiKeyService;
import dev.divergence.gateway.auth.AuthProperties;
import dev.divergence.gateway.auth.CallerAuthentication;
import dev.divergence.gateway.auth.JwtCallerConverter;
import dev.divergence.platform.tenancy.CallerIdentity;
import io.grpc.Metadata;
import java.util.Locale;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;

/**
 * Who a gRPC call is from, by the same rules as REST: {@code x-api-key: dvg_...}, or
 * {@code authorization: Bearer <API key or JWT>}; a JWT only when an issuer is configured (a
 * {@link JwtDecoder} exists), validated by the same decoder and mapped by the same claims as REST.
 */
final class GrpcCallerAuthenticator {

  static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  /** The tenant a caller of several tenants chooses for this call, as {@code X-Divergence-Tenant} on REST. */
  static final Metadata.Key<String> TENANT = Metadata.Key.of("x-divergence-tenant", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "bearer ";

  /** Why a call is refused; the message goes to the caller, so it never echoes the credential. */
  static final class Unauthenticated extends Exception {
    Unauthenticated(String message) {
      super(message, null, false, false);
    }
  }

  private final ApiKeyService keys;
  private final JwtDecoder jwtDecoder;
  private final JwtCallerConverter jwtCallers;

  GrpcCallerAuthenticator(ApiKeyService keys, JwtDecoder jwtDecoderOrNull, AuthProperties properties) {
    this.keys = keys;
    this.jwtDecoder = jwtDecoderOrNull;
    this.jwtCallers = new JwtCallerConverter(properties.jwt());
  }

  /**
   * The caller, acting for the tenant the metadata {@code x-divergence-tenant} chooses when it is sent.
   *
   * @throws CallerAuthentication.TenantNotAllowedException when that tenant is not one of the caller's
   */
  CallerIdentity authenticate(Metadata headers) throws Unauthenticated {
    CallerAuthentication caller = authenticateCaller(headers);
    String chosen = headers.get(TENANT);
    return chosen == null ? caller.identity() : caller.actingFor(chosen.strip()).identity();
  }

  private CallerAuthentication authenticateCaller(Metadata headers) throws Unauthenticated {
    String apiKey = headers.get(API_KEY);
    String authorization = headers.get(AUTHORIZATION);
    if (apiKey != null && authorization != null) {
      throw new Unauthenticated("send one credential: x-api-key or authorization, not both");
    }
    if (apiKey != null) {
      return keys.authenticate(apiKey.strip()).map(GrpcCallerAuthenticator::byKey)
          .orElseThrow(() -> new Unauthenticated("the API key is unknown, revoked or expired"));
    }
    if (authorization == null) {
      throw new Unauthenticated("no credentials: send metadata x-api-key: dvg_... or authorization: Bearer <API key or JWT>");
    }
    if (!authorization.toLowerCase(Locale.ROOT).startsWith(BEARER)) {
      throw new Unauthenticated("authorization must be 'Bearer <API key or JWT>'");
    }
    String token = authorization.substring(BEARER.length()).strip();
    if (ApiKeySecret.looksLikeOne(token)) {
      return keys.authenticate(token).map(GrpcCallerAuthenticator::byKey)
          .orElseThrow(() -> new Unauthenticated("the API key is unknown, revoked or expired"));
    }
    if (jwtDecoder == null) {
      throw new Unauthenticated("the bearer token is not an API key, and this gateway accepts no JWTs (no issuer is configured)");
    }
    try {
      return (CallerAuthentication) jwtCallers.convert(jwtDecoder.decode(token));
    } catch (JwtException | AuthenticationException e) {
      throw new Unauthenticated("the bearer token is invalid: " + e.getMessage());
    }
  }

  private static CallerAuthentication byKey(CallerIdentity key) {
    return new CallerAuthentication(key, "api-key");
  }
}
