package dev.divergence.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The text form of an API key, {@code dvg_<key id>_<secret>}: a 16-hex-digit id that finds the stored
 * key and 32 random bytes (base64url) that prove it. The prefix lets secret scanners recognise leaked
 * keys and lets the gateway tell a key from a JWT in an {@code Authorization: Bearer} header.
 */
public record ApiKeySecret(String keyId, String secret) {

  public static final String PREFIX = "dvg_";
  private static final Pattern FORM = Pattern.compile("dvg_([0-9a-f]{16})_([A-Za-z0-9_-]{43})");
  private static final SecureRandom RANDOM = new SecureRandom();

  public static ApiKeySecret generate() {
    byte[] id = new byte[8];
    byte[] secret = new byte[32];
    RANDOM.nextBytes(id);
    RANDOM.nextBytes(secret);
    return new ApiKeySecret(HexFormat.of().formatHex(id), Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
  }

  /** The key a caller presented, if it has the form of one (the stored hash decides whether it is one). */
  public static Optional<ApiKeySecret> parse(String presented) {
    if (presented == null) {
      return Optional.empty();
    }
    var matcher = FORM.matcher(presented.strip());
    return matcher.matches() ? Optional.of(new ApiKeySecret(matcher.group(1), matcher.group(2))) : Optional.empty();
  }

  public static boolean looksLikeOne(String token) {
    return token != null && token.startsWith(PREFIX);
  }

  /** What is shown once, at creation or rotation, and presented on every call. */
  public String text() {
    return PREFIX + keyId + "_" + secret;
  }

  public byte[] hash() {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** Compares in constant time: a timing difference would let a caller find the hash byte by byte. */
  public boolean matches(byte[] storedHash) {
    return MessageDigest.isEqual(hash(), storedHash);
  }

  @Override
  public String toString() {
    return "ApiKeySecret[" + keyId + "]";
  }
}
