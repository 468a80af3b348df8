package dev.divergence.merging.models;

import com.google.protobuf.Timestamp;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.platform.grpc.ExceptionMappingInterceptor;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.grpc.GrpcServerProperties;
import dev.divergence.platform.grpc.TextRulesInterceptor;
import dev.divergence.platform.tenancy.TenantServerInterceptor;
import dev.divergence.proto.training.v1.GetModelRequest;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.ModelRegistryServiceGrpc;
import dev.divergence.proto.training.v1.RegisterModelRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real gRPC server (grpc-netty on a free port, the platform's server interceptors) speaking the
 * training service's public ModelRegistryService with the same contract (docs/architecture.md, "Model registry"): GetModel
 * by "name" (latest) or "name:version", NOT_FOUND for an unknown model; RegisterModel copying a folder
 * with a config.json as the next version, idempotent per key. It is the outer edge of the merging
 * service's tests, as evaluation's tests have theirs: merging may not depend on the training service's
 * code, and the real registry is reached end to end in ops/local (RegisteredModelMergingIT).
 *
 * <p>One registry per test JVM ({@link #shared()}), its store under target/, every test using names of
 * its own; {@link #failWith} makes every call fail (the registry out of reach).
 */
public final class TestModelRegistry implements AutoCloseable {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");
  private static TestModelRegistry shared;

  private final GrpcServerLifecycle server;
  private final Path store;
  private final Map<String, List<Model>> models = new HashMap<>();
  private final Map<String, Model> byKey = new HashMap<>();
  private final List<RegisterModelRequest> registrations = new ArrayList<>();
  private volatile Status failure;

  private TestModelRegistry() {
    store = Path.of("target", "test-model-registry", UUID.randomUUID().toString()).toAbsolutePath();
    server = new GrpcServerLifecycle(new GrpcServerProperties(0, null, 1), List.of(new Service()),
        List.of(new ExceptionMappingInterceptor(), new TextRulesInterceptor(), new TenantServerInterceptor()));
    server.start();
  }

  /** The JVM's registry, started on first use (stopped when the JVM ends). */
  public static synchronized TestModelRegistry shared() {
    if (shared == null) {
      shared = new TestModelRegistry();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
    }
    return shared;
  }

  /** The address for {@code divergence.clients.training.target}. */
  public String target() {
    return "localhost:" + server.port();
  }

  /** Registers {@code folder} as the next version of {@code name}, as a training job's output would be. */
  public synchronized Model register(String name, Path folder) {
    return add(RegisterModelRequest.newBuilder().setName(name).setPath(folder.toAbsolutePath().toString()).build());
  }

  /** Every RegisterModel request received, oldest first. */
  public synchronized List<RegisterModelRequest> registrations() {
    return List.copyOf(registrations);
  }

  /** null: answer normally; otherwise every call fails with this status. */
  public void failWith(Status status) {
    failure = status;
  }

  /** The registry's entry for "name" (latest) or "name:version"; NotFoundException if there is none. */
  public synchronized Model find(String reference) {
    int colon = reference.lastIndexOf(':');
    String name = colon < 0 ? reference : reference.substring(0, colon);
    if (!NAME.matcher(name).matches()) {
      throw new InvalidArgumentException("reference", "'" + reference + "' is not a model name");
    }
    List<Model> versions = models.getOrDefault(name, List.of());
    if (colon < 0) {
      if (versions.isEmpty()) {
        throw new NotFoundException("model", reference);
      }
      return versions.get(versions.size() - 1);
    }
    int version;
    try {
      version = Integer.parseInt(reference.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new InvalidArgumentException("reference", "version in '" + reference + "' must be a positive integer");
    }
    return versions.stream().filter(m -> m.getVersion() == version).findFirst()
        .orElseThrow(() -> new NotFoundException("model", reference));
  }

  private synchronized Model add(RegisterModelRequest request) {
    if (!NAME.matcher(request.getName()).matches()) {
      throw new InvalidArgumentException("name", "must match [a-z0-9][a-z0-9._-]{0,99}");
    }
    if (!request.getIdempotencyKey().isEmpty() && byKey.containsKey(request.getIdempotencyKey())) {
      return byKey.get(request.getIdempotencyKey());
    }
    Path source = Path.of(request.getPath());
    if (!Files.isRegularFile(source.resolve("config.json"))) {
      throw new InvalidArgumentException("path", source + " is not a model folder (no config.json)");
    }
    registrations.add(request);
    List<Model> versions = models.computeIfAbsent(request.getName(), n -> new ArrayList<>());
    int version = versions.size() + 1;
    Path target = store.resolve(request.getName()).resolve(Integer.toString(version));
    copy(source, target);
    Instant now = Instant.now();
    Model.Builder model = Model.newBuilder().setName(request.getName()).setVersion(version).setArchitecture(architecture(target))
        .setUri(target.toUri().toString()).setBaseModel(request.getBaseModel()).putAllMetrics(request.getMetricsMap())
        .putAllMetadata(request.getMetadataMap()).setCreatedAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()));
    if (request.hasMergedFrom()) {
      model.setMergedFrom(request.getMergedFrom());
    }
    Model built = model.build();
    versions.add(built);
    if (!request.getIdempotencyKey().isEmpty()) {
      byKey.put(request.getIdempotencyKey(), built);
    }
    return built;
  }

  private static String architecture(Path dir) {
    try {
      String config = Files.readString(dir.resolve("config.json"));
      var matcher = Pattern.compile("\"model_type\"\\s*:\\s*\"([^\"]+)\"").matcher(config);
      return matcher.find() ? matcher.group(1) : "unknown";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void copy(Path source, Path target) {
    try (Stream<Path> files = Files.walk(source)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path destination = target.resolve(source.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(destination);
        } else {
          Files.copy(file, destination, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    server.stop();
  }

  private final class Service extends ModelRegistryServiceGrpc.ModelRegistryServiceImplBase {

    @Override
    public void getModel(GetModelRequest request, StreamObserver<Model> response) {
      failIfAsked();
      response.onNext(find(request.getReference()));
      response.onCompleted();
    }

    @Override
    public void registerModel(RegisterModelRequest request, StreamObserver<Model> response) {
      failIfAsked();
      response.onNext(add(request));
      response.onCompleted();
    }

    private void failIfAsked() {
      Status status = failure;
      if (status != null) {
        throw status.asRuntimeException();
      }
    }
  }
}
