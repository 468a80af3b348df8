package dev.divergence.evaluation.api.provenance;

import dev.divergence.evaluation.provenance.DcPddQuery;
import dev.divergence.evaluation.provenance.ZeroShotQuery;
import java.util.List;

/** JSON request bodies of the provenance API (docs/evaluation.md, "Provenance and membership scores"). */
public final class ProvenanceRequests {

  private ProvenanceRequests() {}

  public record DcPddRequest(String model, List<String> texts, List<String> referenceTexts, String referenceDataset,
      long[] tokenCounts, Integer vocabularySize, Double a) {
    DcPddQuery query() {
      return new DcPddQuery(model, texts, referenceTexts, referenceDataset, tokenCounts, vocabularySize, a);
    }
  }

  public record ZeroShotRequest(String model, List<String> texts, Double delta) {
    ZeroShotQuery query() {
      return new ZeroShotQuery(model, texts, delta);
    }
  }
}
