package dev.divergence.evaluation.provenance;

import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.List;

/**
 * The checks of a provenance request that need no other service, the same for REST and gRPC. Each
 * failure names the field and, in a list, the first offending index ({@code texts[2]}).
 */
public final class ProvenanceChecks {

  /** Which of the three references a DC-PDD request gives. */
  public enum Reference { TEXTS, DATASET, COUNTS }

  private ProvenanceChecks() {}

  static void model(String model) {
    if (model == null || model.isBlank()) {
      throw new InvalidArgumentException("model", "is required");
    }
  }

  /** Texts to score: each has a first character (the prompt) and at least one more (the scored part). */
  static void texts(List<String> texts) {
    if (texts == null || texts.isEmpty()) {
      throw new InvalidArgumentException("texts", "must not be empty");
    }
    if (texts.size() > ProvenanceLimits.MAX_TEXTS) {
      throw new InvalidArgumentException("texts", "at most " + ProvenanceLimits.MAX_TEXTS + " texts per request, got "
          + texts.size());
    }
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      String field = "texts[" + i + "]";
      if (text == null || text.isEmpty()) {
        throw new InvalidArgumentException(field, "must not be empty");
      }
      if (text.length() > ProvenanceLimits.MAX_TEXT_CHARS) {
        throw new InvalidArgumentException(field, "has " + text.length() + " characters, more than "
            + ProvenanceLimits.MAX_TEXT_CHARS);
      }
      if (text.codePointCount(0, text.length()) < 2) {
        throw new InvalidArgumentException(field, "must have at least 2 characters: the first is the prompt the rest"
            + " is scored after (the inference service scores no empty prompt)");
      }
    }
  }

  /** DC-PDD's clipping bound; null is the library's default. */
  static double a(Double a) {
    if (a == null) {
      return dev.divergence.math.provenance.DcPdd.DEFAULT_A;
    }
    if (!(a > 0) || a.isInfinite()) {
      throw new InvalidArgumentException("a", "must be a finite number > 0 but is " + a);
    }
    return a;
  }

  /** The zero-shot statistic's level; null is {@link ProvenanceLimits#DEFAULT_DELTA}. */
  static double delta(Double delta) {
    if (delta == null) {
      return ProvenanceLimits.DEFAULT_DELTA;
    }
    if (!(delta > 0 && delta < 1)) {
      throw new InvalidArgumentException("delta", "must be in (0, 1) but is " + delta);
    }
    return delta;
  }

  /** Checks the one reference given and says which it is. */
  static Reference reference(DcPddQuery query) {
    boolean texts = query.referenceTexts() != null;
    boolean dataset = query.referenceDataset() != null;
    boolean counts = query.tokenCounts() != null || query.vocabularySize() != null;
    int given = (texts ? 1 : 0) + (dataset ? 1 : 0) + (counts ? 1 : 0);
    if (given == 0) {
      throw new InvalidArgumentException("referenceTexts", "a reference corpus is required: referenceTexts,"
          + " referenceDataset, or tokenCounts with vocabularySize");
    }
    if (given > 1) {
      throw new InvalidArgumentException(texts ? (dataset ? "referenceDataset" : "tokenCounts") : "tokenCounts",
          "give only one reference: referenceTexts, referenceDataset, or tokenCounts with vocabularySize");
    }
    if (texts) {
      referenceTexts(query.referenceTexts());
      return Reference.TEXTS;
    }
    if (dataset) {
      if (query.referenceDataset().isBlank()) {
        throw new InvalidArgumentException("referenceDataset", "must name a text dataset of the training service's registry");
      }
      return Reference.DATASET;
    }
    counts(query.tokenCounts(), query.vocabularySize());
    return Reference.COUNTS;
  }

  private static void referenceTexts(List<String> texts) {
    if (texts.isEmpty()) {
      throw new InvalidArgumentException("referenceTexts", "must not be empty");
    }
    if (texts.size() > ProvenanceLimits.MAX_REFERENCE_TEXTS) {
      throw new InvalidArgumentException("referenceTexts", "at most " + ProvenanceLimits.MAX_REFERENCE_TEXTS
          + " texts per request, got " + texts.size());
    }
    for (int i = 0; i < texts.size(); i++) {
      referenceText("referenceTexts[" + i + "]", texts.get(i));
    }
  }

  /** One text of the reference corpus, given or read from a dataset ({@code field} names it either way). */
  static void referenceText(String field, String text) {
    if (text == null || text.isEmpty()) {
      throw new InvalidArgumentException(field, "must not be empty");
    }
    if (text.length() > ProvenanceLimits.MAX_REFERENCE_TEXT_CHARS) {
      throw new InvalidArgumentException(field, "has " + text.length() + " characters, more than "
          + ProvenanceLimits.MAX_REFERENCE_TEXT_CHARS);
    }
  }

  private static void counts(long[] counts, Integer vocabularySize) {
    if (counts == null) {
      throw new InvalidArgumentException("tokenCounts", "is required with vocabularySize (one count per token id)");
    }
    if (vocabularySize == null) {
      throw new InvalidArgumentException("vocabularySize", "is required with tokenCounts");
    }
    if (vocabularySize < 2) {
      throw new InvalidArgumentException("vocabularySize", "must be at least 2 but is " + vocabularySize);
    }
    if (counts.length != vocabularySize) {
      throw new InvalidArgumentException("tokenCounts", "has " + counts.length + " counts but vocabularySize is "
          + vocabularySize + " (one count per token id)");
    }
    long total = 0;
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] < 0) {
        throw new InvalidArgumentException("tokenCounts[" + i + "]", "must not be negative but is " + counts[i]);
      }
      if (total > Long.MAX_VALUE - counts[i]) {
        throw new InvalidArgumentException("tokenCounts[" + i + "]", "makes the total count overflow a 64-bit integer");
      }
      total += counts[i];
    }
  }
}
