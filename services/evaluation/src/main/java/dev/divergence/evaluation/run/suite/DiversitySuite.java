package dev.divergence.evaluation.run.suite;

import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.RunInputs;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.Suite;
import dev.divergence.evaluation.run.SuiteResult;
import dev.divergence.math.diversity.DistinctN;
import dev.divergence.math.diversity.NGramSimilarity;
import dev.divergence.math.diversity.VendiScore;
import dev.divergence.math.stats.RunningStatistics;
import dev.divergence.proto.inference.v1.GenerateResponse;
import dev.divergence.proto.inference.v1.GeneratedToken;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Diversity of the model's n samples per prompt, over their token ids: distinct-1 and distinct-2
 * (corpus-level within each prompt's samples), self-similarity (mean pairwise cosine similarity of
 * n-gram counts, orders 1..{@value #MAX_ORDER}) and the Vendi score (order 1) of that similarity
 * matrix. Each is a mean over prompts with a Student-t interval over prompts; self-similarity and
 * Vendi need n >= 2. Across prompts: corpus distinct-n over all samples.
 */
@Component
public class DiversitySuite implements MetricSuite {

  static final int MAX_ORDER = 2;

  @Override
  public Suite suite() {
    return Suite.DIVERSITY;
  }

  @Override
  public long workUnits(RunSpec spec, RunInputs inputs) {
    // the samples are shared with the rewards suite, which then draws (and counts) them
    return spec.has(Suite.REWARDS) ? 0 : Samples.calls(spec, inputs.prompts().size());
  }

  @Override
  public SuiteResult run(SuiteContext context) {
    List<List<GenerateResponse>> samples = context.samples();
    int n = context.spec().sampling().samples();
    RunningStatistics distinct1 = new RunningStatistics();
    RunningStatistics distinct2 = new RunningStatistics();
    RunningStatistics selfSimilarity = new RunningStatistics();
    RunningStatistics vendi = new RunningStatistics();
    List<int[]> everything = new ArrayList<>();
    for (List<GenerateResponse> perPrompt : samples) {
      List<int[]> tokens = perPrompt.stream().map(DiversitySuite::tokenIds).toList();
      everything.addAll(tokens);
      distinct1.add(DistinctN.corpus(tokens, 1).ratio());
      distinct2.add(DistinctN.corpus(tokens, 2).ratio());
      if (n >= 2) {
        double[][] similarity = NGramSimilarity.similarityMatrix(tokens, MAX_ORDER);
        selfSimilarity.add(NGramSimilarity.meanOffDiagonal(similarity));
        vendi.add(VendiScore.score(similarity, 1));
      }
    }
    double level = context.confidenceLevel();
    Map<String, Estimate> metrics = new LinkedHashMap<>();
    metrics.put("distinct_1", Estimate.of(distinct1, level).within(0, 1));
    metrics.put("distinct_2", Estimate.of(distinct2, level).within(0, 1));
    if (n >= 2) {
      metrics.put("self_similarity", Estimate.of(selfSimilarity, level).within(0, 1));
      metrics.put("vendi", Estimate.of(vendi, level));
    }
    DistinctN.Ratio all1 = DistinctN.corpus(everything, 1);
    DistinctN.Ratio all2 = DistinctN.corpus(everything, 2);
    metrics.put("corpus.distinct_1", Estimate.exact(all1.ratio(), all1.total()));
    metrics.put("corpus.distinct_2", Estimate.exact(all2.ratio(), all2.total()));
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("unit", "token ids of each sample (the end-of-sequence token excluded)");
    details.put("similarity", "cosine of n-gram counts, mean over orders 1.." + MAX_ORDER + " (vendi-score's n-gram kernel)");
    details.put("vendiOrder", 1);
    details.put("samplesPerPrompt", n);
    details.put("sampling", RewardsSuite.sampling(context.spec().sampling()));
    if (n < 2) {
      details.put("note", "self_similarity and vendi need at least 2 samples per prompt");
    }
    return new SuiteResult(suite().apiName(), metrics, details);
  }

  static int[] tokenIds(GenerateResponse sample) {
    List<GeneratedToken> tokens = sample.getTokensList();
    int length = tokens.size();
    if (length > 0 && sample.getFinishReason().equals("eos")) {
      length--;
    }
    int[] ids = new int[length];
    for (int i = 0; i < length; i++) {
      ids[i] = (int) tokens.get(i).getId();
    }
    return ids;
  }
}
