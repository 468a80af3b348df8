package dev.divergence.training.events;

import com.google.protobuf.Timestamp;
import dev.divergence.proto.training.v1.Budget;
import dev.divergence.proto.training.v1.DistillationSpec;
import dev.divergence.proto.training.v1.DivergenceChoice;
import dev.divergence.proto.training.v1.FDpgFeature;
import dev.divergence.proto.training.v1.FDpgMoments;
import dev.divergence.proto.training.v1.FDpgRlhf;
import dev.divergence.proto.training.v1.FDpgSpec;
import dev.divergence.proto.training.v1.FDpoSpec;
import dev.divergence.proto.training.v1.Job;
import dev.divergence.proto.training.v1.JobSpec;
import dev.divergence.proto.training.v1.JobState;
import dev.divergence.proto.training.v1.Progress;
import dev.divergence.proto.training.v1.RlvrEvaluation;
import dev.divergence.proto.training.v1.RlvrRegulariser;
import dev.divergence.proto.training.v1.RlvrSpec;
import dev.divergence.proto.training.v1.SupervisedSpec;
import java.time.Instant;

/** Domain jobs as shared-proto messages and back (events and gRPC use the same shape). */
public final class JobMessages {

  private JobMessages() {}

  public static Job toProto(dev.divergence.training.job.Job job) {
    var progress = job.progress();
    Progress.Builder protoProgress = Progress.newBuilder().setStep(progress.step())
        .setTotalSteps(progress.totalSteps()).setPercent(progress.percent());
    if (progress.etaSeconds() != null) {
      protoProgress.setEtaSeconds(progress.etaSeconds());
    }
    Job.Builder proto = Job.newBuilder()
        .setJobId(job.id().toString())
        .setDisplayName(job.displayName())
        .setState(toProto(job.state()))
        .setSpec(toProto(job.spec()))
        .setCreatedAt(timestamp(job.createdAt()))
        .setAttempt(job.attempt())
        .setProgress(protoProgress);
    if (job.reason() != null) {
      proto.setReason(job.reason());
    }
    if (job.message() != null) {
      proto.setMessage(job.message());
    }
    if (job.startedAt() != null) {
      proto.setStartedAt(timestamp(job.startedAt()));
    }
    if (job.finishedAt() != null) {
      proto.setFinishedAt(timestamp(job.finishedAt()));
    }
    if (job.outputModel() != null) {
      proto.setOutputModel(job.outputModel());
    }
    return proto.build();
  }

  public static JobState toProto(dev.divergence.training.job.JobState state) {
    return JobState.valueOf("JOB_STATE_" + state.name());
  }

  public static dev.divergence.training.job.JobState fromProto(JobState state) {
    return state == JobState.JOB_STATE_UNSPECIFIED || state == JobState.UNRECOGNIZED
        ? null : dev.divergence.training.job.JobState.valueOf(state.name().substring("JOB_STATE_".length()));
  }

  public static JobSpec toProto(dev.divergence.training.job.JobSpec spec) {
    JobSpec.Builder proto = JobSpec.newBuilder().setAlgorithm(nullToEmpty(spec.algorithm()))
        .setModel(nullToEmpty(spec.model())).setDataset(nullToEmpty(spec.dataset()));
    if (spec.budget() != null) {
      proto.setBudget(toProto(spec.budget()));
    }
    if (spec.distillation() != null) {
      var d = spec.distillation();
      DistillationSpec.Builder b = DistillationSpec.newBuilder().setTeacherModel(nullToEmpty(d.teacherModel()));
      if (d.divergence() != null) {
        b.setDivergence(toProto(d.divergence()));
      }
      if (d.temperature() != null) {
        b.setTemperature(d.temperature());
      }
      if (d.ceWeight() != null) {
        b.setCeWeight(d.ceWeight());
      }
      if (d.onPolicyFraction() != null) {
        b.setOnPolicyFraction(d.onPolicyFraction());
      }
      if (d.sequenceLevel() != null) {
        b.setSequenceLevel(d.sequenceLevel());
      }
      if (d.topK() != null) {
        b.setTopK(d.topK());
      }
      if (d.teacherCache() != null) {
        b.setTeacherCache(dev.divergence.proto.training.v1.TeacherCache.newBuilder()
            .setTopK(d.teacherCache().topK() == null ? 0 : d.teacherCache().topK()));
      }
      if (d.maxNewTokens() != null) {
        b.setMaxNewTokens(d.maxNewTokens());
      }
      proto.setDistillation(b);
    }
    if (spec.fDpo() != null) {
      var f = spec.fDpo();
      FDpoSpec.Builder b = FDpoSpec.newBuilder().setReferenceModel(nullToEmpty(f.referenceModel()));
      if (f.divergence() != null) {
        b.setDivergence(toProto(f.divergence()));
      }
      if (f.beta() != null) {
        b.setBeta(f.beta());
      }
      if (f.labelSmoothing() != null) {
        b.setLabelSmoothing(f.labelSmoothing());
      }
      proto.setFDpo(b);
    }
    if (spec.supervised() != null) {
      proto.setSupervised(SupervisedSpec.getDefaultInstance());
    }
    if (spec.fDpg() != null) {
      proto.setFDpg(toProto(spec.fDpg()));
    }
    if (spec.rlvr() != null) {
      proto.setRlvr(toProto(spec.rlvr()));
    }
    return proto.build();
  }

  /** A gRPC spec as the domain spec; proto3 zeros of optional numbers mean "use the default". */
  public static dev.divergence.training.job.JobSpec fromProto(JobSpec proto) {
    var budget = proto.hasBudget() ? fromProto(proto.getBudget()) : null;
    dev.divergence.training.job.DistillationSpec distillation = null;
    dev.divergence.training.job.FDpoSpec fDpo = null;
    dev.divergence.training.job.SupervisedSpec supervised = null;
    dev.divergence.training.job.FDpgSpec fDpg = null;
    dev.divergence.training.job.RlvrSpec rlvr = null;
    switch (proto.getMethodCase()) {
      case DISTILLATION -> {
        var d = proto.getDistillation();
        distillation = new dev.divergence.training.job.DistillationSpec(emptyToNull(d.getTeacherModel()),
            d.hasDivergence() ? fromProto(d.getDivergence()) : null, zeroToNull(d.getTemperature()),
            d.getCeWeight(), d.getOnPolicyFraction(), d.getSequenceLevel(), d.getTopK(),
            d.hasTeacherCache() ? new dev.divergence.training.job.TeacherCacheSpec(d.getTeacherCache().getTopK()) : null,
            d.hasMaxNewTokens() ? d.getMaxNewTokens() : null);
      }
      case F_DPO -> {
        var f = proto.getFDpo();
        fDpo = new dev.divergence.training.job.FDpoSpec(emptyToNull(f.getReferenceModel()),
            f.hasDivergence() ? fromProto(f.getDivergence()) : null, zeroToNull(f.getBeta()), f.getLabelSmoothing());
      }
      case SUPERVISED -> supervised = new dev.divergence.training.job.SupervisedSpec();
      case F_DPG -> fDpg = fromProto(proto.getFDpg());
      case RLVR -> rlvr = fromProto(proto.getRlvr());
      case METHOD_NOT_SET -> { }
    }
    return new dev.divergence.training.job.JobSpec(emptyToNull(proto.getAlgorithm()), emptyToNull(proto.getModel()),
        emptyToNull(proto.getDataset()), budget, distillation, fDpo, supervised, fDpg, rlvr);
  }

  static FDpgSpec toProto(dev.divergence.training.job.FDpgSpec f) {
    FDpgSpec.Builder b = FDpgSpec.newBuilder().setProposal(nullToEmpty(f.proposal())).setPrompts(nullToEmpty(f.prompts()));
    if (f.divergence() != null) {
      b.setDivergence(toProto(f.divergence()));
    }
    if (f.constraint() != null) {
      b.setConstraint(toProto(f.constraint()));
    }
    if (f.moments() != null) {
      FDpgMoments.Builder m = FDpgMoments.newBuilder();
      if (f.moments().features() != null) {
        f.moments().features().forEach(feature -> m.addFeatures(toProto(feature)));
      }
      if (f.moments().means() != null) {
        // a missing mean travels as NaN, which the validator rejects like the missing value itself
        f.moments().means().forEach(mean -> m.addMeans(mean == null ? Double.NaN : mean));
      }
      b.setMoments(m);
    }
    if (f.rlhf() != null) {
      FDpgRlhf.Builder r = FDpgRlhf.newBuilder();
      if (f.rlhf().reward() != null) {
        r.setReward(toProto(f.rlhf().reward()));
      }
      if (f.rlhf().beta() != null) {
        r.setBeta(f.rlhf().beta());
      }
      b.setRlhf(r);
    }
    if (f.samplesPerStep() != null) {
      b.setSamplesPerStep(f.samplesPerStep());
    }
    if (f.maxNewTokens() != null) {
      b.setMaxNewTokens(f.maxNewTokens());
    }
    if (f.temperature() != null) {
      b.setTemperature(f.temperature());
    }
    if (f.baselineWindow() != null) {
      b.setBaselineWindow(f.baselineWindow());
    }
    return b.build();
  }

  static dev.divergence.training.job.FDpgSpec fromProto(FDpgSpec f) {
    dev.divergence.training.job.FDpgSpec.Moments moments = null;
    if (f.hasMoments()) {
      moments = new dev.divergence.training.job.FDpgSpec.Moments(
          f.getMoments().getFeaturesList().stream().map(JobMessages::fromProto).toList(),
          f.getMoments().getMeansList());
    }
    return new dev.divergence.training.job.FDpgSpec(f.hasDivergence() ? fromProto(f.getDivergence()) : null,
        f.hasConstraint() ? fromProto(f.getConstraint()) : null, moments,
        f.hasSamplesPerStep() ? f.getSamplesPerStep() : null, f.hasMaxNewTokens() ? f.getMaxNewTokens() : null,
        f.hasTemperature() ? f.getTemperature() : null, f.hasBaselineWindow() ? f.getBaselineWindow() : null,
        emptyToNull(f.getProposal()), emptyToNull(f.getPrompts()),
        f.hasRlhf() ? new dev.divergence.training.job.FDpgSpec.Rlhf(
            f.getRlhf().hasReward() ? fromProto(f.getRlhf().getReward()) : null,
            f.getRlhf().hasBeta() ? f.getRlhf().getBeta() : null) : null);
  }

  static RlvrSpec toProto(dev.divergence.training.job.RlvrSpec r) {
    RlvrSpec.Builder b = RlvrSpec.newBuilder().setTask(nullToEmpty(r.task())).setChecker(nullToEmpty(r.checker()));
    if (r.groupSize() != null) {
      b.setGroupSize(r.groupSize());
    }
    if (r.promptsPerStep() != null) {
      b.setPromptsPerStep(r.promptsPerStep());
    }
    if (r.maxNewTokens() != null) {
      b.setMaxNewTokens(r.maxNewTokens());
    }
    if (r.temperature() != null) {
      b.setTemperature(r.temperature());
    }
    if (r.clipEpsilonLow() != null) {
      b.setClipEpsilonLow(r.clipEpsilonLow());
    }
    if (r.clipEpsilonHigh() != null) {
      b.setClipEpsilonHigh(r.clipEpsilonHigh());
    }
    if (r.updatesPerBatch() != null) {
      b.setUpdatesPerBatch(r.updatesPerBatch());
    }
    if (r.promptField() != null) {
      b.setPromptField(r.promptField());
    }
    if (r.answerField() != null) {
      b.setAnswerField(r.answerField());
    }
    if (r.regulariser() != null) {
      var g = r.regulariser();
      RlvrRegulariser.Builder rb = RlvrRegulariser.newBuilder().setKind(nullToEmpty(g.kind()))
          .setEstimator(nullToEmpty(g.estimator())).setDivergence(nullToEmpty(g.divergence()));
      if (g.coefficient() != null) {
        rb.setCoefficient(g.coefficient());
      }
      if (g.alpha() != null) {
        rb.setAlpha(g.alpha());
      }
      if (g.referenceSamples() != null) {
        rb.setReferenceSamples(g.referenceSamples());
      }
      b.setRegulariser(rb);
    }
    if (r.evaluation() != null) {
      var e = r.evaluation();
      RlvrEvaluation.Builder eb = RlvrEvaluation.newBuilder();
      if (e.prompts() != null) {
        eb.setPrompts(e.prompts());
      }
      if (e.samples() != null) {
        eb.setSamples(e.samples());
      }
      if (e.k() != null) {
        eb.setK(e.k());
      }
      if (e.every() != null) {
        eb.setEvery(e.every());
      }
      b.setEvaluation(eb);
    }
    return b.build();
  }

  static dev.divergence.training.job.RlvrSpec fromProto(RlvrSpec r) {
    dev.divergence.training.job.RlvrSpec.Regulariser regulariser = null;
    if (r.hasRegulariser()) {
      var g = r.getRegulariser();
      regulariser = new dev.divergence.training.job.RlvrSpec.Regulariser(emptyToNull(g.getKind()), emptyToNull(g.getEstimator()),
          g.hasCoefficient() ? g.getCoefficient() : null, emptyToNull(g.getDivergence()), g.hasAlpha() ? g.getAlpha() : null,
          g.hasReferenceSamples() ? g.getReferenceSamples() : null);
    }
    dev.divergence.training.job.RlvrSpec.Evaluation evaluation = null;
    if (r.hasEvaluation()) {
      var e = r.getEvaluation();
      evaluation = new dev.divergence.training.job.RlvrSpec.Evaluation(e.hasPrompts() ? e.getPrompts() : null,
          e.hasSamples() ? e.getSamples() : null, e.hasK() ? e.getK() : null, e.hasEvery() ? e.getEvery() : null);
    }
    return new dev.divergence.training.job.RlvrSpec(r.hasGroupSize() ? r.getGroupSize() : null,
        r.hasPromptsPerStep() ? r.getPromptsPerStep() : null, r.hasMaxNewTokens() ? r.getMaxNewTokens() : null,
        r.hasTemperature() ? r.getTemperature() : null, r.hasClipEpsilonLow() ? r.getClipEpsilonLow() : null,
        r.hasClipEpsilonHigh() ? r.getClipEpsilonHigh() : null, r.hasUpdatesPerBatch() ? r.getUpdatesPerBatch() : null,
        emptyToNull(r.getTask()), emptyToNull(r.getChecker()), r.hasPromptField() ? r.getPromptField() : null,
        r.hasAnswerField() ? r.getAnswerField() : null, regulariser, evaluation);
  }

  static FDpgFeature toProto(dev.divergence.training.job.FDpgSpec.Feature feature) {
    FDpgFeature.Builder b = FDpgFeature.newBuilder().setName(nullToEmpty(feature.name()))
        .setText(nullToEmpty(feature.text())).setRegex(nullToEmpty(feature.regex()));
    if (feature.maxTokens() != null) {
      b.setMaxTokens(feature.maxTokens());
    }
    return b.build();
  }

  static dev.divergence.training.job.FDpgSpec.Feature fromProto(FDpgFeature feature) {
    return new dev.divergence.training.job.FDpgSpec.Feature(emptyToNull(feature.getName()), emptyToNull(feature.getText()),
        feature.hasMaxTokens() ? feature.getMaxTokens() : null, emptyToNull(feature.getRegex()));
  }

  public static dev.divergence.training.job.Budget fromProto(Budget b) {
    return new dev.divergence.training.job.Budget(b.getMaxSteps() == 0 ? null : b.getMaxSteps(),
        zeroToNull(b.getBatchSize()), zeroToNull(b.getLearningRate()), b.getWarmupSteps(), emptyToNull(b.getSchedule()),
        zeroToNull(b.getCheckpointEvery()), b.getSeed() == 0 ? null : b.getSeed(), zeroToNull(b.getGradientAccumulation()),
        zeroToNull(b.getMaxGradNorm()), zeroToNull(b.getLogEvery()));
  }

  static Budget toProto(dev.divergence.training.job.Budget b) {
    Budget.Builder proto = Budget.newBuilder();
    if (b.maxSteps() != null) {
      proto.setMaxSteps(b.maxSteps());
    }
    if (b.batchSize() != null) {
      proto.setBatchSize(b.batchSize());
    }
    if (b.learningRate() != null) {
      proto.setLearningRate(b.learningRate());
    }
    if (b.warmupSteps() != null) {
      proto.setWarmupSteps(b.warmupSteps());
    }
    if (b.schedule() != null) {
      proto.setSchedule(b.schedule());
    }
    if (b.checkpointEvery() != null) {
      proto.setCheckpointEvery(b.checkpointEvery());
    }
    if (b.seed() != null) {
      proto.setSeed(b.seed());
    }
    if (b.gradientAccumulation() != null) {
      proto.setGradientAccumulation(b.gradientAccumulation());
    }
    if (b.maxGradNorm() != null) {
      proto.setMaxGradNorm(b.maxGradNorm());
    }
    if (b.logEvery() != null) {
      proto.setLogEvery(b.logEvery());
    }
    return proto.build();
  }

  static DivergenceChoice toProto(dev.divergence.training.job.DivergenceChoice d) {
    DivergenceChoice.Builder proto = DivergenceChoice.newBuilder().setName(nullToEmpty(d.name()));
    if (d.alpha() != null) {
      proto.setAlpha(d.alpha());
    }
    if (d.beta() != null) {
      proto.setBeta(d.beta());
    }
    return proto.build();
  }

  static dev.divergence.training.job.DivergenceChoice fromProto(DivergenceChoice d) {
    return new dev.divergence.training.job.DivergenceChoice(emptyToNull(d.getName()),
        d.hasAlpha() ? d.getAlpha() : null, d.hasBeta() ? d.getBeta() : null);
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

  private static Double zeroToNull(double value) {
    return value == 0 ? null : value;
  }

  private static Integer zeroToNull(int value) {
    return value == 0 ? null : value;
  }
}
