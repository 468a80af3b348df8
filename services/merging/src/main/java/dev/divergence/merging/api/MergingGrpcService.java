package dev.divergence.merging.api;

import dev.divergence.merging.domain.MergeMetrics;
import dev.divergence.merging.domain.MergePlan;
import dev.divergence.merging.engine.MergedPrediction;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.merging.events.MergeMessages;
import dev.divergence.merging.merge.MergeExporter;
import dev.divergence.merging.merge.MergeService;
import dev.divergence.proto.merging.v1.ExportMergeRequest;
import dev.divergence.proto.merging.v1.ExportedMerge;
import dev.divergence.proto.merging.v1.CreateMergeRequest;
import dev.divergence.proto.merging.v1.EvaluateRequest;
import dev.divergence.proto.merging.v1.EvaluateResponse;
import dev.divergence.proto.merging.v1.GetMergeRequest;
import dev.divergence.proto.merging.v1.InputRow;
import dev.divergence.proto.merging.v1.Merge;
import dev.divergence.proto.merging.v1.MergingServiceGrpc;
import dev.divergence.proto.merging.v1.PredictRequest;
import dev.divergence.proto.merging.v1.PredictResponse;
import dev.divergence.proto.merging.v1.SamplePrediction;
import dev.divergence.proto.merging.v1.SweepPoint;
import dev.divergence.proto.merging.v1.SweepWiseFtRequest;
import dev.divergence.proto.merging.v1.SweepWiseFtResponse;
import dev.divergence.merging.events.ExperimentMessages;
import dev.divergence.merging.experiment.ExperimentService;
import dev.divergence.merging.experiment.MergeExperiment;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.proto.merging.v1.CancelExperimentRequest;
import dev.divergence.proto.merging.v1.CreateExperimentRequest;
import dev.divergence.proto.merging.v1.Experiment;
import dev.divergence.proto.merging.v1.GetExperimentRequest;
import dev.divergence.proto.merging.v1.ListExperimentsRequest;
import dev.divergence.proto.merging.v1.ListExperimentsResponse;
import dev.divergence.proto.merging.v1.WatchExperimentRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import org.springframework.stereotype.Component;

/** gRPC face of the same {@link MergeService} as the REST controller; errors become INVALID_ARGUMENT / NOT_FOUND naming the field. */
@Component
public class MergingGrpcService extends MergingServiceGrpc.MergingServiceImplBase {

  private final MergeService merges;
  private final MergeExporter exporter;
  private final ExperimentService experiments;
  private final ExperimentWatcher watcher;

  public MergingGrpcService(MergeService merges, MergeExporter exporter, ExperimentService experiments, ExperimentWatcher watcher) {
    this.merges = merges;
    this.exporter = exporter;
    this.experiments = experiments;
    this.watcher = watcher;
  }

  @Override
  public void createMerge(CreateMergeRequest request, StreamObserver<Merge> response) {
    MergeService.Merge merge = merges.create(emptyToNull(request.getGeneralist()), emptyToNull(request.getExpert()),
        emptyToNull(request.getMethod()), MergeMessages.fromStruct(request.getParameters()));
    reply(response, MergeMessages.toProto(merge, merges.describe(merge)));
  }

  @Override
  public void getMerge(GetMergeRequest request, StreamObserver<Merge> response) {
    reply(response, describe(merges.get(request.getMergeId())));
  }

  @Override
  public void predict(PredictRequest request, StreamObserver<PredictResponse> response) {
    MergedPrediction prediction = merges.predict(request.getMergeId(), inputs(request.getInputsList()));
    MergePlan plan = prediction.plan();
    PredictResponse.Builder reply = PredictResponse.newBuilder().setMergeId(request.getMergeId()).setMethod(plan.method())
        .setParameters(MergeMessages.toStruct(plan.parameters())).setEffectiveLambdaRange(MergeMessages.range(plan)).setLambdaWeights(plan.lambdaSide().apiName())
        .setJsUnit(plan.jsUnit());
    for (int i = 0; i < plan.size(); i++) {
      SamplePrediction.Builder sample = SamplePrediction.newBuilder().setPredictedClass(prediction.predictedClass(i))
          .setJsDivergence(plan.jsDivergence()[i]).setLambda(plan.lambda()[i]).setGeneralistWeight(plan.generalistWeight()[i])
          .setDominant(plan.dominant(i));
      for (double p : prediction.probabilities()[i]) {
        sample.addProbabilities(p);
      }
      reply.addPredictions(sample);
    }
    reply(response, reply.build());
  }

  @Override
  public void evaluate(EvaluateRequest request, StreamObserver<EvaluateResponse> response) {
    int[] labels = request.getLabelsList().stream().mapToInt(Integer::intValue).toArray();
    int batchSize = request.getBatchSize() == 0 ? ModelPair.DEFAULT_EVALUATION_BATCH : request.getBatchSize();
    MergeMetrics metrics = merges.evaluate(request.getMergeId(), inputs(request.getInputsList()), labels, batchSize);
    MergeService.Merge merge = merges.get(request.getMergeId());
    EvaluateResponse.Builder reply = EvaluateResponse.newBuilder().setMergeId(request.getMergeId()).setMethod(merge.record().method())
        .setParameters(MergeMessages.toStruct(merge.method().parameters())).setBatchSize(batchSize).setSamples(metrics.samples())
        .setAccuracy(metrics.accuracy()).setEce(metrics.ece()).setMeanNll(metrics.meanNll())
        .setLambdaMin(metrics.lambda().min()).setLambdaMean(metrics.lambda().mean()).setLambdaMax(metrics.lambda().max())
        .setExpertDominatedShare(metrics.expertDominatedShare());
    for (int count : metrics.lambda().histogram()) {
      reply.addLambdaHistogram(count);
    }
    reply(response, reply.build());
  }

  @Override
  public void sweepWiseFt(SweepWiseFtRequest request, StreamObserver<SweepWiseFtResponse> response) {
    int[] labels = request.getLabelsList().stream().mapToInt(Integer::intValue).toArray();
    int batchSize = request.getBatchSize() == 0 ? ModelPair.DEFAULT_EVALUATION_BATCH : request.getBatchSize();
    List<MergeService.SweepPoint> points = merges.sweepWiseFt(emptyToNull(request.getGeneralist()), emptyToNull(request.getExpert()),
        MergeMessages.fromStruct(request.getParameters()), inputs(request.getInputsList()), labels, batchSize);
    SweepWiseFtResponse.Builder reply = SweepWiseFtResponse.newBuilder().setBatchSize(batchSize)
        .setBestAlpha(MergeService.best(points).alpha());
    for (MergeService.SweepPoint p : points) {
      reply.addPoints(SweepPoint.newBuilder().setAlpha(p.alpha()).setAccuracy(p.metrics().accuracy()).setEce(p.metrics().ece())
          .setMeanNll(p.metrics().meanNll()));
    }
    reply(response, reply.build());
  }

  @Override
  public void exportMerge(ExportMergeRequest request, StreamObserver<ExportedMerge> response) {
    MergeExporter.Export export = exporter.export(request.getMergeId(), emptyToNull(request.getName()));
    reply(response, ExportedMerge.newBuilder().setMergeId(export.mergeId()).setModel(export.model()).setUri(export.uri())
        .setArchitecture(export.architecture()).build());
  }

  @Override
  public void createExperiment(CreateExperimentRequest request, StreamObserver<Experiment> response) {
    if (!request.hasSpec()) {
      throw new InvalidArgumentException("spec", "is required");
    }
    ExperimentService.Creation creation = experiments.create(TenantContext.current(), request.getIdempotencyKey(),
        emptyToNull(request.getDisplayName()), ExperimentMessages.fromProto(request.getSpec()));
    reply(response, ExperimentMessages.toProto(creation.experiment()));
  }

  @Override
  public void getExperiment(GetExperimentRequest request, StreamObserver<Experiment> response) {
    reply(response, ExperimentMessages.toProto(experiments.get(TenantContext.current(), request.getExperimentId())));
  }

  @Override
  public void listExperiments(ListExperimentsRequest request, StreamObserver<ListExperimentsResponse> response) {
    int size = request.getPageSize() == 0 ? ExperimentService.DEFAULT_PAGE : request.getPageSize();
    List<MergeExperiment> page = experiments.list(TenantContext.current(), ExperimentMessages.fromProto(request.getState()),
        request.getMergeId(), request.getPageToken(), size);
    ListExperimentsResponse.Builder body = ListExperimentsResponse.newBuilder();
    page.forEach(e -> body.addExperiments(ExperimentMessages.toProto(e)));
    if (page.size() == size) {
      body.setNextPageToken(page.get(page.size() - 1).id().toString());
    }
    reply(response, body.build());
  }

  @Override
  public void cancelExperiment(CancelExperimentRequest request, StreamObserver<Experiment> response) {
    reply(response, ExperimentMessages.toProto(experiments.cancel(TenantContext.current(), request.getExperimentId())));
  }

  @Override
  public void watchExperiment(WatchExperimentRequest request, StreamObserver<Experiment> response) {
    MergeExperiment experiment = experiments.get(TenantContext.current(), request.getExperimentId());
    ServerCallStreamObserver<Experiment> stream = (ServerCallStreamObserver<Experiment>) response;
    Runnable stop = watcher.watch(experiment.id(), update -> {
      synchronized (stream) {
        if (!stream.isCancelled()) {
          stream.onNext(ExperimentMessages.toProto(update));
        }
      }
    }, () -> {
      synchronized (stream) {
        if (!stream.isCancelled()) {
          stream.onCompleted();
        }
      }
    }, error -> {
      synchronized (stream) {
        if (!stream.isCancelled()) {
          stream.onError(Status.INTERNAL.withDescription("watching the experiment failed").asRuntimeException());
        }
      }
    });
    stream.setOnCancelHandler(stop);
  }

  private static float[][] inputs(List<InputRow> rows) {
    float[][] inputs = new float[rows.size()][];
    for (int i = 0; i < inputs.length; i++) {
      InputRow row = rows.get(i);
      inputs[i] = new float[row.getValuesCount()];
      for (int j = 0; j < inputs[i].length; j++) {
        inputs[i][j] = row.getValues(j);
      }
    }
    return inputs;
  }

  private Merge describe(MergeService.Merge merge) {
    return MergeMessages.toProto(merge, merges.describe(merge));
  }

  private static <T> void reply(StreamObserver<T> response, T message) {
    response.onNext(message);
    response.onCompleted();
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
