package dev.divergence.evaluation.run.suite;

import dev.divergence.evaluation.run.RunInputs;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunSpec.PromptItem;
import dev.divergence.evaluation.run.Suite;
import dev.divergence.evaluation.run.SuiteResult;
import dev.divergence.evaluation.run.Estimate;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.proto.inference.v1.GenerateResponse;
import dev.divergence.proto.inference.v1.GeneratedToken;
import dev.divergence.proto.inference.v1.NextTokenDistribution;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Model vs reference over the vocabulary, per token: on the given texts (prompt + answer: the
 * positions are those of the answer, each character a prefix, which for the byte-level tiny LM is
 * each token) and on one sample of the model per prompt (the positions are the sampled tokens).
 * For every divergence: the mean per sequence with a confidence interval over sequences, the mean
 * per token, and the per-position curve.
 */
@Component
public class ModelDivergenceSuite implements MetricSuite {

  /** Prompts whose prefixes go to inference in one call per model. */
  static final int PROMPTS_PER_CALL = 16;
  static final int CURVE_POSITIONS = 64;

  @Override
  public Suite suite() {
    return Suite.MODEL_DIVERGENCE;
  }

  @Override
  public long workUnits(RunSpec spec, RunInputs inputs) {
    // texts scored by both models, then one sample per prompt drawn and scored by both
    return 3L * inputs.prompts().size();
  }

  @Override
  public SuiteResult run(SuiteContext context) {
    RunSpec spec = context.spec();
    List<PromptItem> prompts = context.inputs().prompts();
    Map<String, PositionwiseDivergence> onTexts = accumulators(spec);
    Map<String, PositionwiseDivergence> onSamples = accumulators(spec);
    long textTokens = score(context, textPrefixes(prompts), onTexts);
    List<List<String>> samplePrefixes = new ArrayList<>(prompts.size());
    for (int i = 0; i < prompts.size(); i++) {
      GenerateResponse sample = context.inference().generate(Samples.request(spec, prompts.get(i).prompt(),
          spec.sampling().seed() + i));
      samplePrefixes.add(samplePrefixes(prompts.get(i).prompt(), sample));
      context.advance(1);
    }
    long sampleTokens = score(context, samplePrefixes, onSamples);

    double level = context.confidenceLevel();
    Map<String, Estimate> metrics = new LinkedHashMap<>();
    Map<String, Object> curves = new LinkedHashMap<>();
    for (String source : List.of("texts", "samples")) {
      Map<String, PositionwiseDivergence> accumulators = source.equals("texts") ? onTexts : onSamples;
      Map<String, Object> sourceCurves = new LinkedHashMap<>();
      accumulators.forEach((name, acc) -> {
        metrics.put(source + "." + name, acc.sequenceMean(level));
        metrics.put(source + "." + name + ".per_token", acc.tokenMean(level));
        sourceCurves.put(name, acc.curve(level));
      });
      curves.put(source, sourceCurves);
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("orientation", "p = reference model (" + spec.referenceModel() + "), q = model (" + spec.model()
        + "); kl = KL(reference || model), reverse_kl = KL(model || reference)");
    details.put("logBase", "nats");
    details.put("interval", "Student t over sequences (the per-sequence mean is the unit); per_token: over tokens");
    details.put("tokens", Map.of("texts", textTokens, "samples", sampleTokens));
    details.put("curves", curves);
    return new SuiteResult(suite().apiName(), metrics, details);
  }

  private static Map<String, PositionwiseDivergence> accumulators(RunSpec spec) {
    Map<String, PositionwiseDivergence> accumulators = new LinkedHashMap<>();
    for (String name : spec.divergences()) {
      accumulators.put(name, new PositionwiseDivergence(DivergenceRegistry.create(name), CURVE_POSITIONS));
    }
    return accumulators;
  }

  /** Scores every prefix of every sequence under both models, a group of prompts per call; returns the tokens scored. */
  private static long score(SuiteContext context, List<List<String>> prefixesPerSequence,
      Map<String, PositionwiseDivergence> accumulators) {
    RunSpec spec = context.spec();
    long tokens = 0;
    for (int start = 0; start < prefixesPerSequence.size(); start += PROMPTS_PER_CALL) {
      List<List<String>> group = prefixesPerSequence.subList(start, Math.min(start + PROMPTS_PER_CALL, prefixesPerSequence.size()));
      List<String> flat = group.stream().flatMap(List::stream).toList();
      List<NextTokenDistribution> model = flat.isEmpty() ? List.of() : context.inference().nextTokenDistributions(spec.model(), flat, 0);
      List<NextTokenDistribution> reference = flat.isEmpty() ? List.of()
          : context.inference().nextTokenDistributions(spec.referenceModel(), flat, 0);
      int offset = 0;
      for (List<String> sequence : group) {
        List<double[]> p = new ArrayList<>(sequence.size());
        List<double[]> q = new ArrayList<>(sequence.size());
        for (int t = 0; t < sequence.size(); t++) {
          p.add(probabilities(reference.get(offset + t)));
          q.add(probabilities(model.get(offset + t)));
        }
        offset += sequence.size();
        tokens += sequence.size();
        for (PositionwiseDivergence accumulator : accumulators.values()) {
          accumulator.addSequence(p, q);
        }
      }
      context.advance(group.size());
    }
    return tokens;
  }

  static double[] probabilities(NextTokenDistribution distribution) {
    double[] probabilities = new double[distribution.getProbabilitiesCount()];
    for (int i = 0; i < probabilities.length; i++) {
      probabilities[i] = distribution.getProbabilities(i);
    }
    return probabilities;
  }

  /** The prefixes before each character of the answer: prompt, prompt + a1, ..., prompt + a1..a(n-1). */
  static List<List<String>> textPrefixes(List<PromptItem> prompts) {
    List<List<String>> all = new ArrayList<>(prompts.size());
    for (PromptItem item : prompts) {
      String answer = item.answer() == null ? "" : item.answer();
      List<String> prefixes = new ArrayList<>(answer.length());
      int offset = 0;
      while (offset < answer.length()) {
        prefixes.add(item.prompt() + answer.substring(0, offset));
        offset += Character.charCount(answer.codePointAt(offset));
      }
      all.add(prefixes);
    }
    return all;
  }

  /** The prefixes before each sampled token: the prompt, then the prompt with the tokens so far. */
  static List<String> samplePrefixes(String prompt, GenerateResponse sample) {
    List<String> prefixes = new ArrayList<>(sample.getTokensCount());
    StringBuilder text = new StringBuilder(prompt);
    for (GeneratedToken token : sample.getTokensList()) {
      prefixes.add(text.toString());
      text.append(token.getText());
    }
    return prefixes;
  }
}
