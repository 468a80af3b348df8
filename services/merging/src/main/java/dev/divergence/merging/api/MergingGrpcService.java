package dev.divergence.merging.api;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.divergence.merging.domain.MergeMetrics;
import dev.divergence.merging.domain.MergePlan;
import dev.divergence.merging.engine.MergedPrediction;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.merging.merge.MergeService;
import dev.divergence.proto.merging.v1.CreateMergeRequest;
import dev.divergence.proto.merging.v1.EvaluateRequest;
import dev.divergence.proto.merging.v1.EvaluateResponse;
import dev.divergence.proto.merging.v1.GetMergeRequest;
import dev.divergence.proto.merging.v1.InputRow;
import dev.divergence.proto.merging.v1.LambdaRange;
import dev.divergence.proto.merging.v1.Merge;
import dev.divergence.proto.merging.v1.MergingServiceGrpc;
import dev.divergence.proto.merging.v1.PredictRequest;
import dev.divergence.proto.merging.v1.PredictResponse;
import dev.divergence.proto.merging.v1.SamplePrediction;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/** gRPC face of the same {@link MergeService} as the REST controller; errors become INVALID_ARGUMENT / NOT_FOUND naming the field. */
@Component
public class MergingGrpcService extends MergingServiceGrpc.MergingServiceImplBase {

  private final MergeService merges;

  public MergingGrpcService(MergeService merges) {
    this.merges = merges;
  }

  @Override
  public void createMerge(CreateMergeRequest request, StreamObserver<Merge> response) {
    MergeService.Merge merge = merges.create(emptyToNull(request.getGeneralist()), emptyToNull(request.getExpert()),
        emptyToNull(request.getMethod()), fromStruct(request.getParameters()));
    reply(response, toProto(merge));
  }

  @Override
  public void getMerge(GetMergeRequest request, StreamObserver<Merge> response) {
    reply(response, toProto(merges.get(request.getMergeId())));
  }

  @Override
  public void predict(PredictRequest request, StreamObserver<PredictResponse> response) {
    MergedPrediction prediction = merges.predict(request.getMergeId(), inputs(request.getInputsList()));
    MergePlan plan = prediction.plan();
    PredictResponse.Builder reply = PredictResponse.newBuilder().setMergeId(request.getMergeId()).setMethod(plan.method())
        .setParameters(toStruct(plan.parameters())).setEffectiveLambdaRange(range(plan)).setLambdaWeights(plan.lambdaSide().apiName())
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
        .setParameters(toStruct(merge.method().parameters())).setBatchSize(batchSize).setSamples(metrics.samples())
        .setAccuracy(metrics.accuracy()).setEce(metrics.ece()).setMeanNll(metrics.meanNll())
        .setLambdaMin(metrics.lambda().min()).setLambdaMean(metrics.lambda().mean()).setLambdaMax(metrics.lambda().max())
        .setExpertDominatedShare(metrics.expertDominatedShare());
    for (int count : metrics.lambda().histogram()) {
      reply.addLambdaHistogram(count);
    }
    reply(response, reply.build());
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

  private Merge toProto(MergeService.Merge merge) {
    MergePlan plan = merges.describe(merge);
    var r = merge.record();
    return Merge.newBuilder().setMergeId(r.mergeId().toString()).setGeneralist(r.generalist()).setExpert(r.expert())
        .setMethod(r.method()).setParameters(toStruct(merge.method().parameters())).setEffectiveLambdaRange(range(plan))
        .setLambdaWeights(plan.lambdaSide().apiName())
        .setCreatedAt(Timestamp.newBuilder().setSeconds(r.createdAt().getEpochSecond()).setNanos(r.createdAt().getNano()))
        .build();
  }

  private static LambdaRange range(MergePlan plan) {
    return LambdaRange.newBuilder().setMin(plan.effectiveLambdaRange().min()).setMax(plan.effectiveLambdaRange().max()).build();
  }

  /** Struct values as the domain reads them: numbers as Double, strings, lists; null for a null value. */
  static Map<String, Object> fromStruct(Struct struct) {
    Map<String, Object> out = new LinkedHashMap<>();
    struct.getFieldsMap().forEach((name, value) -> out.put(name, fromValue(value)));
    return out;
  }

  private static Object fromValue(Value value) {
    return switch (value.getKindCase()) {
      case NUMBER_VALUE -> value.getNumberValue();
      case STRING_VALUE -> value.getStringValue();
      case BOOL_VALUE -> value.getBoolValue();
      case LIST_VALUE -> {
        List<Object> list = new ArrayList<>();
        value.getListValue().getValuesList().forEach(v -> list.add(fromValue(v)));
        yield list;
      }
      case STRUCT_VALUE -> fromStruct(value.getStructValue());
      default -> null;
    };
  }

  static Struct toStruct(Map<String, Object> map) {
    Struct.Builder struct = Struct.newBuilder();
    map.forEach((name, value) -> struct.putFields(name, toValue(value)));
    return struct.build();
  }

  private static Value toValue(Object value) {
    if (value instanceof Number n) {
      return Value.newBuilder().setNumberValue(n.doubleValue()).build();
    }
    if (value instanceof String s) {
      return Value.newBuilder().setStringValue(s).build();
    }
    if (value instanceof List<?> list) {
      ListValue.Builder l = ListValue.newBuilder();
      list.forEach(v -> l.addValues(toValue(v)));
      return Value.newBuilder().setListValue(l).build();
    }
    return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
  }

  private static <T> void reply(StreamObserver<T> response, T message) {
    response.onNext(message);
    response.onCompleted();
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
