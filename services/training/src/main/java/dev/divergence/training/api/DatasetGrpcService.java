package dev.divergence.training.api;

import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.proto.training.v1.Dataset;
import dev.divergence.proto.training.v1.DatasetRecord;
import dev.divergence.proto.training.v1.DatasetRecordBatch;
import dev.divergence.proto.training.v1.DatasetServiceGrpc;
import dev.divergence.proto.training.v1.GetDatasetRequest;
import dev.divergence.proto.training.v1.ReadDatasetRecordsRequest;
import dev.divergence.training.trainer.data.DatasetRecords;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * gRPC face of the dataset registry's records. A read streams batches only while the client keeps
 * up (gRPC flow control: the next batch is produced when the transport is ready again, so a slow
 * reader of a million-record upload does not make the server buffer it), and stops reading the
 * moment the call is cancelled or its deadline passes.
 */
@Component
public class DatasetGrpcService extends DatasetServiceGrpc.DatasetServiceImplBase {

  private static final Logger log = LoggerFactory.getLogger(DatasetGrpcService.class);

  /** Records per message: a classification record is at most a few KiB, far below the 4 MiB default limit. */
  static final int BATCH_RECORDS = 256;

  private final DatasetReader reader;
  private final AtomicInteger openReads = new AtomicInteger();

  public DatasetGrpcService(DatasetReader reader) {
    this.reader = reader;
  }

  @Override
  public void getDataset(GetDatasetRequest request, StreamObserver<Dataset> response) {
    DatasetReader.Description description = reader.describe(request.getName());
    var dataset = description.dataset();
    response.onNext(Dataset.newBuilder().setName(dataset.name()).setKind(dataset.kind().apiName())
        .setBuiltIn(dataset.builtIn()).setDescription(dataset.description() == null ? "" : dataset.description())
        .setRecords(description.counts().total()).setTrainRecords(description.counts().train())
        .setTestRecords(description.counts().test()).build());
    response.onCompleted();
  }

  @Override
  public void readDatasetRecords(ReadDatasetRecordsRequest request, StreamObserver<DatasetRecordBatch> response) {
    // argument errors and an unknown dataset are thrown here, before anything is sent: the
    // platform's interceptor turns them into INVALID_ARGUMENT / NOT_FOUND
    DatasetRecords.Cursor cursor = reader.open(request.getName(), request.getSplit(), request.getOffset(), request.getLimit());
    openReads.incrementAndGet();
    ServerCallStreamObserver<DatasetRecordBatch> stream = (ServerCallStreamObserver<DatasetRecordBatch>) response;
    AtomicBoolean finished = new AtomicBoolean();
    Runnable release = () -> {
      if (finished.compareAndSet(false, true)) {
        try {
          cursor.close();
        } finally {
          openReads.decrementAndGet();
        }
      }
    };
    stream.setOnCancelHandler(release);
    // gRPC runs this whenever the call can take more messages (also once after this method returns);
    // callbacks of one call never run concurrently
    stream.setOnReadyHandler(() -> {
      try {
        while (!finished.get() && stream.isReady() && !stream.isCancelled()) {
          List<DatasetRecords.Record> records = cursor.next(BATCH_RECORDS);
          if (records.isEmpty()) {
            release.run();
            stream.onCompleted();
            return;
          }
          DatasetRecordBatch.Builder batch = DatasetRecordBatch.newBuilder();
          for (DatasetRecords.Record record : records) {
            batch.addRecords(DatasetRecord.newBuilder().setIndex(record.index()).setSplit(record.split()).setJson(record.json()));
          }
          stream.onNext(batch.build());
        }
      } catch (RuntimeException error) {
        release.run();
        StatusRuntimeException status = GrpcStatusMapper.toStatus(error);
        if (status.getStatus().getCode() == Status.Code.INTERNAL) {
          log.error("reading dataset '{}' failed", request.getName(), error);
        }
        if (!stream.isCancelled()) {
          stream.onError(status);
        }
      }
    });
  }

  /** Reads still holding their records (an upload's open file): for tests of cancellation. */
  int openReads() {
    return openReads.get();
  }
}
