package dev.divergence.gateway;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

/**
 * An OIDC issuer for tests: an RSA key pair whose public half it serves as a JWK set over HTTP, and
 * which signs tokens with whatever claims a test wants. Another key pair, never published, signs the
 * tokens that must be refused. The REST tests' and the gRPC entry point's tests share it.
 */
public final class TestJwtIssuer {

  private final RSAKey published;
  private final RSAKey unpublished;
  private final HttpServer server;

  private TestJwtIssuer(RSAKey published, RSAKey unpublished, HttpServer server) {
    this.published = published;
    this.unpublished = unpublished;
    this.server = server;
  }

  public static TestJwtIssuer start() {
    try {
      RSAKey published = rsa("published");
      RSAKey unpublished = rsa("unpublished");
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      byte[] jwks = new JWKSet(published.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
      server.createContext("/jwks", exchange -> {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, jwks.length);
        exchange.getResponseBody().write(jwks);
        exchange.close();
      });
      server.start();
      return new TestJwtIssuer(published, unpublished, server);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String jwkSetUri() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
  }

  public String token(String subject, Map<String, Object> claims, Instant expires) {
    return sign(published, subject, claims, expires);
  }

  public String tokenFromAnotherIssuer(String subject, Map<String, Object> claims, Instant expires) {
    return sign(unpublished, subject, claims, expires);
  }

  private static String sign(RSAKey key, String subject, Map<String, Object> claims, Instant expires) {
    try {
      JWTClaimsSet.Builder set = new JWTClaimsSet.Builder().subject(subject).issueTime(new Date())
          .expirationTime(Date.from(expires));
      claims.forEach(set::claim);
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), set.build());
      jwt.sign(new RSASSASigner(key));
      return jwt.serialize();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static RSAKey rsa(String id) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair pair = generator.generateKeyPair();
      return new RSAKey.Builder((RSAPublicKey) pair.getPublic()).privateKey((RSAPrivateKey) pair.getPrivate()).keyID(id).build();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
