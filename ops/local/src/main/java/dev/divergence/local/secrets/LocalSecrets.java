package dev.divergence.local.secrets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The local platform's secrets, made once per data folder and kept there (owner-readable only), so a
 * restarted platform keeps its keys: the identity secret the gateway and the services share, and
 * the first admin's API key.
 */
public final class LocalSecrets {

  private static final SecureRandom RANDOM = new SecureRandom();

  private LocalSecrets() {}

  /** Base64 of 32 random bytes, the secret the gateway signs callers' identities with. */
  public static String identitySecret(Path dataDir) {
    return readOrCreate(dataDir.resolve("secrets").resolve("identity-secret"), () -> {
      byte[] bytes = new byte[32];
      RANDOM.nextBytes(bytes);
      return Base64.getEncoder().encodeToString(bytes);
    });
  }

  /**
   * The admin API key of the default tenant the gateway stores at start, in the gateway's key form
   * {@code dvg_<16 hex digits>_<43 base64url characters>} (docs/security.md).
   */
  public static String bootstrapAdminKey(Path dataDir) {
    return readOrCreate(bootstrapAdminKeyFile(dataDir), () -> {
      byte[] id = new byte[8];
      byte[] secret = new byte[32];
      RANDOM.nextBytes(id);
      RANDOM.nextBytes(secret);
      return "dvg_" + java.util.HexFormat.of().formatHex(id) + "_"
          + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    });
  }

  public static Path bootstrapAdminKeyFile(Path dataDir) {
    return dataDir.resolve("secrets").resolve("admin-api-key");
  }

  static String readOrCreate(Path file, java.util.function.Supplier<String> fresh) {
    try {
      if (Files.exists(file)) {
        return Files.readString(file, StandardCharsets.US_ASCII).strip();
      }
      Files.createDirectories(file.getParent());
      String value = fresh.get();
      try {
        Files.writeString(file, value + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
      } catch (FileAlreadyExistsException raced) {
        return Files.readString(file, StandardCharsets.US_ASCII).strip();
      }
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException notPosix) {
        // a file system without POSIX permissions (Windows): the data folder's own access rules apply
      }
      return value;
    } catch (IOException e) {
      throw new UncheckedIOException("could not keep the local secret in " + file, e);
    }
  }
}
