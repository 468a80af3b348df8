package dev.divergence.evaluation.api.analysis;

import dev.divergence.evaluation.analysis.Comparison;
import dev.divergence.evaluation.analysis.ComparisonService;
import dev.divergence.evaluation.analysis.Frontier;
import dev.divergence.evaluation.analysis.FrontierQuery;
import dev.divergence.evaluation.analysis.FrontierService;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.tenancy.TenantContext;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Frontier and comparison data for the dashboard's plots (docs/evaluation.md, "Frontier and comparison"). */
@RestController
@RequestMapping("/api/v1/evaluation")
public class AnalysisController {

  private final FrontierService frontiers;
  private final ComparisonService comparisons;

  public AnalysisController(FrontierService frontiers, ComparisonService comparisons) {
    this.frontiers = frontiers;
    this.comparisons = comparisons;
  }

  /** {@code ?runId=..&runId=..} or {@code ?algorithm=f_dpo}; axes by {@code reward}, {@code divergence}, {@code divergenceSource}, {@code diversity}. */
  @GetMapping("/frontier")
  public Frontier frontier(@RequestParam(name = "runId", required = false) List<String> runIds,
      @RequestParam(required = false) String algorithm, @RequestParam(required = false) String reward,
      @RequestParam(required = false) String divergence, @RequestParam(required = false) String divergenceSource,
      @RequestParam(required = false) String diversity) {
    return frontiers.frontier(TenantContext.current(),
        new FrontierQuery(runIds, "runId", algorithm, reward, divergence, divergenceSource, diversity));
  }

  /** The same with the run ids in a body ({@code runIds}), for lists too long for a URL. */
  @PostMapping("/frontier")
  public Frontier frontier(@RequestBody FrontierRequest request) {
    if (request == null) {
      throw new InvalidArgumentException("body", "is required");
    }
    return frontiers.frontier(TenantContext.current(), new FrontierQuery(request.runIds(), "runIds",
        request.algorithm(), request.reward(), request.divergence(), request.divergenceSource(), request.diversity()));
  }

  @GetMapping("/comparison")
  public Comparison comparison(@RequestParam(required = false) String a, @RequestParam(required = false) String b,
      @RequestParam(required = false) String level) {
    return comparisons.compare(TenantContext.current(), a, b, parseLevel(level));
  }

  static Double parseLevel(String level) {
    if (level == null || level.isBlank()) {
      return null;
    }
    try {
      return Double.parseDouble(level.strip());
    } catch (NumberFormatException e) {
      throw new InvalidArgumentException("level", "must be a number in (0, 1), got '" + level + "'");
    }
  }

  public record FrontierRequest(List<String> runIds, String algorithm, String reward, String divergence,
      String divergenceSource, String diversity) {}
}
