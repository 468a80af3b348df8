package dev.divergence.evaluation.events;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunState;
import dev.divergence.evaluation.run.SuiteResult;
import dev.divergence.proto.evaluation.v1.PromptItem;
import dev.divergence.proto.evaluation.v1.PromptSource;
import dev.divergence.proto.evaluation.v1.Run;
import dev.divergence.proto.evaluation.v1.RunProgress;
import dev.divergence.proto.evaluation.v1.SamplingSettings;
import dev.divergence.proto.inference.v1.DecodingStrategy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs as protobuf messages (events and gRPC answers) and back: one mapping for both. */
public final class RunMessages {

  private RunMessages() {
  }

  public static Run toProto(EvaluationRun run) {
    Run.Builder proto = Run.newBuilder()
        .setRunId(run.id().toString())
        .setDisplayName(run.displayName())
        .setState(toProto(run.state()))
        .setSpec(toProto(run.spec()))
        .setProgress(RunProgress.newBuilder().setDone(run.progress().done()).setTotal(run.progress().total())
            .setPercent(run.progress().percent()))
        .setTrigger(run.trigger().apiName())
        .setTenant(run.tenant())
        .setCreatedAt(timestamp(run.createdAt()));
    if (run.reason() != null) {
      proto.setReason(run.reason());
    }
    if (run.message() != null) {
      proto.setMessage(run.message());
    }
    if (run.startedAt() != null) {
      proto.setStartedAt(timestamp(run.startedAt()));
    }
    if (run.finishedAt() != null) {
      proto.setFinishedAt(timestamp(run.finishedAt()));
    }
    if (run.modelVersion() != null) {
      proto.setModelVersion(run.modelVersion());
    }
    if (run.producingJob() != null) {
      proto.setProducingJob(run.producingJob());
    }
    for (SuiteResult result : run.results()) {
      proto.addResults(toProto(result));
    }
    return proto.build();
  }

  public static dev.divergence.proto.evaluation.v1.RunState toProto(RunState state) {
    return dev.divergence.proto.evaluation.v1.RunState.valueOf("RUN_STATE_" + state.name());
  }

  public static RunState fromProto(dev.divergence.proto.evaluation.v1.RunState state) {
    return switch (state) {
      case RUN_STATE_UNSPECIFIED, UNRECOGNIZED -> null;
      default -> RunState.valueOf(state.name().substring("RUN_STATE_".length()));
    };
  }

  static dev.divergence.proto.evaluation.v1.SuiteResult toProto(SuiteResult result) {
    var proto = dev.divergence.proto.evaluation.v1.SuiteResult.newBuilder().setSuite(result.suite());
    result.metrics().forEach((name, estimate) -> proto.putMetrics(name, toProto(estimate)));
    proto.setDetails(struct(result.details()));
    return proto.build();
  }

  public static dev.divergence.proto.evaluation.v1.Estimate toProto(Estimate estimate) {
    var proto = dev.divergence.proto.evaluation.v1.Estimate.newBuilder().setN(estimate.n());
    if (estimate.mean() != null) {
      proto.setMean(estimate.mean());
    }
    if (estimate.lower() != null) {
      proto.setLower(estimate.lower());
    }
    if (estimate.upper() != null) {
      proto.setUpper(estimate.upper());
    }
    return proto.build();
  }

  public static dev.divergence.proto.evaluation.v1.RunSpec toProto(RunSpec spec) {
    var proto = dev.divergence.proto.evaluation.v1.RunSpec.newBuilder();
    if (spec.model() != null) {
      proto.setModel(spec.model());
    }
    if (spec.referenceModel() != null) {
      proto.setReferenceModel(spec.referenceModel());
    }
    if (spec.suites() != null) {
      proto.addAllSuites(spec.suites());
    }
    if (spec.prompts() != null) {
      RunSpec.PromptSource source = spec.prompts();
      PromptSource.Builder prompts = PromptSource.newBuilder();
      if (source.builtIn() != null) {
        prompts.setBuiltIn(source.builtIn());
      }
      if (source.dataset() != null) {
        prompts.setDataset(source.dataset());
      }
      if (source.split() != null) {
        prompts.setSplit(source.split());
      }
      if (source.items() != null) {
        for (RunSpec.PromptItem item : source.items()) {
          PromptItem.Builder p = PromptItem.newBuilder().setPrompt(nullToEmpty(item.prompt()));
          p.setAnswer(nullToEmpty(item.answer())).setContext(nullToEmpty(item.context()))
              .setPriorAnswer(nullToEmpty(item.priorAnswer()));
          prompts.addItems(p);
        }
      }
      if (source.limit() != null) {
        prompts.setLimit(source.limit());
      }
      if (source.seed() != null) {
        prompts.setSeed(source.seed());
      }
      proto.setPrompts(prompts);
    }
    if (spec.sampling() != null) {
      RunSpec.Sampling s = spec.sampling();
      SamplingSettings.Builder sampling = SamplingSettings.newBuilder();
      if (s.samples() != null) {
        sampling.setSamples(s.samples());
      }
      if (s.temperature() != null) {
        sampling.setTemperature(s.temperature());
      }
      if (s.topK() != null) {
        sampling.setTopK(s.topK());
      }
      if (s.topP() != null) {
        sampling.setTopP(s.topP());
      }
      if (s.maxTokens() != null) {
        sampling.setMaxTokens(s.maxTokens());
      }
      if (s.seed() != null) {
        sampling.setSeed(s.seed());
      }
      proto.setSampling(sampling);
    }
    if (spec.divergences() != null) {
      proto.addAllDivergences(spec.divergences());
    }
    if (spec.passAtK() != null) {
      proto.addAllPassAtK(spec.passAtK());
    }
    if (spec.strategies() != null) {
      for (RunSpec.Strategy strategy : spec.strategies()) {
        proto.addStrategies(toProto(strategy));
      }
    }
    if (spec.confidenceLevel() != null) {
      proto.setConfidenceLevel(spec.confidenceLevel());
    }
    if (spec.bins() != null) {
      proto.setBins(spec.bins());
    }
    return proto.build();
  }

  public static DecodingStrategy toProto(RunSpec.Strategy strategy) {
    DecodingStrategy.Builder proto = DecodingStrategy.newBuilder().setName(nullToEmpty(strategy.name()));
    if (strategy.alpha() != null) {
      proto.setAlpha(strategy.alpha());
    }
    if (strategy.alphaFloor() != null) {
      proto.setAlphaFloor(strategy.alphaFloor());
    }
    if (strategy.threshold() != null) {
      proto.setThreshold(strategy.threshold());
    }
    if (strategy.fraction() != null) {
      proto.setFraction(strategy.fraction());
    }
    if (strategy.weights() != null) {
      proto.addAllWeights(strategy.weights());
    }
    return proto.build();
  }

  /** A spec from gRPC: unset optional fields stay null so the validator applies the same defaults as REST. */
  public static RunSpec fromProto(dev.divergence.proto.evaluation.v1.RunSpec proto) {
    RunSpec.PromptSource prompts = null;
    if (proto.hasPrompts()) {
      PromptSource p = proto.getPrompts();
      List<RunSpec.PromptItem> items = p.getItemsCount() == 0 ? null : p.getItemsList().stream()
          .map(i -> new RunSpec.PromptItem(i.getPrompt(), emptyToNull(i.getAnswer()), emptyToNull(i.getContext()),
              emptyToNull(i.getPriorAnswer()))).toList();
      prompts = new RunSpec.PromptSource(emptyToNull(p.getBuiltIn()), emptyToNull(p.getDataset()), emptyToNull(p.getSplit()),
          items, p.getLimit() == 0 ? null : p.getLimit(), p.getSeed() == 0 ? null : p.getSeed());
    }
    RunSpec.Sampling sampling = null;
    if (proto.hasSampling()) {
      SamplingSettings s = proto.getSampling();
      sampling = new RunSpec.Sampling(s.getSamples() == 0 ? null : s.getSamples(), s.hasTemperature() ? s.getTemperature() : null,
          s.hasTopK() ? s.getTopK() : null, s.hasTopP() ? s.getTopP() : null, s.hasMaxTokens() ? s.getMaxTokens() : null,
          s.getSeed() == 0 ? null : s.getSeed());
    }
    List<RunSpec.Strategy> strategies = proto.getStrategiesList().stream()
        .map(s -> new RunSpec.Strategy(s.getName(), s.hasAlpha() ? s.getAlpha() : null, s.hasAlphaFloor() ? s.getAlphaFloor() : null,
            s.hasThreshold() ? s.getThreshold() : null, s.hasFraction() ? s.getFraction() : null,
            s.getWeightsCount() == 0 ? null : s.getWeightsList())).toList();
    return new RunSpec(emptyToNull(proto.getModel()), emptyToNull(proto.getReferenceModel()), proto.getSuitesList(), prompts,
        sampling, proto.getDivergencesList(), proto.getPassAtKList(), strategies,
        proto.hasConfidenceLevel() ? proto.getConfidenceLevel() : null, proto.hasBins() ? proto.getBins() : null);
  }

  static Struct struct(Map<String, Object> map) {
    Struct.Builder struct = Struct.newBuilder();
    map.forEach((key, value) -> struct.putFields(key, value(value)));
    return struct.build();
  }

  @SuppressWarnings("unchecked")
  private static Value value(Object value) {
    if (value == null) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    if (value instanceof Number number) {
      return Value.newBuilder().setNumberValue(number.doubleValue()).build();
    }
    if (value instanceof Boolean bool) {
      return Value.newBuilder().setBoolValue(bool).build();
    }
    if (value instanceof Map<?, ?> map) {
      return Value.newBuilder().setStructValue(struct((Map<String, Object>) map)).build();
    }
    if (value instanceof Iterable<?> list) {
      ListValue.Builder values = ListValue.newBuilder();
      list.forEach(item -> values.addValues(value(item)));
      return Value.newBuilder().setListValue(values).build();
    }
    if (value instanceof double[] array) {
      List<Object> boxed = new ArrayList<>(array.length);
      for (double d : array) {
        boxed.add(d);
      }
      return value(boxed);
    }
    if (value instanceof Estimate estimate) {
      Map<String, Object> fields = new java.util.LinkedHashMap<>();
      fields.put("mean", estimate.mean());
      fields.put("lower", estimate.lower());
      fields.put("upper", estimate.upper());
      fields.put("n", estimate.n());
      return value(fields);
    }
    return Value.newBuilder().setStringValue(value.toString()).build();
  }

  public static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
