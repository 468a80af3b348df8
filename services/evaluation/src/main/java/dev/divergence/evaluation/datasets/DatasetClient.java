package dev.divergence.evaluation.datasets;

import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.grpc.client.GrpcClients;
import dev.divergence.proto.training.v1.Dataset;
import dev.divergence.proto.training.v1.DatasetRecord;
import dev.divergence.proto.training.v1.DatasetServiceGrpc;
import dev.divergence.proto.training.v1.GetDatasetRequest;
import dev.divergence.proto.training.v1.ReadDatasetRecordsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * Reads datasets from the training service's registry through its public gRPC API
 * ({@code DatasetService}, client {@code divergence.clients.training}); never from its database or files.
 *
 * <p>{@code split} is "train", "test" or "" / null for every record (the trainers' splits, see
 * docs/datasets.md); {@code limit} 0 reads every record. An unknown dataset is a
 * {@link DatasetNotFoundException}; a dataset of another kind than the reader needs, or an argument
 * the training service rejects, an {@link InvalidArgumentException} naming the field ({@code dataset},
 * {@code split}, {@code limit}). Other failures (training unavailable, deadline) stay gRPC statuses.
 */
@Component
public class DatasetClient {

  /** The client's name in {@code divergence.clients.*}. */
  public static final String CLIENT = "training";

  private final GrpcClients clients;

  public DatasetClient(GrpcClients clients) {
    this.clients = clients;
  }

  public DatasetInfo describe(String dataset) {
    requireName(dataset);
    Dataset reply = call(dataset, () -> stub().getDataset(GetDatasetRequest.newBuilder().setName(dataset).build()));
    return new DatasetInfo(reply.getName(), reply.getKind(), reply.getBuiltIn(), reply.getDescription(), reply.getRecords(),
        reply.getTrainRecords(), reply.getTestRecords());
  }

  /** Rows of a classification dataset: features, labels, and each row's split. */
  public ClassificationRows readClassification(String dataset, String split, int limit) {
    requireKind(describe(dataset), DatasetInfo.CLASSIFICATION);
    return DatasetRecordParser.classification(dataset, read(dataset, split, limit));
  }

  /** Records of a text dataset ({"text"} or {"prompt","completion"}). */
  public List<TextRecord> readTexts(String dataset, String split, int limit) {
    requireKind(describe(dataset), DatasetInfo.TEXT);
    return read(dataset, split, limit).stream().map(record -> DatasetRecordParser.text(dataset, record)).toList();
  }

  /** Records of a preference dataset ({"prompt","chosen","rejected"}). */
  public List<PreferenceRecord> readPreferences(String dataset, String split, int limit) {
    requireKind(describe(dataset), DatasetInfo.PREFERENCE);
    return read(dataset, split, limit).stream().map(record -> DatasetRecordParser.preference(dataset, record)).toList();
  }

  /** The kind check, apart from the call so that its message can be tested alone. */
  static void requireKind(DatasetInfo dataset, String kind) {
    if (!dataset.kind().equals(kind)) {
      throw new InvalidArgumentException("dataset", "'" + dataset.name() + "' holds " + dataset.kind()
          + " records; " + kind + " records are needed");
    }
  }

  /**
   * A failed call as this service reports it: NOT_FOUND is the dataset's absence, INVALID_ARGUMENT
   * keeps the fields the training service named; anything else is passed on unchanged.
   */
  static RuntimeException translate(String dataset, StatusRuntimeException error) {
    Status.Code code = error.getStatus().getCode();
    if (code == Status.Code.NOT_FOUND) {
      return new DatasetNotFoundException(dataset);
    }
    if (code == Status.Code.INVALID_ARGUMENT) {
      String fields = error.getTrailers() == null ? null : error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS);
      String message = error.getStatus().getDescription() == null ? "rejected by the training service"
          : error.getStatus().getDescription();
      List<String> named = fields == null || fields.isEmpty() ? List.of("dataset") : Arrays.asList(fields.split(","));
      return new InvalidArgumentException(named.stream().map(field -> new FieldViolation(field, message)).toList());
    }
    return error;
  }

  private List<DatasetRecord> read(String dataset, String split, int limit) {
    if (limit < 0) {
      throw new InvalidArgumentException("limit", "must not be negative (0 = every record)");
    }
    ReadDatasetRecordsRequest request = ReadDatasetRecordsRequest.newBuilder().setName(dataset)
        .setSplit(split == null ? "" : split).setLimit(limit).build();
    return call(dataset, () -> {
      List<DatasetRecord> records = new ArrayList<>();
      stub().readDatasetRecords(request).forEachRemaining(batch -> records.addAll(batch.getRecordsList()));
      return records;
    });
  }

  private DatasetServiceGrpc.DatasetServiceBlockingStub stub() {
    return DatasetServiceGrpc.newBlockingStub(clients.channel(CLIENT));
  }

  private static <T> T call(String dataset, Supplier<T> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException error) {
      throw translate(dataset, error);
    }
  }

  private static void requireName(String dataset) {
    if (dataset == null || dataset.isEmpty()) {
      throw new InvalidArgumentException("dataset", "is required");
    }
  }
}
