package dev.divergence.merging.models;

import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.grpc.client.GrpcClients;
import dev.divergence.proto.training.v1.GetModelRequest;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.ModelRegistryServiceGrpc;
import dev.divergence.proto.training.v1.RegisterModelRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * The training service's model registry through its public gRPC API (ModelRegistryService, client
 * {@code divergence.clients.training}); never its database. The registry's answers become this
 * service's errors: an unknown model an {@link InvalidArgumentException} naming the caller's field, a
 * rejected request the same, anything else (unreachable, deadline) a {@link ModelRegistryUnavailableException}.
 */
@Component
public class ModelRegistryClient {

  /** The gRPC client's name: its settings are {@code divergence.clients.training.*}. */
  public static final String CLIENT = "training";

  private final GrpcClients clients;

  public ModelRegistryClient(GrpcClients clients) {
    this.clients = clients;
  }

  /** The registry's entry for {@code reference} ("name" = latest version, or "name:version"). */
  public Model getModel(String field, String reference) {
    return call(field, reference, () -> stub().getModel(GetModelRequest.newBuilder().setReference(reference).build()));
  }

  /**
   * Registers a model folder as the next version of {@code request.name}; {@code field} is the caller's
   * field the registry's complaints about the name are reported under.
   */
  public Model register(String field, RegisterModelRequest request) {
    return call(field, request.getName(), () -> stub().registerModel(request));
  }

  private ModelRegistryServiceGrpc.ModelRegistryServiceBlockingStub stub() {
    return ModelRegistryServiceGrpc.newBlockingStub(clients.channel(CLIENT));
  }

  private static Model call(String field, String reference, Supplier<Model> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException error) {
      throw translate(field, reference, error);
    } catch (IllegalStateException notConfigured) {
      // divergence.clients.training.target unset, or the clients closed at shutdown
      throw new ModelRegistryUnavailableException("cannot reach the model registry for '" + reference + "': " + notConfigured.getMessage());
    }
  }

  static RuntimeException translate(String field, String reference, StatusRuntimeException error) {
    Status.Code code = error.getStatus().getCode();
    String description = error.getStatus().getDescription();
    if (code == Status.Code.NOT_FOUND) {
      return new InvalidArgumentException(field, "unknown model '" + reference + "': neither a built-in classifier (one of "
          + BuiltInClassifiers.NAMES + ") nor a model of the registry");
    }
    if (code == Status.Code.INVALID_ARGUMENT) {
      // the registry names its own request field: the field to fix is the caller's
      return new InvalidArgumentException(field, "'" + reference + "' rejected by the model registry: "
          + (description == null ? "invalid request" : description));
    }
    return new ModelRegistryUnavailableException("the model registry (training service) could not answer for '" + reference + "': "
        + code + (description == null ? "" : " (" + description + ")") + "; retry when the training service is reachable");
  }
}
