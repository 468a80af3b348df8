package dev.divergence.merging.events;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.divergence.merging.domain.MergePlan;
import dev.divergence.merging.merge.MergeService;
import dev.divergence.proto.merging.v1.LambdaRange;
import dev.divergence.proto.merging.v1.Merge;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Protobuf forms of merges and method parameters, shared by the gRPC API and the events. */
public final class MergeMessages {

  private MergeMessages() {
  }

  /** The merge as on the API and in events; {@code plan} carries its effective lambda range and side. */
  public static Merge toProto(MergeService.Merge merge, MergePlan plan) {
    var r = merge.record();
    return Merge.newBuilder().setMergeId(r.mergeId().toString()).setGeneralist(r.generalist()).setExpert(r.expert())
        .setMethod(r.method()).setParameters(toStruct(merge.method().parameters())).setEffectiveLambdaRange(range(plan))
        .setLambdaWeights(plan.lambdaSide().apiName())
        .setCreatedAt(Timestamp.newBuilder().setSeconds(r.createdAt().getEpochSecond()).setNanos(r.createdAt().getNano()))
        .build();
  }

  public static LambdaRange range(MergePlan plan) {
    return LambdaRange.newBuilder().setMin(plan.effectiveLambdaRange().min()).setMax(plan.effectiveLambdaRange().max()).build();
  }

  /** Struct values as the domain reads them: numbers as Double, strings, lists; null for a null value. */
  public static Map<String, Object> fromStruct(Struct struct) {
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

  public static Struct toStruct(Map<String, Object> map) {
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
}
