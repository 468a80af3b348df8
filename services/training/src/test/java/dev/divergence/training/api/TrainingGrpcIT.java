package dev.divergence.training.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.training.v1.Budget;
import dev.divergence.proto.training.v1.CancelJobRequest;
import dev.divergence.proto.training.v1.DistillationSpec;
import dev.divergence.proto.training.v1.DivergenceChoice;
import dev.divergence.proto.training.v1.FDpgFeature;
import dev.divergence.proto.training.v1.FDpgMoments;
import dev.divergence.proto.training.v1.FDpgRlhf;
import dev.divergence.proto.training.v1.FDpgSpec;
import dev.divergence.proto.training.v1.FDpoSpec;
import dev.divergence.proto.training.v1.RlvrEvaluation;
import dev.divergence.proto.training.v1.RlvrRegulariser;
import dev.divergence.proto.training.v1.RlvrSpec;
import dev.divergence.proto.training.v1.GetJobRequest;
import dev.divergence.proto.training.v1.Job;
import dev.divergence.proto.training.v1.JobSpec;
import dev.divergence.proto.training.v1.JobState;
import dev.divergence.proto.training.v1.SubmitJobRequest;
import dev.divergence.proto.training.v1.TeacherCache;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/** TrainingService over a real gRPC socket: same rules and errors as REST. */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.training.workers=0"})
class TrainingGrpcIT {

  @Autowired GrpcServerLifecycle grpc;
  private ManagedChannel channel;
  private TrainingServiceGrpc.TrainingServiceBlockingStub training;

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    training = TrainingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void disconnect() {
    channel.shutdownNow();
  }

  private static JobSpec.Builder validSpec() {
    return JobSpec.newBuilder().setAlgorithm("f_dpo").setModel("tiny-lm").setDataset("arithmetic-preferences")
        .setBudget(Budget.newBuilder().setMaxSteps(50))
        .setFDpo(FDpoSpec.newBuilder().setReferenceModel("tiny-lm").setBeta(0.1)
            .setDivergence(DivergenceChoice.newBuilder().setName("js")));
  }

  @Test
  void submitAndGetJob() {
    Job job = training.submitJob(SubmitJobRequest.newBuilder().setDisplayName("fdpo js").setSpec(validSpec()).build());
    assertThat(job.getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
    Job read = training.getJob(GetJobRequest.newBuilder().setJobId(job.getJobId()).build());
    assertThat(read).isEqualTo(job);
  }

  @Test
  void invalidSpecIsInvalidArgumentNamingTheField() {
    assertThatThrownBy(() -> training.submitJob(SubmitJobRequest.newBuilder()
        .setSpec(validSpec().setFDpo(FDpoSpec.newBuilder().setReferenceModel("tiny-lm")
            .setDivergence(DivergenceChoice.newBuilder().setName("alpha").setAlpha(1.0)))
            .setBudget(Budget.newBuilder().setMaxSteps(-1))).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getStatus().getDescription()).contains("spec.fDpo.divergence.alpha").contains("spec.budget.maxSteps");
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("spec.budget.maxSteps,spec.fDpo.divergence.alpha");
        });
    assertThatThrownBy(() -> training.submitJob(SubmitJobRequest.newBuilder().build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            error -> assertThat(error.getStatus().getDescription()).contains("spec"));
  }

  private static JobSpec.Builder fDpgSpec(FDpgSpec.Builder method) {
    return JobSpec.newBuilder().setAlgorithm("f_dpg").setModel("tiny-lm").setDataset("arithmetic")
        .setBudget(Budget.newBuilder().setMaxSteps(20)).setFDpg(method);
  }

  private static FDpgSpec.Builder containsSeven() {
    return FDpgSpec.newBuilder().setConstraint(FDpgFeature.newBuilder().setName("contains").setText("7"));
  }

  @Test
  void fDpgSpecTravelsOverGrpcWithItsDefaults() {
    Job job = training.submitJob(SubmitJobRequest.newBuilder().setSpec(fDpgSpec(containsSeven())).build());
    FDpgSpec stored = job.getSpec().getFDpg();
    assertThat(stored.getConstraint().getText()).isEqualTo("7");
    assertThat(stored.getDivergence().getName()).isEqualTo("js");
    assertThat(stored.getProposal()).isEqualTo("on_policy");
    assertThat(stored.getBaselineWindow()).isEqualTo(1024);
    assertThat(stored.getSamplesPerStep()).isEqualTo(8); // the budget's default batch size
    assertThat(stored.getMaxNewTokens()).isEqualTo(32);
    assertThat(stored.getTemperature()).isEqualTo(1.0);
    assertThat(stored.getPrompts()).isEqualTo("none");
    training.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getJobId()).build());

    Job moments = training.submitJob(SubmitJobRequest.newBuilder().setSpec(fDpgSpec(FDpgSpec.newBuilder()
        .setDivergence(DivergenceChoice.newBuilder().setName("alpha").setAlpha(0.3)).setProposal("offline")
        .setMoments(FDpgMoments.newBuilder().addFeatures(FDpgFeature.newBuilder().setName("max_tokens").setMaxTokens(8))
            .addMeans(0.7)))).build());
    assertThat(moments.getSpec().getFDpg().getMoments().getFeatures(0).getMaxTokens()).isEqualTo(8);
    assertThat(moments.getSpec().getFDpg().getMoments().getMeansList()).containsExactly(0.7);
    assertThat(moments.getSpec().getFDpg().getDivergence().getAlpha()).isEqualTo(0.3);
    training.cancelJob(CancelJobRequest.newBuilder().setJobId(moments.getJobId()).build());

    Job rlhf = training.submitJob(SubmitJobRequest.newBuilder().setSpec(fDpgSpec(FDpgSpec.newBuilder().setRlhf(
        FDpgRlhf.newBuilder().setReward(FDpgFeature.newBuilder().setName("regex").setRegex("^[0-9]+[+-][0-9]+="))))).build());
    // the preset's defaults: reverse KL (RLHF with a KL penalty) and beta 0.1
    assertThat(rlhf.getSpec().getFDpg().getDivergence().getName()).isEqualTo("reverse_kl");
    assertThat(rlhf.getSpec().getFDpg().getRlhf().getBeta()).isEqualTo(0.1);
    assertThat(rlhf.getSpec().getFDpg().getRlhf().getReward().getRegex()).isEqualTo("^[0-9]+[+-][0-9]+=");
    training.cancelJob(CancelJobRequest.newBuilder().setJobId(rlhf.getJobId()).build());

    Job prompted = training.submitJob(SubmitJobRequest.newBuilder().setSpec(fDpgSpec(FDpgSpec.newBuilder().setPrompts("dataset")
        .setConstraint(FDpgFeature.newBuilder().setName("answer_correct")))).build());
    assertThat(prompted.getSpec().getFDpg().getPrompts()).isEqualTo("dataset");
    training.cancelJob(CancelJobRequest.newBuilder().setJobId(prompted.getJobId()).build());
  }

  @Test
  void badFDpgSpecsAreInvalidArgumentNamingTheField() {
    assertInvalid(fDpgSpec(FDpgSpec.newBuilder().setConstraint(FDpgFeature.newBuilder().setName("regex").setRegex("([0-9]"))),
        "spec.fDpg.constraint.regex");
    assertInvalid(fDpgSpec(FDpgSpec.newBuilder().setConstraint(FDpgFeature.newBuilder().setName("rhymes"))),
        "spec.fDpg.constraint.name");
    assertInvalid(fDpgSpec(FDpgSpec.newBuilder().setMoments(FDpgMoments.newBuilder())),
        "spec.fDpg.moments.features");
    assertInvalid(fDpgSpec(containsSeven().setDivergence(DivergenceChoice.newBuilder().setName("alpha").setAlpha(1.0))),
        "spec.fDpg.divergence.alpha");
    assertInvalid(fDpgSpec(containsSeven().setSamplesPerStep(0)), "spec.fDpg.samplesPerStep");
    assertInvalid(fDpgSpec(containsSeven().setProposal("sometimes")), "spec.fDpg.proposal");
    assertInvalid(fDpgSpec(FDpgSpec.newBuilder()), "spec.fDpg.constraint");
    assertInvalid(fDpgSpec(containsSeven().setPrompts("some")), "spec.fDpg.prompts");
    FDpgRlhf.Builder rewardSeven = FDpgRlhf.newBuilder().setReward(FDpgFeature.newBuilder().setName("contains").setText("7"));
    assertInvalid(fDpgSpec(FDpgSpec.newBuilder().setRlhf(rewardSeven.clone().setBeta(0))), "spec.fDpg.rlhf.beta");
    assertInvalid(fDpgSpec(containsSeven().setRlhf(rewardSeven.clone())), "spec.fDpg.rlhf");
    assertInvalid(fDpgSpec(FDpgSpec.newBuilder().setRlhf(FDpgRlhf.newBuilder())), "spec.fDpg.rlhf.reward");
    assertInvalid(fDpgSpec(FDpgSpec.newBuilder().setPrompts("dataset").setMoments(FDpgMoments.newBuilder()
        .addFeatures(FDpgFeature.newBuilder().setName("contains").setText("7")).addMeans(0.5))), "spec.fDpg.prompts");
  }

  private static JobSpec.Builder rlvrSpec(RlvrSpec.Builder method) {
    return JobSpec.newBuilder().setAlgorithm("rlvr").setModel("tiny-lm").setDataset("arithmetic")
        .setBudget(Budget.newBuilder().setMaxSteps(20)).setRlvr(method);
  }

  @Test
  void rlvrSpecTravelsOverGrpcWithItsDefaults() {
    Job job = training.submitJob(SubmitJobRequest.newBuilder().setSpec(rlvrSpec(RlvrSpec.newBuilder()
        .setRegulariser(RlvrRegulariser.newBuilder().setKind("kl")))).build());
    RlvrSpec stored = job.getSpec().getRlvr();
    assertThat(stored.getGroupSize()).isEqualTo(8);
    assertThat(stored.getClipEpsilonLow()).isEqualTo(0.2);
    assertThat(stored.getClipEpsilonHigh()).isEqualTo(0.28);
    assertThat(stored.getUpdatesPerBatch()).isEqualTo(1);
    assertThat(stored.getChecker()).isEqualTo("integer");
    assertThat(stored.getRegulariser().getEstimator()).isEqualTo("k3");
    assertThat(stored.getRegulariser().getCoefficient()).isEqualTo(0.04);
    assertThat(stored.getEvaluation().getK()).isEqualTo(8);
    training.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getJobId()).build());
  }

  @Test
  void badRlvrSpecsAreInvalidArgumentNamingTheField() {
    assertInvalid(rlvrSpec(RlvrSpec.newBuilder().setGroupSize(1)), "spec.rlvr.groupSize");
    assertInvalid(rlvrSpec(RlvrSpec.newBuilder().setClipEpsilonLow(0)), "spec.rlvr.clipEpsilonLow");
    assertInvalid(rlvrSpec(RlvrSpec.newBuilder().setTask("dataset").setChecker("fuzzy")), "spec.rlvr.checker");
    assertInvalid(rlvrSpec(RlvrSpec.newBuilder().setRegulariser(RlvrRegulariser.newBuilder().setKind("rehearsal").setCoefficient(-1))),
        "spec.rlvr.regulariser.coefficient");
    assertInvalid(rlvrSpec(RlvrSpec.newBuilder().setRegulariser(RlvrRegulariser.newBuilder().setKind("rehearsal").setDivergence("tv"))),
        "spec.rlvr.regulariser.divergence");
    assertInvalid(rlvrSpec(RlvrSpec.newBuilder().setEvaluation(RlvrEvaluation.newBuilder().setSamples(4).setK(5))),
        "spec.rlvr.evaluation.k");
    assertInvalid(rlvrSpec(RlvrSpec.newBuilder().setTask("chess")), "spec.rlvr.task");
    // answer fields name fields of verifiable records: arithmetic is a text dataset
    assertInvalid(rlvrSpec(RlvrSpec.newBuilder().setTask("dataset").setAnswerField("solution")), "spec.rlvr.answerField");
  }

  private void assertInvalid(JobSpec.Builder spec, String field) {
    assertThatThrownBy(() -> training.submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo(field);
        });
  }

  @Test
  void teacherCacheTravelsOverGrpcAndItsTopKIsValidated() {
    JobSpec.Builder cached = JobSpec.newBuilder().setAlgorithm("distillation").setModel("tiny-lm-student").setDataset("arithmetic")
        .setBudget(Budget.newBuilder().setMaxSteps(20))
        .setDistillation(DistillationSpec.newBuilder().setTeacherModel("tiny-lm")
            .setDivergence(DivergenceChoice.newBuilder().setName("kl"))
            .setTeacherCache(TeacherCache.newBuilder().setTopK(16)));
    Job job = training.submitJob(SubmitJobRequest.newBuilder().setSpec(cached).build());
    assertThat(job.getSpec().getDistillation().getTeacherCache().getTopK()).isEqualTo(16);
    training.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getJobId()).build());

    cached.getDistillationBuilder().setTeacherCache(TeacherCache.newBuilder().setTopK(0));
    assertThatThrownBy(() -> training.submitJob(SubmitJobRequest.newBuilder().setSpec(cached).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("spec.distillation.teacherCache.topK");
        });
  }

  @Test
  void generationLengthTravelsOverGrpcAndIsValidated() {
    JobSpec.Builder onPolicy = JobSpec.newBuilder().setAlgorithm("distillation").setModel("tiny-lm-student").setDataset("arithmetic")
        .setBudget(Budget.newBuilder().setMaxSteps(20))
        .setDistillation(DistillationSpec.newBuilder().setTeacherModel("tiny-lm")
            .setDivergence(DivergenceChoice.newBuilder().setName("reverse_kl")).setOnPolicyFraction(0.5).setMaxNewTokens(32));
    Job job = training.submitJob(SubmitJobRequest.newBuilder().setSpec(onPolicy).build());
    assertThat(job.getSpec().getDistillation().getMaxNewTokens()).isEqualTo(32);
    training.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getJobId()).build());

    // unset is the default; an explicit 0 is out of range (the field is optional: 0 is not "unset")
    onPolicy.getDistillationBuilder().clearMaxNewTokens();
    Job defaulted = training.submitJob(SubmitJobRequest.newBuilder().setSpec(onPolicy).build());
    // the stored spec carries its defaults
    assertThat(defaulted.getSpec().getDistillation().getMaxNewTokens())
        .isEqualTo(dev.divergence.training.job.DistillationSpec.DEFAULT_MAX_NEW_TOKENS);
    training.cancelJob(CancelJobRequest.newBuilder().setJobId(defaulted.getJobId()).build());
    onPolicy.getDistillationBuilder().setMaxNewTokens(0);
    assertThatThrownBy(() -> training.submitJob(SubmitJobRequest.newBuilder().setSpec(onPolicy).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("spec.distillation.maxNewTokens");
        });
  }

  @Test
  void unknownJobIsNotFound() {
    assertThatThrownBy(() -> training.getJob(GetJobRequest.newBuilder().setJobId(UUID.randomUUID().toString()).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            error -> assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThatThrownBy(() -> training.getJob(GetJobRequest.newBuilder().setJobId("x").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            error -> assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void reflectionListsTheServices() throws Exception {
    List<String> services = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(
        new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse response) {
            response.getListServicesResponse().getServiceList().forEach(s -> services.add(s.getName()));
          }

          @Override
          public void onError(Throwable t) {
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    requests.onCompleted();
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(services).contains("dev.divergence.training.v1.TrainingService", "grpc.health.v1.Health");
  }
}
