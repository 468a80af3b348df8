package dev.divergence.platform.tenancy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Random;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The identity token proves exactly what was signed: a changed claim, another key, a stripped or
 * swapped algorithm, or an expired token proves nothing. The HMAC is checked against the JDK's own
 * HmacSHA256 over the token's signing input, computed here independently of the signer.
 */
class IdentityTokensTest {

  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
  private static final CallerIdentity ALICE = new CallerIdentity("key:k1", "acme", Set.of("submitter"));

  private static IdentityTokens at(Instant now, byte[] secret) {
    return new IdentityTokens(secret, "gateway", Duration.ofMinutes(5), Clock.fixed(now, ZoneOffset.UTC));
  }

  @Test
  void aSignedIdentityVerifiesToTheSameIdentity() {
    assertThat(at(NOW, SECRET).verify(at(NOW, SECRET).sign(ALICE))).isEqualTo(ALICE);
  }

  @Test
  void theSignatureIsHmacSha256OfTheSigningInput() throws Exception {
    String token = at(NOW, SECRET).sign(ALICE);
    String[] parts = token.split("\\.");
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
    byte[] expected = mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(Base64.getUrlDecoder().decode(parts[2])).isEqualTo(expected);
    String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
    assertThat(claims).contains("\"tenant\":\"acme\"", "\"sub\":\"key:k1\"", "\"exp\":" + (NOW.getEpochSecond() + 300));
  }

  @Test
  void anyChangedCharacterOfTheClaimsOrSignatureIsRejected() {
    long seed = 20261206L;
    Random random = new Random(seed);
    String token = at(NOW, SECRET).sign(ALICE);
    int firstDot = token.indexOf('.');
    for (int trial = 0; trial < 200; trial++) {
      int position = firstDot + 1 + random.nextInt(token.length() - firstDot - 1);
      char original = token.charAt(position);
      if (original == '.') {
        continue;
      }
      char replacement = original == 'A' ? 'B' : 'A';
      String tampered = token.substring(0, position) + replacement + token.substring(position + 1);
      int at = position;
      assertThatThrownBy(() -> at(NOW, SECRET).verify(tampered))
          .as("seed %d, character %d changed", seed, at).isInstanceOf(InvalidIdentityException.class);
    }
  }

  @Test
  void aTokenClaimingAnotherTenantWithoutTheKeyIsRejected() {
    String token = at(NOW, SECRET).sign(ALICE);
    String[] parts = token.split("\\.");
    String forgedClaims = Base64.getUrlEncoder().withoutPadding().encodeToString(
        new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace("acme", "umbrella")
            .getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> at(NOW, SECRET).verify(parts[0] + "." + forgedClaims + "." + parts[2]))
        .hasMessageContaining("signature");
    byte[] otherKey = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> at(NOW, SECRET).verify(at(NOW, otherKey).sign(ALICE))).hasMessageContaining("signature");
  }

  @Test
  void anUnsignedAlgNoneTokenIsRejected() {
    String token = at(NOW, SECRET).sign(ALICE);
    String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8));
    String[] parts = token.split("\\.");
    assertThatThrownBy(() -> at(NOW, SECRET).verify(none + "." + parts[1] + "."))
        .isInstanceOf(InvalidIdentityException.class);
  }

  @Test
  void aTokenIsValidForItsLifetimeAndNotAfter() {
    String token = at(NOW, SECRET).sign(ALICE);
    assertThat(at(NOW.plusSeconds(299), SECRET).verify(token)).isEqualTo(ALICE);
    // 30 s of clock skew between machines is tolerated, not more
    assertThat(at(NOW.plusSeconds(329), SECRET).verify(token)).isEqualTo(ALICE);
    assertThatThrownBy(() -> at(NOW.plusSeconds(331), SECRET).verify(token)).hasMessageContaining("expired");
  }

  @Test
  void malformedTokensAreRejectedWithAReasonNotAnUncheckedError() {
    for (String bad : new String[] {null, "", "abc", "a.b", "a.b.c.d", "!!.??.%%", "e30.e30.e30"}) {
      assertThatThrownBy(() -> at(NOW, SECRET).verify(bad)).as(String.valueOf(bad))
          .isInstanceOf(InvalidIdentityException.class);
    }
  }

  @Test
  void aShortOrMissingSecretIsRefusedAtConfigurationTime() {
    assertThatThrownBy(() -> IdentityTokens.decodeSecret(null)).hasMessageContaining("no identity secret");
    assertThatThrownBy(() -> IdentityTokens.decodeSecret(Base64.getEncoder().encodeToString(new byte[16])))
        .hasMessageContaining("at least 32 bytes");
    assertThat(IdentityTokens.decodeSecret(Base64.getEncoder().encodeToString(SECRET))).isEqualTo(SECRET);
    assertThatThrownBy(() -> IdentityPolicy.from(new IdentityProperties(null, null, null), "training", Clock.systemUTC()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("DIVERGENCE_SECURITY_IDENTITY_SECRET");
  }
}
