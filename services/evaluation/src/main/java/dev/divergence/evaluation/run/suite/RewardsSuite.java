package dev.divergence.evaluation.run.suite;

import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.RunInputs;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunSpec.PromptItem;
import dev.divergence.evaluation.run.Suite;
import dev.divergence.evaluation.run.SuiteResult;
import dev.divergence.math.evaluation.PassAtK;
import dev.divergence.proto.inference.v1.GenerateResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Verifiable rewards: each of the n samples per prompt is checked against the prompt's answer
 * ({@link AnswerMatch}); the reward is the share of correct samples, pass@k the unbiased estimator
 * 1 - C(n-c, k) / C(n, k) per prompt. Both are means over prompts with a confidence interval over
 * prompts. The sampling settings are recorded with the result.
 */
@Component
public class RewardsSuite implements MetricSuite {

  static final int PER_PROMPT_DETAILS = 100;

  @Override
  public Suite suite() {
    return Suite.REWARDS;
  }

  @Override
  public long workUnits(RunSpec spec, RunInputs inputs) {
    return Samples.calls(spec, inputs.prompts().size());
  }

  @Override
  public SuiteResult run(SuiteContext context) {
    RunSpec spec = context.spec();
    List<PromptItem> prompts = context.inputs().prompts();
    List<List<GenerateResponse>> samples = context.samples();
    int n = spec.sampling().samples();
    double[] reward = new double[prompts.size()];
    int[] correct = new int[prompts.size()];
    List<Map<String, Object>> perPrompt = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      int c = 0;
      for (GenerateResponse sample : samples.get(i)) {
        if (AnswerMatch.answers(sample.getText(), prompts.get(i).answer())) {
          c++;
        }
      }
      correct[i] = c;
      reward[i] = (double) c / n;
      if (i < PER_PROMPT_DETAILS) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("prompt", prompts.get(i).prompt());
        row.put("answer", prompts.get(i).answer());
        row.put("correct", c);
        row.put("samples", n);
        row.put("firstSample", Printable.shown(samples.get(i).get(0).getText()));
        perPrompt.add(row);
      }
    }
    double level = context.confidenceLevel();
    Map<String, Estimate> metrics = new LinkedHashMap<>();
    metrics.put("reward", Estimate.of(reward, level).within(0, 1));
    for (int k : spec.passAtK()) {
      double[] passAtK = new double[prompts.size()];
      for (int i = 0; i < prompts.size(); i++) {
        passAtK[i] = PassAtK.estimate(n, correct[i], k);
      }
      metrics.put("pass@" + k, Estimate.of(passAtK, level).within(0, 1));
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("verifier", "first word of the sample equals the answer (case-insensitive, trailing punctuation dropped)");
    details.put("sampling", sampling(spec.sampling()));
    details.put("interval", "Student t over prompts");
    details.put("perPrompt", perPrompt);
    return new SuiteResult(suite().apiName(), metrics, details);
  }

  static Map<String, Object> sampling(RunSpec.Sampling sampling) {
    Map<String, Object> recorded = new LinkedHashMap<>();
    recorded.put("samples", sampling.samples());
    recorded.put("temperature", sampling.temperature());
    recorded.put("topK", sampling.topK());
    recorded.put("topP", sampling.topP());
    recorded.put("maxTokens", sampling.maxTokens());
    recorded.put("seed", sampling.seed());
    recorded.put("seedRule", "sample j of prompt i uses seed + i * samples + j");
    return recorded;
  }
}
