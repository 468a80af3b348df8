package dev.divergence.evaluation.api.provenance;

import dev.divergence.evaluation.provenance.DcPddReport;
import dev.divergence.evaluation.provenance.ProvenanceScorer;
import dev.divergence.evaluation.provenance.ZeroShotReport;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Provenance and membership scores of submitted texts over REST (docs/evaluation.md). */
@RestController
@RequestMapping("/api/v1/evaluation/provenance")
public class ProvenanceController {

  private final ProvenanceScorer scorer;

  public ProvenanceController(ProvenanceScorer scorer) {
    this.scorer = scorer;
  }

  @PostMapping(path = "/dc-pdd", consumes = MediaType.APPLICATION_JSON_VALUE)
  public DcPddReport dcPdd(@RequestBody ProvenanceRequests.DcPddRequest request) {
    return scorer.dcPdd(request.query());
  }

  @PostMapping(path = "/zero-shot", consumes = MediaType.APPLICATION_JSON_VALUE)
  public ZeroShotReport zeroShot(@RequestBody ProvenanceRequests.ZeroShotRequest request) {
    return scorer.zeroShot(request.query());
  }
}
