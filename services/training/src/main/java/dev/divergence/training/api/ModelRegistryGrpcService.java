package dev.divergence.training.api;

import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.proto.training.v1.GetModelRequest;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.ModelRegistryServiceGrpc;
import dev.divergence.proto.training.v1.RegisterModelRequest;
import dev.divergence.training.registry.ModelReference;
import dev.divergence.training.registry.ModelRegistry;
import dev.divergence.training.registry.RegisteredModel;
import io.grpc.stub.StreamObserver;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.springframework.stereotype.Component;

/**
 * gRPC face of the model registry for other services (the merging service resolves its models and
 * registers exported merges here). Bad input is INVALID_ARGUMENT naming the request field, an unknown
 * model NOT_FOUND (the platform's interceptor maps the exceptions).
 */
@Component
public class ModelRegistryGrpcService extends ModelRegistryServiceGrpc.ModelRegistryServiceImplBase {

  private final ModelRegistry models;

  public ModelRegistryGrpcService(ModelRegistry models) {
    this.models = models;
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<Model> response) {
    ModelReference reference = ModelReference.parse("reference", request.getReference());
    RegisteredModel model = models.find(reference).orElseThrow(() -> new NotFoundException("model", reference.toString()));
    response.onNext(ModelRegistry.toProto(model));
    response.onCompleted();
  }

  @Override
  public void registerModel(RegisterModelRequest request, StreamObserver<Model> response) {
    if (request.getName().isEmpty()) {
      throw new InvalidArgumentException("name", "is required");
    }
    if (request.getPath().isBlank()) {
      throw new InvalidArgumentException("path", "is required: a model folder the training service can read");
    }
    Path path;
    try {
      path = Path.of(request.getPath());
    } catch (InvalidPathException e) {
      throw new InvalidArgumentException("path", "'" + request.getPath() + "' is not a path: " + e.getReason());
    }
    if (!path.isAbsolute()) {
      throw new InvalidArgumentException("path", "must be absolute (the training service's working directory is not the caller's), got '"
          + request.getPath() + "'");
    }
    RegisteredModel.MergedFrom mergedFrom = null;
    if (request.hasMergedFrom()) {
      if (request.getMergedFrom().getGeneralist().isBlank()) {
        throw new InvalidArgumentException("merged_from.generalist", "is required when merged_from is set");
      }
      if (request.getMergedFrom().getExpert().isBlank()) {
        throw new InvalidArgumentException("merged_from.expert", "is required when merged_from is set");
      }
      mergedFrom = new RegisteredModel.MergedFrom(request.getMergedFrom().getGeneralist(), request.getMergedFrom().getExpert());
    }
    RegisteredModel model = models.register(new ModelRegistry.Registration(request.getName(), path,
        new ModelRegistry.Lineage(emptyToNull(request.getBaseModel()), emptyToNull(request.getTeacherModel()),
            emptyToNull(request.getReferenceModel())),
        mergedFrom, request.getMetricsMap(), request.getMetadataMap(), emptyToNull(request.getIdempotencyKey())));
    response.onNext(ModelRegistry.toProto(model));
    response.onCompleted();
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
