package dev.divergence.local.secrets;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The launcher's own identity token, for the few calls it makes to a service directly (the built-in
 * models probe): the services' identity token format (an HS256 JWT over sub, tenant, roles, iat, exp,
 * signed with the platform's identity secret), written here so the launcher stays free of the
 * services' libraries. A viewer of the default tenant, valid for five minutes.
 */
public final class LauncherIdentity {

  /** The header services read the token from. */
  public static final String HEADER = "X-Divergence-Identity";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private LauncherIdentity() {}

  public static String token(Path dataDir) {
    return token(dataDir, "service:platform", "default", java.util.List.of("viewer"));
  }

  /** A token for any caller (tests of the running platform call services directly with one). */
  public static String token(Path dataDir, String subject, String tenant, java.util.List<String> roles) {
    byte[] secret = Base64.getDecoder().decode(LocalSecrets.identitySecret(dataDir));
    long now = Instant.now().getEpochSecond();
    String header = B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    // subject, tenant and roles are the launcher's own plain names, nothing to escape
    String roleList = String.join(",", roles.stream().map(role -> "\"" + role + "\"").toList());
    String claims = B64.encodeToString(("{\"iss\":\"platform\",\"sub\":\"" + subject + "\",\"tenant\":\"" + tenant + "\","
        + "\"roles\":[" + roleList + "],\"iat\":" + now + ",\"exp\":" + (now + 300) + "}").getBytes(StandardCharsets.UTF_8));
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      byte[] signature = mac.doFinal((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
      return header + "." + claims + "." + B64.encodeToString(signature);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
