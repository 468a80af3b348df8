package dev.divergence.local;

import dev.divergence.local.secrets.LauncherIdentity;
import dev.divergence.local.secrets.LocalSecrets;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.net.http.HttpRequest;
import java.util.List;

/**
 * How tests of the running platform prove who they are: the bootstrap admin's API key at the gateway,
 * and, for the calls they make to a service directly, an identity token signed with the platform's
 * identity secret (what the gateway would have sent), for the default tenant as an admin.
 */
final class Credentials {

  private Credentials() {}

  static String adminKey(LocalPlatform platform) {
    return LocalSecrets.bootstrapAdminKey(platform.config().dataDir());
  }

  /** {@code request} with the credentials {@code target} accepts: the API key at the gateway, an identity token elsewhere. */
  static HttpRequest.Builder as(LocalPlatform platform, Component target, HttpRequest.Builder request) {
    return target == Component.GATEWAY ? request.header("X-Api-Key", adminKey(platform))
        : request.header(LauncherIdentity.HEADER, identity(platform));
  }

  static String identity(LocalPlatform platform) {
    return LauncherIdentity.token(platform.config().dataDir(), "test:platform-it", "default", List.of("admin"));
  }

  /** For gRPC calls straight to a service. */
  static ClientInterceptor grpcIdentity(LocalPlatform platform) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-divergence-identity", Metadata.ASCII_STRING_MARSHALLER), identity(platform));
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }
}
