package dev.divergence.merging.events;

import com.google.protobuf.Timestamp;
import dev.divergence.merging.experiment.ExperimentResults;
import dev.divergence.merging.experiment.ExperimentSpec;
import dev.divergence.merging.experiment.ExperimentState;
import dev.divergence.merging.experiment.MergeExperiment;
import dev.divergence.proto.merging.v1.Experiment;
import dev.divergence.proto.merging.v1.ExperimentProgress;
import dev.divergence.proto.merging.v1.ExperimentSplit;
import dev.divergence.proto.merging.v1.InputRow;
import dev.divergence.proto.merging.v1.LambdaDistribution;
import dev.divergence.proto.merging.v1.MethodResult;
import dev.divergence.proto.merging.v1.SeedEstimate;
import dev.divergence.proto.merging.v1.SplitResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Protobuf forms of experiments, shared by the gRPC API and the events. */
public final class ExperimentMessages {

  private ExperimentMessages() {
  }

  public static Experiment toProto(MergeExperiment e) {
    Experiment.Builder b = Experiment.newBuilder().setExperimentId(e.id().toString()).setDisplayName(e.displayName())
        .setState(toProto(e.state())).setSpec(toProto(e.spec()))
        .setProgress(ExperimentProgress.newBuilder().setDone(e.progress().done()).setTotal(e.progress().total())
            .setPercent(e.progress().percent()))
        .setTenant(e.tenant());
    if (e.reason() != null) {
      b.setReason(e.reason());
    }
    if (e.message() != null) {
      b.setMessage(e.message());
    }
    setTime(e.createdAt(), b::setCreatedAt);
    setTime(e.startedAt(), b::setStartedAt);
    setTime(e.finishedAt(), b::setFinishedAt);
    if (e.results() != null) {
      b.setResults(toProto(e.results()));
    }
    return b.build();
  }

  private static void setTime(Instant instant, java.util.function.Consumer<Timestamp> setter) {
    if (instant != null) {
      setter.accept(Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build());
    }
  }

  public static dev.divergence.proto.merging.v1.ExperimentState toProto(ExperimentState state) {
    return switch (state) {
      case QUEUED -> dev.divergence.proto.merging.v1.ExperimentState.EXPERIMENT_QUEUED;
      case RUNNING -> dev.divergence.proto.merging.v1.ExperimentState.EXPERIMENT_RUNNING;
      case SUCCEEDED -> dev.divergence.proto.merging.v1.ExperimentState.EXPERIMENT_SUCCEEDED;
      case FAILED -> dev.divergence.proto.merging.v1.ExperimentState.EXPERIMENT_FAILED;
      case CANCELLED -> dev.divergence.proto.merging.v1.ExperimentState.EXPERIMENT_CANCELLED;
    };
  }

  /** null for UNSPECIFIED (no filter); an unknown number is rejected naming {@code state}. */
  public static ExperimentState fromProto(dev.divergence.proto.merging.v1.ExperimentState state) {
    return switch (state) {
      case EXPERIMENT_STATE_UNSPECIFIED -> null;
      case EXPERIMENT_QUEUED -> ExperimentState.QUEUED;
      case EXPERIMENT_RUNNING -> ExperimentState.RUNNING;
      case EXPERIMENT_SUCCEEDED -> ExperimentState.SUCCEEDED;
      case EXPERIMENT_FAILED -> ExperimentState.FAILED;
      case EXPERIMENT_CANCELLED -> ExperimentState.CANCELLED;
      case UNRECOGNIZED -> throw new dev.divergence.platform.errors.InvalidArgumentException("state", "unknown experiment state");
    };
  }

  public static dev.divergence.proto.merging.v1.ExperimentSpec toProto(ExperimentSpec spec) {
    var b = dev.divergence.proto.merging.v1.ExperimentSpec.newBuilder();
    if (spec.mergeId() != null) {
      b.setMergeId(spec.mergeId());
    }
    if (spec.generalist() != null) {
      b.setGeneralist(spec.generalist());
    }
    if (spec.expert() != null) {
      b.setExpert(spec.expert());
    }
    if (spec.method() != null) {
      b.setMethod(spec.method());
    }
    if (spec.parameters() != null) {
      b.setParameters(MergeMessages.toStruct(spec.parameters()));
    }
    if (spec.methods() != null) {
      b.addAllMethods(spec.methods());
    }
    if (spec.splits() != null) {
      for (ExperimentSpec.Split split : spec.splits()) {
        ExperimentSplit.Builder s = ExperimentSplit.newBuilder().setName(split.name());
        if (split.inputs() != null) {
          for (float[] row : split.inputs()) {
            InputRow.Builder r = InputRow.newBuilder();
            for (float v : row) {
              r.addValues(v);
            }
            s.addInputs(r);
          }
        }
        if (split.labels() != null) {
          for (int label : split.labels()) {
            s.addLabels(label);
          }
        }
        b.addSplits(s);
      }
    }
    if (spec.seeds() != null) {
      b.setSeeds(spec.seeds());
    }
    if (spec.batchSize() != null) {
      b.setBatchSize(spec.batchSize());
    }
    return b.build();
  }

  /** The spec a gRPC request asks for; proto3 defaults (empty, 0) mean "not given". */
  public static ExperimentSpec fromProto(dev.divergence.proto.merging.v1.ExperimentSpec spec) {
    List<ExperimentSpec.Split> splits = null;
    if (spec.getSplitsCount() > 0) {
      splits = new ArrayList<>();
      for (ExperimentSplit s : spec.getSplitsList()) {
        float[][] inputs = null;
        if (s.getInputsCount() > 0) {
          inputs = new float[s.getInputsCount()][];
          for (int i = 0; i < inputs.length; i++) {
            InputRow row = s.getInputs(i);
            inputs[i] = new float[row.getValuesCount()];
            for (int j = 0; j < inputs[i].length; j++) {
              inputs[i][j] = row.getValues(j);
            }
          }
        }
        int[] labels = s.getLabelsCount() == 0 ? null : s.getLabelsList().stream().mapToInt(Integer::intValue).toArray();
        splits.add(new ExperimentSpec.Split(s.getName().isEmpty() ? null : s.getName(), inputs, labels));
      }
    }
    return new ExperimentSpec(emptyToNull(spec.getMergeId()), emptyToNull(spec.getGeneralist()), emptyToNull(spec.getExpert()),
        emptyToNull(spec.getMethod()), spec.hasParameters() ? MergeMessages.fromStruct(spec.getParameters()) : null,
        spec.getMethodsCount() == 0 ? null : List.copyOf(spec.getMethodsList()), splits,
        spec.getSeeds() == 0 ? null : spec.getSeeds(), spec.getBatchSize() == 0 ? null : spec.getBatchSize());
  }

  public static dev.divergence.proto.merging.v1.ExperimentResults toProto(ExperimentResults results) {
    var b = dev.divergence.proto.merging.v1.ExperimentResults.newBuilder().setGeneralist(results.generalist())
        .setExpert(results.expert()).setSeeds(results.seeds()).setBatchSize(results.batchSize()).setSeedUse(results.seedUse());
    for (ExperimentResults.SplitResult split : results.splits()) {
      SplitResult.Builder s = SplitResult.newBuilder().setSplit(split.split()).setSamples(split.samples());
      if (split.bestBaseline() != null) {
        s.setBestBaseline(split.bestBaseline());
      }
      for (ExperimentResults.MethodResult m : split.methods()) {
        MethodResult.Builder r = MethodResult.newBuilder().setMethod(m.method()).setParameters(MergeMessages.toStruct(m.parameters()))
            .setBaseline(m.baseline()).setAccuracy(toProto(m.accuracy())).setEce(toProto(m.ece()));
        if (m.errorReduction() != null) {
          r.setErrorReduction(toProto(m.errorReduction()));
        }
        var l = m.lambda();
        LambdaDistribution.Builder lambda = LambdaDistribution.newBuilder().setMean(l.mean());
        for (double q : l.quantileLevels()) {
          lambda.addQuantileLevels(q);
        }
        for (double q : l.quantiles()) {
          lambda.addQuantiles(q);
        }
        for (long c : l.histogram()) {
          lambda.addHistogram(c);
        }
        r.setLambda(lambda);
        if (m.bestAlpha() != null) {
          r.setBestAlpha(m.bestAlpha());
          for (double a : m.sweepAlphas()) {
            r.addSweepAlphas(a);
          }
          for (double a : m.sweepAccuracy()) {
            r.addSweepAccuracy(a);
          }
        }
        s.addMethods(r);
      }
      b.addSplits(s);
    }
    return b.build();
  }

  private static SeedEstimate toProto(ExperimentResults.SeedEstimate e) {
    return SeedEstimate.newBuilder().setMean(e.mean()).setLower(e.lower()).setUpper(e.upper())
        .setStandardDeviation(e.standardDeviation()).setN(e.n()).setLevel(e.level()).build();
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
