package dev.divergence.inference.scoring;

import dev.divergence.inference.backend.ServingBackendException;
import dev.divergence.inference.config.InferenceProperties;
import dev.divergence.inference.models.ModelKind;
import dev.divergence.inference.models.StoredModelCatalog;
import dev.divergence.inference.store.CatalogEntry;
import dev.divergence.model.generation.TokenRanking;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.modelserver.client.InferRequest;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.springframework.stereotype.Service;

/**
 * Continuation log-probs, next-token distributions and class probabilities, every one computed by
 * the serving backend through the Triton client. Prompts are encoded with the model's tokenizer
 * and start with its BOS token when it has one, as generation does.
 */
@Service
public class ScoringService {

  /** Bounds one call's work: at most this many items, prefixes or feature vectors. */
  static final int MAX_ITEMS = 256;
  /**
   * Bounds one token-distributions answer: positions times listed tokens (the vocabulary for full
   * distributions, k for top-k). 2^21 values are about 20 MB over gRPC and 45 MB as JSON, and
   * about 70 MB of the service's heap while the answer is built (primitive arrays, then protobuf).
   */
  static final long MAX_DISTRIBUTION_VALUES = 1L << 21;

  private final StoredModelCatalog catalog;
  private final TritonClient client;
  private final InferenceProperties properties;
  private final MeterRegistry meters;

  public ScoringService(StoredModelCatalog catalog, TritonClient client, InferenceProperties properties, MeterRegistry meters) {
    this.catalog = catalog;
    this.client = client;
    this.properties = properties;
    this.meters = meters;
  }

  /**
   * log p(continuation | prompt) token by token, from one forward pass per item: the prompt and
   * the continuation without its last token are one row of the stateless entry, whose
   * {@code all_logits} give the next-token logits before every continuation token.
   */
  public Scores<ContinuationScore> continuations(String model, List<ContinuationItemInput> items) {
    CatalogEntry entry = languageModel(model);
    TextTokenizer tokenizer = catalog.tokenizer(model);
    List<FieldViolation> violations = new ArrayList<>();
    TokenizedItems tokenized = tokenize(entry, tokenizer, items, violations);
    reject(violations);
    return timed("continuations", () -> {
      int vocab = entry.vocabSize();
      List<float[]> logits = tokenized.positionLogits(client, model, version(entry), properties.languageModelBatch(), vocab,
          padId(tokenizer));
      List<ContinuationScore> scores = new ArrayList<>();
      for (int i = 0; i < tokenized.size(); i++) {
        long[] continuation = tokenized.continuations().get(i);
        List<Double> logProbs = new ArrayList<>(continuation.length);
        double sum = 0;
        for (int t = 0; t < continuation.length; t++) {
          double lp = Softmax.logSoftmax(logits.get(i), t * vocab, vocab)[(int) continuation[t]];
          logProbs.add(lp);
          sum += lp;
        }
        scores.add(new ContinuationScore(LanguageModelRows.boxed(continuation), logProbs, sum, sum / continuation.length,
            continuation.length));
      }
      return new Scores<>(model, version(entry), List.of(), scores);
    });
  }

  /**
   * For each (prompt, continuation): the next-token distribution before every continuation token
   * (full, or the top k with the tail mass; entropy of the full distribution), the continuation's
   * token ids and their log-probs, all from one forward pass per item as {@link #continuations}.
   * {@code topK} null: full distributions.
   */
  public Scores<ContinuationDistributions> tokenDistributions(String model, List<ContinuationItemInput> items, Integer topK) {
    CatalogEntry entry = languageModel(model);
    TextTokenizer tokenizer = catalog.tokenizer(model);
    List<FieldViolation> violations = new ArrayList<>();
    if (topK != null && (topK < 1 || topK > entry.vocabSize())) {
      violations.add(new FieldViolation("topK", "must be between 1 and the vocabulary size " + entry.vocabSize() + ", got " + topK));
    }
    TokenizedItems tokenized = tokenize(entry, tokenizer, items, violations);
    if (violations.isEmpty()) {
      long positions = tokenized.continuations().stream().mapToLong(c -> c.length).sum();
      long values = positions * (topK == null ? entry.vocabSize() : topK);
      if (values > MAX_DISTRIBUTION_VALUES) {
        violations.add(new FieldViolation("items", "the answer would list " + values + " token probabilities (" + positions
            + " continuation tokens times " + (topK == null ? "the vocabulary of " + entry.vocabSize() : "top k " + topK)
            + "), more than " + MAX_DISTRIBUTION_VALUES + " per call: send fewer items or ask for top k"));
      }
    }
    reject(violations);
    return timed("token_distributions", () -> {
      int vocab = entry.vocabSize();
      List<float[]> logits = tokenized.positionLogits(client, model, version(entry), properties.languageModelBatch(), vocab,
          padId(tokenizer));
      List<ContinuationDistributions> out = new ArrayList<>(tokenized.size());
      long[] allIds = allIds(vocab);
      for (int i = 0; i < tokenized.size(); i++) {
        long[] continuation = tokenized.continuations().get(i);
        List<Double> tokenLogProbs = new ArrayList<>(continuation.length);
        List<NextTokenDistribution> distributions = new ArrayList<>(continuation.length);
        for (int t = 0; t < continuation.length; t++) {
          double[] logProbs = Softmax.logSoftmax(logits.get(i), t * vocab, vocab);
          tokenLogProbs.add(logProbs[(int) continuation[t]]);
          distributions.add(distribution(allIds, logProbs, topK));
        }
        out.add(new ContinuationDistributions(LanguageModelRows.boxed(continuation), tokenLogProbs, distributions,
            tokenized.prompts().get(i).length));
      }
      return new Scores<>(model, version(entry), List.of(), out);
    });
  }

  /** Prompts (with BOS) and continuations as token ids, item by item. */
  private record TokenizedItems(List<long[]> prompts, List<long[]> continuations) {

    int size() {
      return prompts.size();
    }

    /**
     * Per item, the next-token logits before each continuation token: one row (the prompt and the
     * continuation but its last token), positions prompt - 1 .. prompt + continuation - 2.
     */
    List<float[]> positionLogits(TritonClient client, String model, String version, int maxBatch, int vocab, long padId) {
      List<long[]> rows = new ArrayList<>(size());
      int[] from = new int[size()];
      for (int i = 0; i < size(); i++) {
        long[] prompt = prompts.get(i);
        long[] continuation = continuations.get(i);
        rows.add(LanguageModelRows.concat(prompt, continuation, continuation.length - 1));
        from[i] = prompt.length - 1;
      }
      return LanguageModelRows.positionLogits(client, model, version, rows, from, maxBatch, vocab, padId);
    }
  }

  private static TokenizedItems tokenize(CatalogEntry entry, TextTokenizer tokenizer, List<ContinuationItemInput> items,
      List<FieldViolation> violations) {
    requireItems(violations, "items", items == null ? 0 : items.size());
    List<long[]> prompts = new ArrayList<>();
    List<long[]> continuations = new ArrayList<>();
    for (int i = 0; items != null && i < items.size(); i++) {
      ContinuationItemInput item = items.get(i);
      String field = "items[" + i + "]";
      if (item == null) {
        violations.add(new FieldViolation(field, "must not be null"));
        continue;
      }
      long[] prompt = withBos(tokenizer, text(violations, field + ".prompt", item.prompt(), tokenizer));
      long[] continuation = text(violations, field + ".continuation", item.continuation(), tokenizer);
      if (prompt.length + continuation.length > entry.contextLength()) {
        violations.add(new FieldViolation(field, "prompt and continuation take " + (prompt.length + continuation.length)
            + " tokens, more than the model's context length " + entry.contextLength()));
      }
      prompts.add(prompt);
      continuations.add(continuation);
    }
    return new TokenizedItems(prompts, continuations);
  }

  /** The next-token distribution after each prefix; {@code topK} null: the full distribution. */
  public Scores<NextTokenDistribution> nextToken(String model, List<String> prefixes, Integer topK) {
    CatalogEntry entry = languageModel(model);
    TextTokenizer tokenizer = catalog.tokenizer(model);
    List<FieldViolation> violations = new ArrayList<>();
    requireItems(violations, "prefixes", prefixes == null ? 0 : prefixes.size());
    if (topK != null && (topK < 1 || topK > entry.vocabSize())) {
      violations.add(new FieldViolation("topK", "must be between 1 and the vocabulary size " + entry.vocabSize() + ", got " + topK));
    }
    List<long[]> rows = new ArrayList<>();
    for (int i = 0; prefixes != null && i < prefixes.size(); i++) {
      long[] row = withBos(tokenizer, text(violations, "prefixes[" + i + "]", prefixes.get(i), tokenizer));
      if (row.length > entry.contextLength()) {
        violations.add(new FieldViolation("prefixes[" + i + "]", row.length + " tokens, more than the model's context length "
            + entry.contextLength()));
      }
      rows.add(row);
    }
    reject(violations);
    return timed("next_token", () -> {
      int vocab = entry.vocabSize();
      float[] logits = LanguageModelRows.nextTokenLogits(client, model, version(entry), rows, properties.languageModelBatch(),
          vocab, padId(tokenizer));
      List<NextTokenDistribution> out = new ArrayList<>();
      long[] allIds = allIds(vocab);
      for (int r = 0; r < rows.size(); r++) {
        out.add(distribution(allIds, Softmax.logSoftmax(logits, r * vocab, vocab), topK));
      }
      return new Scores<>(model, version(entry), List.of(), out);
    });
  }

  /** Class probabilities of each feature vector (softmax of the classifier's logits). */
  public Scores<ClassProbabilities> classify(String model, List<List<Float>> features) {
    CatalogEntry entry = catalog.find(model);
    if (entry.kind() == ModelKind.LANGUAGE_MODEL) {
      throw new InvalidArgumentException("model", "'" + model + "' is a language model, not a classifier");
    }
    entry = catalog.requireEntry(model);
    int dim = entry.contextLength();
    List<FieldViolation> violations = new ArrayList<>();
    requireItems(violations, "features", features == null ? 0 : features.size());
    for (int i = 0; features != null && i < features.size(); i++) {
      List<Float> row = features.get(i);
      if (row == null || row.size() != dim) {
        violations.add(new FieldViolation("features[" + i + "]", "must hold " + dim + " values (the model's input features), got "
            + (row == null ? 0 : row.size())));
      } else if (row.stream().anyMatch(v -> v == null || !Float.isFinite(v))) {
        violations.add(new FieldViolation("features[" + i + "]", "values must be finite numbers"));
      }
    }
    reject(violations);
    CatalogEntry classifier = entry;
    return timed("classify", () -> {
      int classes = classifier.vocabSize();
      List<ClassProbabilities> out = new ArrayList<>();
      int maxBatch = properties.classifierBatch();
      for (int start = 0; start < features.size(); start += maxBatch) {
        List<List<Float>> chunk = features.subList(start, Math.min(features.size(), start + maxBatch));
        float[] values = new float[chunk.size() * dim];
        for (int r = 0; r < chunk.size(); r++) {
          for (int c = 0; c < dim; c++) {
            values[r * dim + c] = chunk.get(r).get(c);
          }
        }
        float[] logits;
        try {
          logits = client.infer(InferRequest.to(model).version(version(classifier))
                  .input("features", Tensor.fp32(new long[] {chunk.size(), dim}, values))
                  .output("logits"))
              .output("logits").toFloats();
        } catch (StatusRuntimeException e) {
          throw ServingBackendException.translate(e, model);
        }
        for (int r = 0; r < chunk.size(); r++) {
          double[] logProbs = Softmax.logSoftmax(logits, r * classes, classes);
          List<Double> probabilities = Arrays.stream(logProbs).map(Math::exp).boxed().toList();
          int best = IntStream.range(0, classes).reduce((a, b) -> logProbs[b] > logProbs[a] ? b : a).orElseThrow();
          out.add(new ClassProbabilities(probabilities, classifier.classNames().get(best)));
        }
      }
      return new Scores<>(model, version(classifier), classifier.classNames(), out);
    });
  }

  private CatalogEntry languageModel(String model) {
    CatalogEntry entry = catalog.find(model);
    if (entry.kind() == ModelKind.CLASSIFIER) {
      throw new InvalidArgumentException("model", "'" + model + "' is a classifier, not a language model");
    }
    return catalog.requireEntry(model);
  }

  /** Token ids 0 .. vocab - 1, for the full distributions of one call. */
  private static long[] allIds(int vocab) {
    long[] ids = new long[vocab];
    for (int id = 0; id < vocab; id++) {
      ids[id] = id;
    }
    return ids;
  }

  /**
   * One position's distribution as listed: every id ({@code topK} null) or the k most probable
   * (lower id first among equals) with the tail mass, and the entropy of the full distribution in
   * nats. Each log-prob is exponentiated once, for the probability, the entropy and the tail alike.
   */
  private static NextTokenDistribution distribution(long[] allIds, double[] logProbs, Integer topK) {
    double[] probabilities = new double[logProbs.length];
    double entropy = 0;
    for (int id = 0; id < logProbs.length; id++) {
      double p = Math.exp(logProbs[id]);
      probabilities[id] = p;
      if (logProbs[id] > Double.NEGATIVE_INFINITY) {
        entropy -= p * logProbs[id];
      }
    }
    if (topK == null) {
      return new NextTokenDistribution(allIds, probabilities, 0.0, entropy);
    }
    // partial selection of the k best on primitives, not a sort of the vocabulary
    TokenRanking ranking = new TokenRanking(logProbs);
    long[] ids = new long[topK];
    double[] listedProbabilities = new double[topK];
    boolean[] listed = new boolean[logProbs.length];
    for (int r = 0; r < topK; r++) {
      int id = ranking.token(r);
      ids[r] = id;
      listedProbabilities[r] = probabilities[id];
      listed[id] = true;
    }
    // the tail summed, not taken as 1 - listed (which cancels to 0 or below when the tail is tiny)
    double tail = 0;
    for (int id = 0; id < logProbs.length; id++) {
      tail += listed[id] ? 0.0 : probabilities[id];
    }
    return new NextTokenDistribution(ids, listedProbabilities, tail, entropy);
  }

  private static void requireItems(List<FieldViolation> violations, String field, int count) {
    if (count == 0) {
      violations.add(new FieldViolation(field, "must not be empty"));
    } else if (count > MAX_ITEMS) {
      violations.add(new FieldViolation(field, "at most " + MAX_ITEMS + " per call, got " + count));
    }
  }

  private static long[] text(List<FieldViolation> violations, String field, String text, TextTokenizer tokenizer) {
    if (text == null || text.isEmpty()) {
      violations.add(new FieldViolation(field, "must not be empty"));
      return new long[0];
    }
    long[] ids = tokenizer.encode(text);
    if (ids.length == 0) {
      violations.add(new FieldViolation(field, "encodes to no tokens"));
    }
    return ids;
  }

  private static long[] withBos(TextTokenizer tokenizer, long[] ids) {
    if (tokenizer.bosTokenId().isEmpty()) {
      return ids;
    }
    long[] row = new long[ids.length + 1];
    row[0] = tokenizer.bosTokenId().getAsLong();
    System.arraycopy(ids, 0, row, 1, ids.length);
    return row;
  }

  private static long padId(TextTokenizer tokenizer) {
    // masked out either way; any id inside the vocabulary will do
    return tokenizer.padTokenId().orElse(0L);
  }

  private static void reject(List<FieldViolation> violations) {
    if (!violations.isEmpty()) {
      throw new InvalidArgumentException(violations);
    }
  }

  private static String version(CatalogEntry entry) {
    return Integer.toString(entry.version());
  }

  private <T> T timed(String operation, Supplier<T> work) {
    return Timer.builder("divergence.inference.scoring")
        .description("Scoring calls, from validated request to result")
        .tag("operation", operation)
        .register(meters)
        .record(work);
  }
}
