package dev.divergence.inference.api;

import dev.divergence.inference.scoring.ClassProbabilities;
import dev.divergence.inference.scoring.ContinuationDistributions;
import dev.divergence.inference.scoring.ContinuationItemInput;
import dev.divergence.inference.scoring.ContinuationScore;
import dev.divergence.inference.scoring.NextTokenDistribution;
import dev.divergence.inference.scoring.Scores;
import dev.divergence.inference.scoring.ScoringService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Scores under a served model, for evaluation and merging. JSON only, as generation: another
 * content type is answered 415 before any body is read.
 */
@RestController
@RequestMapping("/api/v1/inference/score")
@Tag(name = "scoring", description = "Continuation log-probs, next-token distributions, class probabilities")
public class ScoringController {

  private final ScoringService scoring;

  public ScoringController(ScoringService scoring) {
    this.scoring = scoring;
  }

  /** @param items (prompt, continuation) pairs, at most 256 */
  public record ContinuationsRequest(String model, List<ContinuationItemInput> items) {}

  /** @param topK absent: the full distribution; otherwise the k most probable tokens and the tail mass */
  public record NextTokenRequest(String model, List<String> prefixes, Integer topK) {}

  /**
   * @param items (prompt, continuation) pairs, at most 256
   * @param topK absent: full distributions; otherwise the k most probable tokens and the tail mass
   */
  public record TokenDistributionsRequest(String model, List<ContinuationItemInput> items, Integer topK) {}

  /** @param features one vector of the model's input size per row */
  public record ClassifyRequest(String model, List<List<Float>> features) {}

  @PostMapping(path = "/continuations", consumes = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "Per-token log-probs of each continuation given its prompt, their sum and mean",
      description = "One forward pass per item on the model's stateless entry (its all_logits output). 404 unknown model, "
          + "400 not a language model or bad items, 409 model not READY.")
  public Scores<ContinuationScore> continuations(@RequestBody ContinuationsRequest request) {
    return scoring.continuations(request.model(), request.items());
  }

  @PostMapping(path = "/next-token", consumes = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "Next-token distribution after each prefix (full, or top-k with tail mass) and its entropy")
  public Scores<NextTokenDistribution> nextToken(@RequestBody NextTokenRequest request) {
    return scoring.nextToken(request.model(), request.prefixes(), request.topK());
  }

  @PostMapping(path = "/token-distributions", consumes = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "For each (prompt, continuation): the next-token distribution before every continuation token "
      + "(full, or top-k with tail mass; entropy), the continuation's token ids and log-probs",
      description = "One forward pass per item on the model's stateless entry (its all_logits output). 404 unknown model, "
          + "400 not a language model, bad items, topK outside [1, vocabulary] or an answer over 2097152 listed probabilities "
          + "(positions times vocabulary or k), 409 model not READY.")
  public Scores<ContinuationDistributions> tokenDistributions(@RequestBody TokenDistributionsRequest request) {
    return scoring.tokenDistributions(request.model(), request.items(), request.topK());
  }

  @PostMapping(path = "/classify", consumes = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "Class probabilities of feature vectors, with the class names")
  public Scores<ClassProbabilities> classify(@RequestBody ClassifyRequest request) {
    return scoring.classify(request.model(), request.features());
  }
}
