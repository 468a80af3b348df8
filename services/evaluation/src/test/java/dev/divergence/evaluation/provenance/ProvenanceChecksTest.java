package dev.divergence.evaluation.provenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Every check of a provenance request that needs no other service names its field and the first offending index. */
class ProvenanceChecksTest {

  private static void rejects(ThrowingCallable check, String field, String detail) {
    assertThatThrownBy(check).isInstanceOfSatisfying(InvalidArgumentException.class, error -> {
      assertThat(error.violations()).hasSize(1);
      assertThat(error.violations().getFirst().field()).isEqualTo(field);
      assertThat(error.violations().getFirst().message()).contains(detail);
    });
  }

  private static DcPddQuery query(List<String> referenceTexts, String dataset, long[] counts, Integer vocabulary) {
    return new DcPddQuery("m", List.of("ab"), referenceTexts, dataset, counts, vocabulary, null);
  }

  @Test
  void texts() {
    rejects(() -> ProvenanceChecks.texts(null), "texts", "must not be empty");
    rejects(() -> ProvenanceChecks.texts(List.of()), "texts", "must not be empty");
    rejects(() -> ProvenanceChecks.texts(Collections.nCopies(ProvenanceLimits.MAX_TEXTS + 1, "ab")), "texts",
        "at most 16 texts");
    rejects(() -> ProvenanceChecks.texts(List.of("ab", "", "")), "texts[1]", "must not be empty");
    List<String> withNull = new ArrayList<>(List.of("ab", "cd"));
    withNull.add(null);
    rejects(() -> ProvenanceChecks.texts(withNull), "texts[2]", "must not be empty");
    rejects(() -> ProvenanceChecks.texts(List.of("ab", "x")), "texts[1]", "at least 2 characters");
    // one character outside the BMP is two UTF-16 units but still one character
    rejects(() -> ProvenanceChecks.texts(List.of("\uD83D\uDE00")), "texts[0]", "at least 2 characters");
    rejects(() -> ProvenanceChecks.texts(List.of("a".repeat(ProvenanceLimits.MAX_TEXT_CHARS + 1))), "texts[0]",
        "more than 512");
    ProvenanceChecks.texts(Collections.nCopies(ProvenanceLimits.MAX_TEXTS, "a".repeat(ProvenanceLimits.MAX_TEXT_CHARS)));
    rejects(() -> ProvenanceChecks.model(" "), "model", "is required");
  }

  @Test
  void aAndDelta() {
    assertThat(ProvenanceChecks.a(null)).isEqualTo(0.01);
    assertThat(ProvenanceChecks.a(2.5)).isEqualTo(2.5);
    for (double bad : new double[] {0, -0.01, Double.NaN, Double.POSITIVE_INFINITY}) {
      rejects(() -> ProvenanceChecks.a(bad), "a", "must be a finite number > 0");
    }
    assertThat(ProvenanceChecks.delta(null)).isEqualTo(0.05);
    assertThat(ProvenanceChecks.delta(1e-9)).isEqualTo(1e-9);
    for (double bad : new double[] {0, 1, -0.5, 1.5, Double.NaN}) {
      rejects(() -> ProvenanceChecks.delta(bad), "delta", "must be in (0, 1)");
    }
  }

  @Test
  void exactlyOneReference() {
    rejects(() -> ProvenanceChecks.reference(query(null, null, null, null)), "referenceTexts", "reference corpus is required");
    rejects(() -> ProvenanceChecks.reference(query(List.of("a"), "d", null, null)), "referenceDataset", "only one");
    rejects(() -> ProvenanceChecks.reference(query(List.of("a"), null, new long[] {1, 1}, 2)), "tokenCounts", "only one");
    rejects(() -> ProvenanceChecks.reference(query(null, "d", null, 2)), "tokenCounts", "only one");
    assertThat(ProvenanceChecks.reference(query(List.of("a"), null, null, null))).isEqualTo(ProvenanceChecks.Reference.TEXTS);
    assertThat(ProvenanceChecks.reference(query(null, "d", null, null))).isEqualTo(ProvenanceChecks.Reference.DATASET);
    assertThat(ProvenanceChecks.reference(query(null, null, new long[] {0, 2}, 2)))
        .isEqualTo(ProvenanceChecks.Reference.COUNTS);
  }

  @Test
  void referenceTextsAndDataset() {
    rejects(() -> ProvenanceChecks.reference(query(List.of(), null, null, null)), "referenceTexts", "must not be empty");
    rejects(() -> ProvenanceChecks.reference(query(List.of("a", ""), null, null, null)), "referenceTexts[1]",
        "must not be empty");
    rejects(() -> ProvenanceChecks.reference(query(Collections.nCopies(65, "a"), null, null, null)), "referenceTexts",
        "at most 64");
    rejects(() -> ProvenanceChecks.reference(query(List.of("a", "b", "c".repeat(513)), null, null, null)),
        "referenceTexts[2]", "more than 512");
    rejects(() -> ProvenanceChecks.reference(query(null, " ", null, null)), "referenceDataset", "must name a text dataset");
  }

  @Test
  void countsMustMatchTheVocabulary() {
    rejects(() -> ProvenanceChecks.reference(query(null, null, null, 3)), "tokenCounts", "is required with vocabularySize");
    rejects(() -> ProvenanceChecks.reference(query(null, null, new long[] {1, 2}, null)), "vocabularySize",
        "is required with tokenCounts");
    rejects(() -> ProvenanceChecks.reference(query(null, null, new long[] {1}, 1)), "vocabularySize", "at least 2");
    rejects(() -> ProvenanceChecks.reference(query(null, null, new long[] {1, 2}, 3)), "tokenCounts",
        "has 2 counts but vocabularySize is 3");
    rejects(() -> ProvenanceChecks.reference(query(null, null, new long[] {1, 2, -1, -4}, 4)), "tokenCounts[2]",
        "must not be negative");
    rejects(() -> ProvenanceChecks.reference(query(null, null, new long[] {Long.MAX_VALUE, 1, 0}, 3)), "tokenCounts[1]",
        "overflow");
  }
}
