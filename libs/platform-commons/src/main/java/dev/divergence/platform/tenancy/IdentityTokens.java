package dev.divergence.platform.tenancy;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway's proof of who a call is for, as a compact JWS (HS256): the gateway signs the caller's
 * identity with a secret only it and the services hold, and a service believes the tenant and roles
 * only from a token whose signature verifies and which has not expired. A caller that reaches a
 * service directly cannot forge one. Services sign tokens too, with the same secret, for the calls
 * their own background work makes to each other.
 *
 * <p>The format is a standard JWT, so tools that read JWTs can show one; the claims are {@code iss},
 * {@code sub}, {@code tenant}, {@code roles}, {@code iat} and {@code exp} (seconds).
 */
public final class IdentityTokens {

  /** The header (REST) and, lower-cased, the metadata key (gRPC) that carries the token. */
  public static final String HEADER = "X-Divergence-Identity";
  /** Fewer bytes than this would make the HMAC key guessable. */
  public static final int MIN_SECRET_BYTES = 32;
  private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
  private static final String HEADER_JSON = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64_DECODE = Base64.getUrlDecoder();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final SecretKeySpec key;
  private final String issuer;
  private final Duration lifetime;
  private final Clock clock;
  private final String encodedHeader = B64.encodeToString(HEADER_JSON.getBytes(StandardCharsets.UTF_8));

  public IdentityTokens(byte[] secret, String issuer, Duration lifetime, Clock clock) {
    if (secret == null || secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("the identity secret must have at least " + MIN_SECRET_BYTES + " bytes");
    }
    this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    this.issuer = issuer;
    this.lifetime = lifetime;
    this.clock = clock;
  }

  /** A secret as configured: base64 (standard or URL-safe) of at least {@link #MIN_SECRET_BYTES} bytes. */
  public static byte[] decodeSecret(String configured) {
    if (configured == null || configured.isBlank()) {
      throw new IllegalArgumentException("no identity secret configured");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(configured.strip());
    } catch (IllegalArgumentException notStandard) {
      try {
        bytes = B64_DECODE.decode(configured.strip());
      } catch (IllegalArgumentException notUrlSafe) {
        throw new IllegalArgumentException("the identity secret must be base64");
      }
    }
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("the identity secret must decode to at least " + MIN_SECRET_BYTES
          + " bytes, got " + bytes.length);
    }
    return bytes;
  }

  public String sign(CallerIdentity identity) {
    long now = clock.instant().getEpochSecond();
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("iss", issuer);
    claims.put("sub", identity.subject());
    claims.put("tenant", identity.tenant());
    claims.put("roles", identity.roles().stream().sorted().toList());
    claims.put("iat", now);
    claims.put("exp", now + lifetime.toSeconds());
    String signingInput = encodedHeader + "." + B64.encodeToString(JSON.writeValueAsBytes(claims));
    return signingInput + "." + B64.encodeToString(hmac(signingInput));
  }

  /** The identity a token proves; {@link InvalidIdentityException} says why it proves none. */
  public CallerIdentity verify(String token) {
    if (token == null || token.isBlank()) {
      throw new InvalidIdentityException("no identity token");
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      throw new InvalidIdentityException("the identity token is not a compact JWS");
    }
    if (!parts[0].equals(encodedHeader) && !isHs256(parts[0])) {
      throw new InvalidIdentityException("the identity token is not HS256");
    }
    byte[] signature;
    try {
      signature = B64_DECODE.decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new InvalidIdentityException("the identity token's signature is not base64url");
    }
    // compare in constant time: a timing difference would let a caller find a valid MAC byte by byte
    if (!MessageDigest.isEqual(signature, hmac(parts[0] + "." + parts[1]))) {
      throw new InvalidIdentityException("the identity token's signature does not verify");
    }
    JsonNode claims;
    try {
      claims = JSON.readTree(B64_DECODE.decode(parts[1]));
    } catch (IllegalArgumentException | JacksonException e) {
      throw new InvalidIdentityException("the identity token's claims are not JSON");
    }
    Instant expires = Instant.ofEpochSecond(claims.path("exp").asLong(0));
    if (!clock.instant().minus(CLOCK_SKEW).isBefore(expires)) {
      throw new InvalidIdentityException("the identity token expired at " + expires);
    }
    List<String> roles = new ArrayList<>();
    claims.path("roles").forEach(role -> roles.add(role.asString()));
    try {
      return new CallerIdentity(claims.path("sub").asString(""), claims.path("tenant").asString(""), Set.copyOf(roles));
    } catch (IllegalArgumentException e) {
      throw new InvalidIdentityException("the identity token's claims are invalid: " + e.getMessage());
    }
  }

  private static boolean isHs256(String encodedHeader) {
    try {
      return "HS256".equals(JSON.readTree(B64_DECODE.decode(encodedHeader)).path("alg").asString(""));
    } catch (IllegalArgumentException | JacksonException e) {
      return false;
    }
  }

  private byte[] hmac(String signingInput) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
