package dev.divergence.gateway.grpc;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The gateway's gRPC entry point ({@code divergence.gateway.grpc.*}): which proto packages go to which
 * service's gRPC port. A call is routed by the package of its full service name, e.g.
 * {@code dev.divergence.training.v1.TrainingService/GetJob} goes to the service that lists
 * {@code dev.divergence.training.v1}; adding a service or a package is a configuration change only.
 *
 * @param port the port callers reach (9090); 0 picks a free one (tests), a negative value turns the
 *     entry point off
 * @param defaultDeadline the deadline of a unary or client-streaming call whose caller set none, so a
 *     call to a hung service cannot hold a gateway thread and connection forever; server-streaming
 *     calls (watches) without a deadline stay open until the caller or the service ends them
 * @param maxInboundMessageBytes the largest message in either direction (the services' limit:
 *     full-vocabulary logits are large)
 * @param shutdownGrace how long calls in flight may finish when the gateway stops
 * @param services each service's gRPC target ({@code host:port}) and the proto packages it serves
 * @param readMethods full method names ({@code package.Service/Method}) that only read although their
 *     name does not say so (a method named Get*, List*, Watch*, Stream*, Search* or Read* reads); reads
 *     need the role viewer, every other method submitter
 */
@Validated
@ConfigurationProperties("divergence.gateway.grpc")
public record GrpcGatewayProperties(
    @DefaultValue("9090") int port,
    @DefaultValue("60s") @NotNull Duration defaultDeadline,
    @DefaultValue("67108864") @Min(1024) int maxInboundMessageBytes,
    @DefaultValue("10s") @NotNull Duration shutdownGrace,
    @NotEmpty Map<String, @Valid Service> services,
    @DefaultValue List<String> readMethods) {

  /** One service behind the entry point: its gRPC address and the proto packages it owns. */
  public record Service(@NotNull String target, @NotEmpty List<String> packages) {

    public Service {
      // caught at start-up rather than as UNAVAILABLE on the first call
      if (target != null && !target.matches("[A-Za-z0-9.\\[\\]:_-]+:[0-9]{1,5}")) {
        throw new IllegalArgumentException("must be host:port such as localhost:9081, was '" + target + "'");
      }
      packages = packages == null ? List.of() : List.copyOf(packages);
    }
  }

  public GrpcGatewayProperties {
    readMethods = readMethods == null ? List.of() : List.copyOf(readMethods);
    if (services != null) {
      ownerOf(services);
    }
  }

  /** The service that owns each proto package; a package claimed by two services is a configuration error. */
  public Map<String, String> packageOwners() {
    return ownerOf(services);
  }

  private static Map<String, String> ownerOf(Map<String, Service> services) {
    Map<String, String> owners = new LinkedHashMap<>();
    services.forEach((name, service) -> {
      if (service == null) {
        return;
      }
      for (String protoPackage : service.packages()) {
        String previous = owners.putIfAbsent(protoPackage, name);
        if (previous != null && !previous.equals(name)) {
          throw new IllegalArgumentException("divergence.gateway.grpc.services: the package " + protoPackage
              + " is listed by both " + previous + " and " + name);
        }
      }
    });
    return owners;
  }
}
