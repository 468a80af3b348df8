package dev.divergence.evaluation.inference;

import dev.divergence.platform.errors.ConflictException;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.platform.grpc.ExceptionMappingInterceptor;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.grpc.GrpcServerProperties;
import dev.divergence.platform.grpc.TextRulesInterceptor;
import dev.divergence.platform.tenancy.TenantServerInterceptor;
import dev.divergence.proto.inference.v1.ClassProbabilities;
import dev.divergence.proto.inference.v1.ClassifyRequest;
import dev.divergence.proto.inference.v1.ClassifyResponse;
import dev.divergence.proto.inference.v1.ContinuationDistributions;
import dev.divergence.proto.inference.v1.ContinuationItem;
import dev.divergence.proto.inference.v1.ContinuationScore;
import dev.divergence.proto.inference.v1.FeatureVector;
import dev.divergence.proto.inference.v1.GenerateRequest;
import dev.divergence.proto.inference.v1.GenerateResponse;
import dev.divergence.proto.inference.v1.GeneratedToken;
import dev.divergence.proto.inference.v1.GenerationServiceGrpc;
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
import dev.divergence.proto.inference.v1.Usage;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * A real gRPC server (grpc-netty on a free port, platform-commons' server interceptors) speaking the
 * inference service's public API with a model small enough to compute by hand. It is the outer edge
 * of {@link InferenceClient}'s unit tests: evaluation may not depend on the inference service's code,
 * and the end-to-end tests against the real inference service live in ops/local.
 *
 * <p>Models:
 * <ul>
 *   <li>{@code letters}: a language model over the tokens a, b, c, d (ids 0..3); after a prefix,
 *       p(t) = (1 + count of t in the prefix) / (4 + number of a-d letters in the prefix);
 *   <li>{@code signs}: a classifier of 2 features into [neg, pos] by the softmax of the features;
 *   <li>{@code loading}: not loaded (FAILED_PRECONDITION), as inference answers for a LOADING model;
 *   <li>{@code preparing}: a built-in model still being made (UNAVAILABLE on every call);
 *   <li>{@code slow}: answers after 3 s; {@code broken}: fails internally;
 *   <li>{@code replaced}: a new version is loaded after every call;
 *   <li>anything else: NOT_FOUND.
 * </ul>
 * Like the inference service, it takes at most {@link #MAX_ITEMS} items per call.
 */
final class LetterModelInferenceServer implements AutoCloseable {

  static final int MAX_ITEMS = 3;
  private static final int VOCAB = 4;

  /** The number of items in each scoring call, in arrival order. */
  final List<Integer> itemsPerCall = new CopyOnWriteArrayList<>();
  /** Calls per model, retries included. */
  final Map<String, AtomicInteger> callsPerModel = new ConcurrentHashMap<>();

  private final GrpcServerLifecycle server;

  LetterModelInferenceServer() {
    server = new GrpcServerLifecycle(new GrpcServerProperties(0, null, 1),
        List.of(new Models(), new Scoring(), new Generation()),
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

  /** The version answering this call of {@code model}, after the checks every model-specific call makes. */
  private String admit(String model, String wantedKind) {
    int call = callsPerModel.computeIfAbsent(model, m -> new AtomicInteger()).incrementAndGet();
    switch (model) {
      case "loading" -> throw new ConflictException("model 'loading' is LOADING, not READY");
      case "preparing" -> throw Status.UNAVAILABLE.withDescription("model 'preparing' is being prepared").asRuntimeException();
      case "broken" -> throw new IllegalStateException("the backend lost its tensors");
      case "slow" -> sleep(3_000);
      case "replaced" -> {
        return String.valueOf(call);
      }
      case "letters", "signs" -> {
        if (!model.equals(wantedKind)) {
          throw new InvalidArgumentException("model", "'" + model + "' cannot answer this call");
        }
      }
      default -> throw new NotFoundException("model", model);
    }
    return "1";
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void countItems(String field, int count) {
    itemsPerCall.add(count);
    if (count == 0) {
      throw new InvalidArgumentException(field, "must not be empty");
    }
    if (count > MAX_ITEMS) {
      throw new InvalidArgumentException(field, "at most " + MAX_ITEMS + " per call, got " + count);
    }
  }

  /** p(t | prefix) of the letters model; null when the prefix has a character other than a-d. */
  private static double[] distribution(String prefix) {
    double[] counts = {1, 1, 1, 1};
    for (char c : prefix.toCharArray()) {
      if (c < 'a' || c > 'd') {
        return null;
      }
      counts[c - 'a']++;
    }
    double total = IntStream.range(0, VOCAB).mapToDouble(t -> counts[t]).sum();
    return IntStream.range(0, VOCAB).mapToDouble(t -> counts[t] / total).toArray();
  }

  /** The distribution as the inference service lists it: every id, or the top k (lower id first among equals) and the tail. */
  private static NextTokenDistribution message(double[] p, int topK) {
    NextTokenDistribution.Builder distribution = NextTokenDistribution.newBuilder().setEntropy(entropy(p));
    List<Integer> ids = IntStream.range(0, VOCAB).boxed().toList();
    if (topK > 0) {
      ids = ids.stream().sorted(Comparator.comparingDouble((Integer t) -> -p[t]).thenComparing(t -> t)).limit(topK).toList();
    }
    for (int id : ids) {
      distribution.addTokenIds(id).addProbabilities(p[id]);
    }
    double tail = 0;
    for (int t = 0; t < VOCAB; t++) {
      tail += ids.contains(t) ? 0 : p[t];
    }
    return distribution.setTailMass(topK > 0 ? tail : 0).build();
  }

  private static double entropy(double[] p) {
    double h = 0;
    for (double value : p) {
      h -= value * Math.log(value);
    }
    return h;
  }

  private static <T> void reply(StreamObserver<T> response, T value) {
    response.onNext(value);
    response.onCompleted();
  }

  private final class Models extends ModelServiceGrpc.ModelServiceImplBase {
    @Override
    public void getModel(GetModelRequest request, StreamObserver<ServedModel> response) {
      String name = request.getName();
      boolean classifier = name.equals("signs");
      String version = admit(name, name);
      reply(response, ServedModel.newBuilder().setName(name).setVersion(version)
          .setKind(classifier ? ModelKind.MODEL_KIND_CLASSIFIER : ModelKind.MODEL_KIND_LANGUAGE_MODEL)
          .setVocabSize(classifier ? 2 : VOCAB).setContextLength(classifier ? 2 : 64)
          .addAllClassNames(classifier ? List.of("neg", "pos") : List.of())
          .setState(ServingState.SERVING_STATE_READY).build());
    }
  }

  private final class Scoring extends ScoringServiceGrpc.ScoringServiceImplBase {
    @Override
    public void nextTokenDistributions(NextTokenDistributionsRequest request,
        StreamObserver<NextTokenDistributionsResponse> response) {
      String version = admit(request.getModel(), "letters");
      countItems("prefixes", request.getPrefixesCount());
      List<FieldViolation> violations = new ArrayList<>();
      NextTokenDistributionsResponse.Builder answer = NextTokenDistributionsResponse.newBuilder()
          .setModel(request.getModel()).setVersion(version);
      for (int i = 0; i < request.getPrefixesCount(); i++) {
        String prefix = request.getPrefixes(i);
        double[] p = distribution(prefix);
        if (prefix.isEmpty() || p == null) {
          violations.add(new FieldViolation("prefixes[" + i + "]", prefix.isEmpty() ? "must not be empty" : "only letters a-d"));
          continue;
        }
        answer.addDistributions(message(p, request.getTopK()));
      }
      if (!violations.isEmpty()) {
        throw new InvalidArgumentException(violations);
      }
      reply(response, answer.build());
    }

    @Override
    public void tokenDistributions(TokenDistributionsRequest request, StreamObserver<TokenDistributionsResponse> response) {
      String version = admit(request.getModel(), "letters");
      countItems("items", request.getItemsCount());
      List<FieldViolation> violations = new ArrayList<>();
      TokenDistributionsResponse.Builder answer = TokenDistributionsResponse.newBuilder()
          .setModel(request.getModel()).setVersion(version);
      for (int i = 0; i < request.getItemsCount(); i++) {
        ContinuationItem item = request.getItems(i);
        if (item.getContinuation().isEmpty() || distribution(item.getPrompt() + item.getContinuation()) == null) {
          violations.add(new FieldViolation("items[" + i + "].continuation", "must be letters a-d"));
          continue;
        }
        ContinuationDistributions.Builder result = ContinuationDistributions.newBuilder()
            .setPromptTokenCount(item.getPrompt().length());
        String context = item.getPrompt();
        for (char c : item.getContinuation().toCharArray()) {
          double[] p = distribution(context);
          result.addTokenIds(c - 'a').addTokenLogProbs(Math.log(p[c - 'a'])).addDistributions(message(p, request.getTopK()));
          context += c;
        }
        answer.addResults(result);
      }
      if (!violations.isEmpty()) {
        throw new InvalidArgumentException(violations);
      }
      reply(response, answer.build());
    }

    @Override
    public void scoreContinuations(ScoreContinuationsRequest request, StreamObserver<ScoreContinuationsResponse> response) {
      String version = admit(request.getModel(), "letters");
      countItems("items", request.getItemsCount());
      List<FieldViolation> violations = new ArrayList<>();
      ScoreContinuationsResponse.Builder answer = ScoreContinuationsResponse.newBuilder()
          .setModel(request.getModel()).setVersion(version);
      for (int i = 0; i < request.getItemsCount(); i++) {
        ContinuationItem item = request.getItems(i);
        if (item.getContinuation().isEmpty() || distribution(item.getPrompt() + item.getContinuation()) == null) {
          violations.add(new FieldViolation("items[" + i + "].continuation", "must be letters a-d"));
          continue;
        }
        ContinuationScore.Builder score = ContinuationScore.newBuilder();
        String context = item.getPrompt();
        double sum = 0;
        for (char c : item.getContinuation().toCharArray()) {
          double logProb = Math.log(distribution(context)[c - 'a']);
          score.addTokenIds(c - 'a').addTokenLogProbs(logProb);
          sum += logProb;
          context += c;
        }
        int n = item.getContinuation().length();
        answer.addScores(score.setSumLogProb(sum).setMeanLogProb(sum / n).setTokenCount(n));
      }
      if (!violations.isEmpty()) {
        throw new InvalidArgumentException(violations);
      }
      reply(response, answer.build());
    }

    @Override
    public void classify(ClassifyRequest request, StreamObserver<ClassifyResponse> response) {
      String version = admit(request.getModel(), "signs");
      countItems("features", request.getFeaturesCount());
      ClassifyResponse.Builder answer = ClassifyResponse.newBuilder().setModel(request.getModel()).setVersion(version)
          .addClassNames("neg").addClassNames("pos");
      for (int i = 0; i < request.getFeaturesCount(); i++) {
        FeatureVector vector = request.getFeatures(i);
        if (vector.getValuesCount() != 2) {
          throw new InvalidArgumentException("features[" + i + "]", "must hold 2 values, got " + vector.getValuesCount());
        }
        double max = Math.max(vector.getValues(0), vector.getValues(1));
        double neg = Math.exp(vector.getValues(0) - max);
        double pos = Math.exp(vector.getValues(1) - max);
        answer.addResults(ClassProbabilities.newBuilder().addProbabilities(neg / (neg + pos))
            .addProbabilities(pos / (neg + pos)).setLabel(pos > neg ? "pos" : "neg"));
      }
      reply(response, answer.build());
    }
  }

  private final class Generation extends GenerationServiceGrpc.GenerationServiceImplBase {
    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> response) {
      admit(request.getModel(), "letters");
      if (!request.getStrategy().getName().isEmpty() && !request.getStrategy().getName().equals("greedy")) {
        throw new InvalidArgumentException("strategy.name", "only greedy, got '" + request.getStrategy().getName() + "'");
      }
      int maxTokens = request.hasMaxTokens() ? request.getMaxTokens() : 4;
      String text = request.getPrompt();
      GenerateResponse.Builder answer = GenerateResponse.newBuilder().setModel(request.getModel()).setStrategy("greedy");
      StringBuilder generated = new StringBuilder();
      for (int index = 0; index < maxTokens; index++) {
        double[] p = distribution(text);
        if (p == null) {
          throw new InvalidArgumentException("prompt", "only letters a-d");
        }
        int best = 0;
        for (int t = 1; t < VOCAB; t++) {
          best = p[t] > p[best] ? t : best;
        }
        char letter = (char) ('a' + best);
        answer.addTokens(GeneratedToken.newBuilder().setIndex(index).setId(best).setText(String.valueOf(letter))
            .setLogProb(Math.log(p[best])));
        generated.append(letter);
        text += letter;
      }
      reply(response, answer.setText(generated.toString()).setFinishReason("max_tokens")
          .setUsage(Usage.newBuilder().setPromptTokens(request.getPrompt().length()).setCompletionTokens(maxTokens)).build());
    }
  }
}
