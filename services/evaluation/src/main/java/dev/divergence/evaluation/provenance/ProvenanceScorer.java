package dev.divergence.evaluation.provenance;

import dev.divergence.evaluation.datasets.DatasetClient;
import dev.divergence.evaluation.datasets.DatasetNotFoundException;
import dev.divergence.evaluation.datasets.TextRecord;
import dev.divergence.evaluation.inference.InferenceClient;
import dev.divergence.evaluation.inference.InferenceRejectedException;
import dev.divergence.evaluation.inference.ModelNotFoundException;
import dev.divergence.math.provenance.DcPdd;
import dev.divergence.math.provenance.TokenFrequencies;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.proto.inference.v1.ContinuationDistributions;
import dev.divergence.proto.inference.v1.ContinuationItem;
import dev.divergence.proto.inference.v1.ContinuationScore;
import dev.divergence.proto.inference.v1.ModelKind;
import dev.divergence.proto.inference.v1.ServedModel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.springframework.stereotype.Service;

/**
 * Provenance and membership scores of submitted texts: the request is checked, the texts (and a
 * reference corpus) are scored by the inference service, and {@link ProvenanceAssembly} turns the
 * scores into the library's DC-PDD and zero-shot statistic. An unknown model or dataset is a
 * rejected field (400 / INVALID_ARGUMENT); an inference or training service that does not answer
 * is 503 / UNAVAILABLE.
 */
@Service
public class ProvenanceScorer {

  static final String SCORED_POSITIONS = "each text's first character is the prompt (the inference service scores no"
      + " empty prompt; the model's BOS token, if any, precedes it); the tokens of the rest, encoded on their own by"
      + " the model's tokenizer, are scored";

  private final InferenceClient inference;
  private final DatasetClient datasets;

  public ProvenanceScorer(InferenceClient inference, DatasetClient datasets) {
    this.inference = inference;
    this.datasets = datasets;
  }

  public DcPddReport dcPdd(DcPddQuery query) {
    ProvenanceChecks.model(query.model());
    ProvenanceChecks.texts(query.texts());
    double a = ProvenanceChecks.a(query.a());
    ProvenanceChecks.Reference source = ProvenanceChecks.reference(query);
    ServedModel model = languageModel(query.model());
    int vocabulary = model.getVocabSize();

    TokenFrequencies frequencies;
    DcPddReport.Reference reference;
    switch (source) {
      case COUNTS -> {
        if (query.vocabularySize() != vocabulary) {
          throw new InvalidArgumentException("vocabularySize", "is " + query.vocabularySize() + " but model '"
              + query.model() + "' has a vocabulary of " + vocabulary + " tokens");
        }
        frequencies = TokenFrequencies.ofCounts(query.tokenCounts());
        reference = new DcPddReport.Reference("tokenCounts", null, 0, frequencies.total(), vocabulary);
      }
      case TEXTS -> {
        frequencies = tokenize(query.model(), query.referenceTexts(), vocabulary, i -> "referenceTexts[" + i + "]");
        reference = new DcPddReport.Reference("referenceTexts", null, query.referenceTexts().size(), frequencies.total(),
            vocabulary);
      }
      case DATASET -> {
        List<String> texts = readReferenceDataset(query.referenceDataset());
        frequencies = tokenize(query.model(), texts, vocabulary, i -> "referenceDataset");
        reference = new DcPddReport.Reference("referenceDataset", query.referenceDataset(), texts.size(),
            frequencies.total(), vocabulary);
      }
      default -> throw new IllegalStateException("unknown reference " + source);
    }

    List<ContinuationScore> scored = score(query.model(), ProvenanceAssembly.scoringItems(query.texts()),
        i -> "texts[" + i + "]");
    List<DcPddReport.Text> results = new ArrayList<>(scored.size());
    for (int i = 0; i < scored.size(); i++) {
      results.add(ProvenanceAssembly.dcPdd(i, scored.get(i), frequencies, a));
    }
    DcPddReport.Convention convention = new DcPddReport.Convention("nats", SCORED_POSITIONS,
        "Laplace-smoothed reference frequencies f(x) = (count(x) + 1) / (N + |V|)",
        "first occurrence of each token id (FOS); alpha = p (-log f) clipped at a; score = mean over FOS",
        "larger score: more likely a member of the model's pretraining data", DcPdd.DEFAULT_A);
    return new DcPddReport(query.model(), model.getVersion(), a, reference, convention, results);
  }

  public ZeroShotReport zeroShot(ZeroShotQuery query) {
    ProvenanceChecks.model(query.model());
    ProvenanceChecks.texts(query.texts());
    double delta = ProvenanceChecks.delta(query.delta());
    ServedModel model = languageModel(query.model());
    int vocabulary = model.getVocabSize();

    // top 1: each position's entropy is always that of the full distribution, and one token keeps answers small
    List<ContinuationDistributions> scored = rejectedAs(() -> inference.tokenDistributions(query.model(),
        ProvenanceAssembly.scoringItems(query.texts()), 1), i -> "texts[" + i + "]");
    List<ZeroShotReport.Text> results = new ArrayList<>(scored.size());
    for (int i = 0; i < scored.size(); i++) {
      results.add(ProvenanceAssembly.zeroShot(i, scored.get(i), vocabulary, delta));
    }
    ZeroShotReport.Convention convention = new ZeroShotReport.Convention("nats", SCORED_POSITIONS,
        "the entropy of the model's full next-token distribution before each scored token, from the same forward"
            + " pass as its log-probability");
    return new ZeroShotReport(query.model(), model.getVersion(), delta, vocabulary, convention, results);
  }

  /** The served model, which must be a language model; an unknown one is the request's {@code model} field. */
  private ServedModel languageModel(String name) {
    ServedModel model;
    try {
      model = inference.model(name);
    } catch (ModelNotFoundException unknown) {
      throw new InvalidArgumentException("model", unknown.getMessage());
    }
    if (model.getKind() != ModelKind.MODEL_KIND_LANGUAGE_MODEL) {
      throw new InvalidArgumentException("model", "'" + name + "' is not a language model (" + model.getKind() + ")");
    }
    if (model.getVocabSize() < 2) {
      throw new InvalidArgumentException("model", "'" + name + "' has a vocabulary of " + model.getVocabSize()
          + " tokens; at least 2 are needed");
    }
    return model;
  }

  private List<ContinuationScore> score(String model, List<ContinuationItem> items, Function<Integer, String> fieldOfItem) {
    return rejectedAs(() -> inference.scoreContinuations(model, items), fieldOfItem);
  }

  private static <T> T rejectedAs(Supplier<T> call, Function<Integer, String> fieldOfItem) {
    try {
      return call.get();
    } catch (InferenceRejectedException rejected) {
      throw ProvenanceAssembly.renamed(rejected, fieldOfItem);
    } catch (ModelNotFoundException gone) {
      // deleted between the lookup and the scoring call
      throw new InvalidArgumentException("model", gone.getMessage());
    }
  }

  private TokenFrequencies tokenize(String model, List<String> texts, int vocabulary, Function<Integer, String> fieldOfItem) {
    List<ContinuationScore> tokenized = score(model, ProvenanceAssembly.tokenizingItems(texts), fieldOfItem);
    return TokenFrequencies.ofCounts(ProvenanceAssembly.countTokens(tokenized, vocabulary));
  }

  /** The texts of the dataset's first records (every split), each checked as a reference text. */
  private List<String> readReferenceDataset(String dataset) {
    List<TextRecord> records;
    try {
      records = datasets.readTexts(dataset, "", ProvenanceLimits.MAX_REFERENCE_TEXTS);
    } catch (DatasetNotFoundException unknown) {
      throw new InvalidArgumentException("referenceDataset", "no dataset '" + dataset + "' in the training service's"
          + " registry");
    } catch (InvalidArgumentException rejected) {
      throw new InvalidArgumentException(rejected.violations().stream()
          .map(v -> new FieldViolation("referenceDataset", v.field() + ": " + v.message())).toList());
    } catch (StatusRuntimeException failed) {
      throw new UpstreamUnavailableException("the training service's dataset registry did not answer for '" + dataset
          + "': " + failed.getStatus().getCode() + " " + failed.getStatus().getDescription());
    }
    if (records.isEmpty()) {
      throw new InvalidArgumentException("referenceDataset", "dataset '" + dataset + "' has no records");
    }
    List<String> texts = new ArrayList<>(records.size());
    for (TextRecord record : records) {
      String text = record.text();
      try {
        ProvenanceChecks.referenceText("referenceDataset", text);
      } catch (InvalidArgumentException bad) {
        throw new InvalidArgumentException("referenceDataset", "record " + record.index() + " of split '"
            + record.split() + "' " + bad.violations().getFirst().message());
      }
      texts.add(text);
    }
    return texts;
  }
}
