package dev.divergence.evaluation.inference;

import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.grpc.client.GrpcClientProperties;
import dev.divergence.platform.grpc.client.GrpcClients;
import dev.divergence.proto.inference.v1.ClassifyRequest;
import dev.divergence.proto.inference.v1.ClassifyResponse;
import dev.divergence.proto.inference.v1.ContinuationDistributions;
import dev.divergence.proto.inference.v1.ContinuationItem;
import dev.divergence.proto.inference.v1.ContinuationScore;
import dev.divergence.proto.inference.v1.FeatureVector;
import dev.divergence.proto.inference.v1.GenerateRequest;
import dev.divergence.proto.inference.v1.GenerateResponse;
import dev.divergence.proto.inference.v1.GenerationServiceGrpc;
import dev.divergence.proto.inference.v1.GetModelRequest;
import dev.divergence.proto.inference.v1.ModelServiceGrpc;
import dev.divergence.proto.inference.v1.NextTokenDistribution;
import dev.divergence.proto.inference.v1.NextTokenDistributionsRequest;
import dev.divergence.proto.inference.v1.NextTokenDistributionsResponse;
import dev.divergence.proto.inference.v1.ScoreContinuationsRequest;
import dev.divergence.proto.inference.v1.ScoreContinuationsResponse;
import dev.divergence.proto.inference.v1.ScoringServiceGrpc;
import dev.divergence.proto.inference.v1.ServedModel;
import dev.divergence.proto.inference.v1.TokenDistributionsRequest;
import dev.divergence.proto.inference.v1.TokenDistributionsResponse;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Evaluation's only way to model outputs: the inference service's public gRPC API (ModelService,
 * ScoringService, GenerationService) through the platform's {@code inference} client, so every call
 * has a deadline, is retried while the service is UNAVAILABLE, and carries tenant and trace context.
 *
 * <p>Long lists are sent in chunks of {@code divergence.evaluation.inference.chunk-size} (the
 * inference service takes at most 256 items per call, and a full-vocabulary distribution per prefix
 * makes answers large); results come back in the caller's order. All chunks of one call must be
 * answered by the same model version: a model replaced midway fails the call rather than mixing
 * two models' outputs in one result.
 *
 * <p>gRPC errors become this package's exceptions, whose messages are fit to show a user:
 * NOT_FOUND {@link ModelNotFoundException}, FAILED_PRECONDITION and UNAVAILABLE (after the retries)
 * and DEADLINE_EXCEEDED {@link ModelUnavailableException}, INVALID_ARGUMENT and RESOURCE_EXHAUSTED
 * {@link InferenceRejectedException} (with indices of the caller's whole list), anything else
 * {@link InferenceFailedException}.
 */
@Component
public class InferenceClient {

  /** The client's name: its settings are {@code divergence.clients.inference.*}. */
  public static final String CLIENT = "inference";

  /** Indexed fields of the inference requests, as its errors name them ({@code prefixes[3]}, {@code items[0].prompt}). */
  private static final Pattern INDEXED_FIELD = Pattern.compile("\\b(prefixes|items|features)\\[(\\d+)]");

  private final ModelServiceGrpc.ModelServiceBlockingStub models;
  private final ScoringServiceGrpc.ScoringServiceBlockingStub scoring;
  private final GenerationServiceGrpc.GenerationServiceBlockingStub generation;
  private final GrpcClientProperties settings;
  private final int chunkSize;

  /**
   * @throws IllegalStateException at startup when {@code divergence.clients.inference.target} is not set
   */
  public InferenceClient(GrpcClients clients, @Value("${divergence.evaluation.inference.chunk-size:64}") int chunkSize) {
    if (chunkSize < 1) {
      throw new IllegalStateException("divergence.evaluation.inference.chunk-size must be at least 1, got " + chunkSize);
    }
    Channel channel = clients.channel(CLIENT);
    this.models = ModelServiceGrpc.newBlockingStub(channel);
    this.scoring = ScoringServiceGrpc.newBlockingStub(channel);
    this.generation = GenerationServiceGrpc.newBlockingStub(channel);
    this.settings = clients.settings(CLIENT);
    this.chunkSize = chunkSize;
  }

  /** The served model: kind, vocabulary or classes, state, lineage. */
  public ServedModel model(String name) {
    return call(name, 0, () -> models.getModel(GetModelRequest.newBuilder().setName(name).build()));
  }

  /**
   * The next-token distribution after each prefix, in order.
   *
   * @param topK 0 for the full distribution, otherwise the k most probable tokens and the tail mass
   */
  public List<NextTokenDistribution> nextTokenDistributions(String model, List<String> prefixes, int topK) {
    return chunked(model, prefixes, chunk -> {
      NextTokenDistributionsResponse answer = scoring.nextTokenDistributions(NextTokenDistributionsRequest.newBuilder()
          .setModel(model).addAllPrefixes(chunk).setTopK(topK).build());
      return new Answer<>(answer.getVersion(), answer.getDistributionsList());
    });
  }

  /** log p(continuation | prompt) token by token for each item, in order. */
  public List<ContinuationScore> scoreContinuations(String model, List<ContinuationItem> items) {
    return chunked(model, items, chunk -> {
      ScoreContinuationsResponse answer = scoring.scoreContinuations(ScoreContinuationsRequest.newBuilder()
          .setModel(model).addAllItems(chunk).build());
      return new Answer<>(answer.getVersion(), answer.getScoresList());
    });
  }

  /**
   * For each (prompt, continuation), in order: the model's next-token distribution before every
   * continuation token ({@code getDistributions(t)}: full, or the top k with the tail mass; entropy
   * of the full distribution in nats), the continuation's token ids and their natural-log probs,
   * and the prompt's token count. The inference service computes each item in one forward pass
   * (TokenDistributions), where {@link #nextTokenDistributions} over every prefix costs one row per
   * prefix.
   *
   * <p>Chunks hold at most {@code divergence.evaluation.inference.chunk-size} items and, as the
   * service answers at most {@link #MAX_DISTRIBUTION_VALUES} listed probabilities per call
   * (continuation tokens times the vocabulary, or times k), few enough items for that (see
   * {@link #distributionChunkEnds}); full distributions ask the model's vocabulary size first.
   *
   * @param topK 0 for full distributions, otherwise the k most probable tokens at each position
   */
  public List<ContinuationDistributions> tokenDistributions(String model, List<ContinuationItem> items, int topK) {
    if (items.isEmpty()) {
      return List.of();
    }
    long listedPerToken = topK > 0 ? topK : model(model).getVocabSize();
    int[] ends = distributionChunkEnds(items, listedPerToken, MAX_DISTRIBUTION_VALUES, chunkSize);
    return chunked(model, items, ends, chunk -> {
      TokenDistributionsResponse answer = scoring.tokenDistributions(TokenDistributionsRequest.newBuilder()
          .setModel(model).addAllItems(chunk).setTopK(topK).build());
      return new Answer<>(answer.getVersion(), answer.getResultsList());
    });
  }

  /** The inference service's bound on the probabilities one TokenDistributions answer lists. */
  static final long MAX_DISTRIBUTION_VALUES = 1L << 21;

  /**
   * Where consecutive chunks of {@code items} end: at most {@code chunkSize} items, and listed
   * values (continuation tokens times {@code listedPerToken}) within {@code maxValues}, an item's
   * tokens taken as its continuation's UTF-8 bytes plus one (byte-level and byte-fallback
   * tokenizers make at most one token per byte, plus a leading marker for some). An item over the
   * bound alone goes alone, for the service to reject naming it.
   */
  static int[] distributionChunkEnds(List<ContinuationItem> items, long listedPerToken, long maxValues, int chunkSize) {
    List<Integer> ends = new ArrayList<>();
    int count = 0;
    long values = 0;
    for (int i = 0; i < items.size(); i++) {
      long itemValues = (items.get(i).getContinuation().getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1L)
          * listedPerToken;
      if (count > 0 && (count == chunkSize || values + itemValues > maxValues)) {
        ends.add(i);
        count = 0;
        values = 0;
      }
      count++;
      values += itemValues;
    }
    ends.add(items.size());
    return ends.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Class probabilities of each feature vector, in order, with the model's class names and version. */
  public ClassifyResponse classify(String model, List<float[]> features) {
    ClassifyResponse.Builder merged = ClassifyResponse.newBuilder().setModel(model);
    List<ClassifyResponse> answers = new ArrayList<>();
    List<dev.divergence.proto.inference.v1.ClassProbabilities> results = chunked(model, features, chunk -> {
      ClassifyRequest.Builder request = ClassifyRequest.newBuilder().setModel(model);
      for (float[] vector : chunk) {
        FeatureVector.Builder values = FeatureVector.newBuilder();
        for (float value : vector) {
          values.addValues(value);
        }
        request.addFeatures(values);
      }
      ClassifyResponse answer = scoring.classify(request.build());
      answers.add(answer);
      return new Answer<>(answer.getVersion(), answer.getResultsList());
    });
    if (!answers.isEmpty()) {
      merged.setModel(answers.getFirst().getModel()).setVersion(answers.getFirst().getVersion())
          .addAllClassNames(answers.getFirst().getClassNamesList());
    }
    return merged.addAllResults(results).build();
  }

  /** One generation, as the inference service's Generate. */
  public GenerateResponse generate(GenerateRequest request) {
    return call(request.getModel(), 0, () -> generation.generate(request));
  }

  /** One chunk's results and the model version that computed them. */
  private record Answer<R>(String version, List<R> results) {}

  private <T, R> List<R> chunked(String model, List<T> inputs, Function<List<T>, Answer<R>> send) {
    int[] ends = new int[(inputs.size() + chunkSize - 1) / chunkSize];
    for (int c = 0; c < ends.length; c++) {
      ends[c] = Math.min(inputs.size(), (c + 1) * chunkSize);
    }
    return chunked(model, inputs, ends, send);
  }

  /** {@code inputs} sent in consecutive chunks ending at {@code ends}. */
  private <T, R> List<R> chunked(String model, List<T> inputs, int[] ends, Function<List<T>, Answer<R>> send) {
    List<R> results = new ArrayList<>(inputs.size());
    String version = null;
    int start = 0;
    for (int end : ends) {
      List<T> chunk = inputs.subList(start, end);
      Answer<R> answer = call(model, start, () -> send.apply(chunk));
      if (answer.results().size() != chunk.size()) {
        throw new InferenceFailedException("the inference service answered " + answer.results().size() + " results for "
            + chunk.size() + " inputs of model '" + model + "'");
      }
      if (version != null && !version.equals(answer.version())) {
        throw new ModelUnavailableException(model, "it was replaced by version " + answer.version() + " while version "
            + version + " was computing this request; run it again");
      }
      version = answer.version();
      results.addAll(answer.results());
      start = end;
    }
    return results;
  }

  private <T> T call(String model, int offset, Supplier<T> rpc) {
    try {
      return rpc.get();
    } catch (StatusRuntimeException error) {
      throw translate(model, offset, error);
    }
  }

  /**
   * The evaluation-level exception for a failed call about {@code model}; {@code offset} is the
   * index in the caller's list of the first item of the chunk that was sent.
   */
  InferenceException translate(String model, int offset, StatusRuntimeException error) {
    Status status = error.getStatus();
    String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
    return switch (status.getCode()) {
      case NOT_FOUND -> new ModelNotFoundException(model);
      case FAILED_PRECONDITION -> new ModelUnavailableException(model, description);
      case UNAVAILABLE -> new ModelUnavailableException(model, "the inference service is unavailable after "
          + settings.maxAttempts() + " attempts (" + description + ")");
      case DEADLINE_EXCEEDED -> new ModelUnavailableException(model, "the inference service did not answer within "
          + settings.deadline().toMillis() + " ms");
      case INVALID_ARGUMENT -> new InferenceRejectedException(shifted(description, offset), violations(error, description, offset));
      case RESOURCE_EXHAUSTED -> new InferenceRejectedException(description
          + " (lower divergence.evaluation.inference.chunk-size to send fewer items per call)");
      default -> new InferenceFailedException("the inference service failed on model '" + model + "': "
          + status.getCode() + " " + description);
    };
  }

  /** The fields the inference service named, renumbered for the caller's whole list, with their messages. */
  private static List<FieldViolation> violations(StatusRuntimeException error, String description, int offset) {
    Metadata trailers = error.getTrailers();
    String fields = trailers == null ? null : trailers.get(GrpcStatusMapper.INVALID_FIELDS);
    if (fields == null || fields.isBlank()) {
      return List.of();
    }
    String[] parts = description.split("; ");
    List<FieldViolation> violations = new ArrayList<>();
    for (String field : fields.split(",")) {
      String message = description;
      for (String part : parts) {
        if (part.startsWith(field + ": ")) {
          message = part.substring(field.length() + 2);
          break;
        }
      }
      violations.add(new FieldViolation(shifted(field, offset), message));
    }
    return violations;
  }

  /** {@code prefixes[3]} of a chunk that started at index 64 is {@code prefixes[67]} of the caller's list. */
  static String shifted(String text, int offset) {
    if (offset == 0) {
      return text;
    }
    Matcher matcher = INDEXED_FIELD.matcher(text);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      long index = Long.parseLong(matcher.group(2)) + offset;
      matcher.appendReplacement(out, Matcher.quoteReplacement(matcher.group(1) + "[" + index + "]"));
    }
    matcher.appendTail(out);
    return out.toString();
  }
}
