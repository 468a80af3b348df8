package dev.divergence.gateway.grpc;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

/**
 * An OIDC issuer served by the test itself: the public half of one RSA key as a JWK set over HTTP
 * (the gateway fetches it), and a second key, never published, for tokens that must be refused.
 */
final class TestJwks {

  private final RSAKey published;
  private final RSAKey unpublished;
  private final HttpServer server;

  private TestJwks(RSAKey published, RSAKey unpublished, HttpServer server) {
    this.published = published;
    this.unpublished = unpublished;
    this.server = server;
  }

  static TestJwks start() {
    try {
      RSAKey published = new RSAKeyGenerator(2048).keyID("published").generate();
      RSAKey unpublished = new RSAKeyGenerator(2048).keyID("unpublished").generate();
      byte[] jwks = new JWKSet(published.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/jwks", exchange -> {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, jwks.length);
        exchange.getResponseBody().write(jwks);
        exchange.close();
      });
      server.start();
      return new TestJwks(published, unpublished, server);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  String jwkSetUri() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
  }

  String token(String subject, Map<String, Object> claims) {
    return sign(published, subject, claims);
  }

  String tokenOfAnotherIssuer(String subject, Map<String, Object> claims) {
    return sign(unpublished, subject, claims);
  }

  private static String sign(RSAKey key, String subject, Map<String, Object> claims) {
    JWTClaimsSet.Builder set = new JWTClaimsSet.Builder().subject(subject).issueTime(new Date())
        .expirationTime(Date.from(Instant.now().plusSeconds(600)));
    claims.forEach(set::claim);
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), set.build());
    try {
      jwt.sign(new RSASSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }
}
