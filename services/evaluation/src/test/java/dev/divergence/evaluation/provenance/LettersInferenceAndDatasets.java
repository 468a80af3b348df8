package dev.divergence.evaluation.provenance;

import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.platform.grpc.ExceptionMappingInterceptor;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.grpc.GrpcServerProperties;
import dev.divergence.platform.grpc.TextRulesInterceptor;
import dev.divergence.platform.tenancy.TenantServerInterceptor;
import dev.divergence.proto.inference.v1.ContinuationDistributions;
import dev.divergence.proto.inference.v1.ContinuationItem;
import dev.divergence.proto.inference.v1.ContinuationScore;
import dev.divergence.proto.inference.v1.GetModelRequest;
import dev.divergence.proto.inference.v1.ModelKind;
import dev.divergence.proto.inference.v1.ModelServiceGrpc;
import dev.divergence.proto.inference.v1.NextTokenDistribution;
import dev.divergence.proto.inference.v1.NextTokenDistributionsRequest;
import dev.divergence.proto.inference.v1.NextTokenDistributionsResponse;
import dev.divergence.proto.inference.v1.ScoreContinuationsRequest;
import dev.divergence.proto.inference.v1.ScoreContinuationsResponse;
import dev.divergence.proto.inference.v1.ScoringServiceGrpc;
import dev.divergence.proto.inference.v1.ServedModel;
import dev.divergence.proto.inference.v1.ServingState;
import dev.divergence.proto.inference.v1.TokenDistributionsRequest;
import dev.divergence.proto.inference.v1.TokenDistributionsResponse;
import dev.divergence.proto.training.v1.Dataset;
import dev.divergence.proto.training.v1.DatasetRecord;
import dev.divergence.proto.training.v1.DatasetRecordBatch;
import dev.divergence.proto.training.v1.DatasetServiceGrpc;
import dev.divergence.proto.training.v1.GetDatasetRequest;
import dev.divergence.proto.training.v1.ReadDatasetRecordsRequest;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A real gRPC server (grpc-netty on a free port, the platform's server interceptors) speaking the
 * public APIs the provenance scores call, with answers computed by hand in the tests: the outer edge
 * of {@link ProvenanceScorer}'s tests (evaluation may not depend on the other services' code; the
 * real inference service is reached in ops/local).
 *
 * <ul>
 *   <li>inference model {@code letters} (version 7): tokens a, b, c, d (ids 0..3), one per letter;
 *       after a text, p(t) = (1 + count of t among its letters a-d) / (4 + number of those letters),
 *       other characters of a prompt or prefix are ignored; a continuation must be letters a-d
 *       (ScoreContinuations, TokenDistributions with the distribution before each letter, NextTokenDistributions);
 *   <li>{@code signs}: a classifier; any other model: NOT_FOUND;
 *   <li>datasets: {@code corpus} (text: {"text": "aab"}, {"prompt": "c", "completion": "a"}),
 *       {@code pairs} (preference); any other: NOT_FOUND.
 * </ul>
 */
final class LettersInferenceAndDatasets implements AutoCloseable {

  private static final int VOCAB = 4;

  private final GrpcServerLifecycle server;

  LettersInferenceAndDatasets() {
    server = new GrpcServerLifecycle(new GrpcServerProperties(0, null, 1),
        List.of(new Models(), new Scoring(), new Datasets()),
        List.of(new ExceptionMappingInterceptor(), new TextRulesInterceptor(), new TenantServerInterceptor()));
    server.start();
  }

  String target() {
    return "localhost:" + server.port();
  }

  @Override
  public void close() {
    server.stop();
  }

  static double[] distribution(String text) {
    double[] counts = {1, 1, 1, 1};
    for (char c : text.toCharArray()) {
      if (c >= 'a' && c <= 'd') {
        counts[c - 'a']++;
      }
    }
    double total = counts[0] + counts[1] + counts[2] + counts[3];
    return IntStream.range(0, VOCAB).mapToDouble(t -> counts[t] / total).toArray();
  }

  static double entropy(double[] p) {
    double h = 0;
    for (double value : p) {
      h -= value * Math.log(value);
    }
    return h;
  }

  private static void requireLetters(String model) {
    if (model.equals("signs")) {
      throw new InvalidArgumentException("model", "'signs' is a classifier, not a language model");
    }
    if (!model.equals("letters")) {
      throw new NotFoundException("model", model);
    }
  }

  private static <T> void reply(StreamObserver<T> response, T value) {
    response.onNext(value);
    response.onCompleted();
  }

  private static final class Models extends ModelServiceGrpc.ModelServiceImplBase {
    @Override
    public void getModel(GetModelRequest request, StreamObserver<ServedModel> response) {
      boolean classifier = request.getName().equals("signs");
      if (!classifier) {
        requireLetters(request.getName());
      }
      reply(response, ServedModel.newBuilder().setName(request.getName()).setVersion("7")
          .setKind(classifier ? ModelKind.MODEL_KIND_CLASSIFIER : ModelKind.MODEL_KIND_LANGUAGE_MODEL)
          .setVocabSize(classifier ? 2 : VOCAB).setContextLength(64).setState(ServingState.SERVING_STATE_READY).build());
    }
  }

  private static final class Scoring extends ScoringServiceGrpc.ScoringServiceImplBase {
    @Override
    public void scoreContinuations(ScoreContinuationsRequest request, StreamObserver<ScoreContinuationsResponse> response) {
      requireLetters(request.getModel());
      List<FieldViolation> violations = new ArrayList<>();
      ScoreContinuationsResponse.Builder answer = ScoreContinuationsResponse.newBuilder().setModel("letters").setVersion("7");
      for (int i = 0; i < request.getItemsCount(); i++) {
        ContinuationItem item = request.getItems(i);
        if (item.getPrompt().isEmpty()) {
          violations.add(new FieldViolation("items[" + i + "].prompt", "must not be empty"));
          continue;
        }
        if (item.getContinuation().isEmpty() || !item.getContinuation().chars().allMatch(c -> c >= 'a' && c <= 'd')) {
          violations.add(new FieldViolation("items[" + i + "].continuation", "must be letters a-d"));
          continue;
        }
        ContinuationScore.Builder score = ContinuationScore.newBuilder();
        String context = item.getPrompt();
        for (char c : item.getContinuation().toCharArray()) {
          score.addTokenIds(c - 'a').addTokenLogProbs(Math.log(distribution(context)[c - 'a']));
          context += c;
        }
        answer.addScores(score.setTokenCount(item.getContinuation().length()));
      }
      if (!violations.isEmpty()) {
        throw new InvalidArgumentException(violations);
      }
      reply(response, answer.build());
    }

    /** Per item: each continuation letter's log-probability and the distribution before it (top k, entropy). */
    @Override
    public void tokenDistributions(TokenDistributionsRequest request, StreamObserver<TokenDistributionsResponse> response) {
      requireLetters(request.getModel());
      TokenDistributionsResponse.Builder answer = TokenDistributionsResponse.newBuilder().setModel("letters").setVersion("7");
      for (int i = 0; i < request.getItemsCount(); i++) {
        ContinuationItem item = request.getItems(i);
        if (item.getContinuation().isEmpty() || !item.getContinuation().chars().allMatch(c -> c >= 'a' && c <= 'd')) {
          throw new InvalidArgumentException("items[" + i + "].continuation", "must be letters a-d");
        }
        ContinuationDistributions.Builder result = ContinuationDistributions.newBuilder().setPromptTokenCount(1);
        String context = item.getPrompt();
        for (char c : item.getContinuation().toCharArray()) {
          double[] p = distribution(context);
          result.addTokenIds(c - 'a').addTokenLogProbs(Math.log(p[c - 'a'])).addDistributions(topK(p, request.getTopK()));
          context += c;
        }
        answer.addResults(result);
      }
      reply(response, answer.build());
    }

    @Override
    public void nextTokenDistributions(NextTokenDistributionsRequest request,
        StreamObserver<NextTokenDistributionsResponse> response) {
      requireLetters(request.getModel());
      NextTokenDistributionsResponse.Builder answer = NextTokenDistributionsResponse.newBuilder().setModel("letters")
          .setVersion("7");
      for (String prefix : request.getPrefixesList()) {
        answer.addDistributions(topK(distribution(prefix), request.getTopK()));
      }
      reply(response, answer.build());
    }

    private static NextTokenDistribution topK(double[] p, int k) {
      List<Integer> ids = IntStream.range(0, VOCAB).boxed()
          .sorted(Comparator.comparingDouble((Integer t) -> -p[t]).thenComparing(t -> t))
          .limit(k == 0 ? VOCAB : k).toList();
      NextTokenDistribution.Builder distribution = NextTokenDistribution.newBuilder().setEntropy(entropy(p));
      double tail = 0;
      for (int t = 0; t < VOCAB; t++) {
        tail += ids.contains(t) || k == 0 ? 0 : p[t];
      }
      for (int id : ids) {
        distribution.addTokenIds(id).addProbabilities(p[id]);
      }
      return distribution.setTailMass(tail).build();
    }
  }

  private static final class Datasets extends DatasetServiceGrpc.DatasetServiceImplBase {
    @Override
    public void getDataset(GetDatasetRequest request, StreamObserver<Dataset> response) {
      String kind = switch (request.getName()) {
        case "corpus" -> "text";
        case "pairs" -> "preference";
        default -> throw new NotFoundException("dataset", request.getName());
      };
      reply(response, Dataset.newBuilder().setName(request.getName()).setKind(kind).setRecords(2).setTrainRecords(2).build());
    }

    @Override
    public void readDatasetRecords(ReadDatasetRecordsRequest request, StreamObserver<DatasetRecordBatch> response) {
      if (!request.getName().equals("corpus")) {
        throw new NotFoundException("dataset", request.getName());
      }
      reply(response, DatasetRecordBatch.newBuilder()
          .addRecords(DatasetRecord.newBuilder().setIndex(0).setSplit("train").setJson("{\"text\": \"aab\"}"))
          .addRecords(DatasetRecord.newBuilder().setIndex(1).setSplit("train")
              .setJson("{\"prompt\": \"c\", \"completion\": \"a\"}"))
          .build());
    }
  }
}
