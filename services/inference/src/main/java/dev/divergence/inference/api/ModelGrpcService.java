package dev.divergence.inference.api;

import com.google.protobuf.Timestamp;
import dev.divergence.inference.backend.RepositoryEntries;
import dev.divergence.inference.models.ModelLifecycle;
import dev.divergence.inference.models.StoredModelCatalog;
import dev.divergence.inference.store.CatalogEntry;
import dev.divergence.proto.inference.v1.GetModelRequest;
import dev.divergence.proto.inference.v1.ListModelsRequest;
import dev.divergence.proto.inference.v1.ListModelsResponse;
import dev.divergence.proto.inference.v1.LoadModelRequest;
import dev.divergence.proto.inference.v1.ModelKind;
import dev.divergence.proto.inference.v1.ModelServiceGrpc;
import dev.divergence.proto.inference.v1.ServedModel;
import dev.divergence.proto.inference.v1.ServingState;
import dev.divergence.proto.inference.v1.UnloadModelRequest;
import io.grpc.stub.StreamObserver;
import org.springframework.stereotype.Component;

/** gRPC face of the model catalog; errors map to gRPC statuses through the platform's interceptor. */
@Component
public class ModelGrpcService extends ModelServiceGrpc.ModelServiceImplBase {

  private final StoredModelCatalog catalog;
  private final ModelLifecycle lifecycle;

  public ModelGrpcService(StoredModelCatalog catalog, ModelLifecycle lifecycle) {
    this.catalog = catalog;
    this.lifecycle = lifecycle;
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> response) {
    ListModelsResponse.Builder reply = ListModelsResponse.newBuilder();
    catalog.entries().forEach(entry -> reply.addModels(toProto(entry)));
    reply(response, reply.build());
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<ServedModel> response) {
    reply(response, toProto(catalog.find(request.getName())));
  }

  @Override
  public void loadModel(LoadModelRequest request, StreamObserver<ServedModel> response) {
    catalog.findManageable(request.getName());
    reply(response, toProto(lifecycle.load(request.getName())));
  }

  @Override
  public void unloadModel(UnloadModelRequest request, StreamObserver<ServedModel> response) {
    catalog.findManageable(request.getName());
    reply(response, toProto(lifecycle.unload(request.getName())));
  }

  static ServedModel toProto(CatalogEntry entry) {
    ServedModel.Builder model = ServedModel.newBuilder()
        .setName(entry.name())
        .setVersion(Integer.toString(entry.version()))
        .setArchitecture(entry.architecture())
        .setVocabSize(entry.vocabSize())
        .setContextLength(entry.contextLength())
        .addAllClassNames(entry.classNames())
        .setState(ServingState.valueOf("SERVING_STATE_" + entry.state().name()))
        .setMessage(entry.message())
        .setSourceUri(entry.sourceUri())
        .setBuiltIn(entry.builtIn())
        .setBaseModel(nullToEmpty(entry.lineage().baseModel()))
        .setTeacherModel(nullToEmpty(entry.lineage().teacherModel()))
        .setReferenceModel(nullToEmpty(entry.lineage().referenceModel()))
        .setProducingJob(nullToEmpty(entry.lineage().producingJob()));
    if (entry.kind() != null) {
      model.setKind(ModelKind.valueOf("MODEL_KIND_" + entry.kind().name()))
          .addAllTritonModels(RepositoryEntries.tritonNames(entry.name(), entry.kind()));
    }
    if (entry.updatedAt() != null) {
      model.setUpdatedAt(Timestamp.newBuilder().setSeconds(entry.updatedAt().getEpochSecond()).setNanos(entry.updatedAt().getNano()));
    }
    return model.build();
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }

  private static <T> void reply(StreamObserver<T> response, T value) {
    response.onNext(value);
    response.onCompleted();
  }
}
