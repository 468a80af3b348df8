package dev.divergence.evaluation.run.suite;

import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.RunInputs;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunSpec.PromptItem;
import dev.divergence.evaluation.run.Suite;
import dev.divergence.evaluation.run.SuiteResult;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.proto.inference.v1.ContinuationDistributions;
import dev.divergence.proto.inference.v1.ContinuationItem;
import dev.divergence.proto.inference.v1.GenerateResponse;
import dev.divergence.proto.inference.v1.NextTokenDistribution;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Model vs reference over the vocabulary, per token: on the given texts (prompt + answer; the
 * positions are the answer's tokens) and on one sample of the model per prompt (the positions are
 * the sampled tokens). Both models' next-token distributions at every position come from the
 * inference service's TokenDistributions, one forward pass per text and model. For every
 * divergence: the mean per sequence with a confidence interval over sequences, the mean per token,
 * and the per-position curve.
 */
@Component
public class ModelDivergenceSuite implements MetricSuite {

  /** Texts sent to inference in one call per model. */
  static final int TEXTS_PER_CALL = 64;
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
    List<ContinuationItem> texts = new ArrayList<>();
    for (PromptItem item : prompts) {
      if (item.answer() != null && !item.answer().isEmpty()) {
        texts.add(ContinuationItem.newBuilder().setPrompt(item.prompt()).setContinuation(item.answer()).build());
      }
    }
    long textTokens = score(context, texts, onTexts);
    context.advance(prompts.size() - texts.size());
    List<ContinuationItem> samples = new ArrayList<>();
    int truncated = 0;
    for (int i = 0; i < prompts.size(); i++) {
      GenerateResponse sample = context.inference().generate(Samples.request(spec, prompts.get(i).prompt(),
          spec.sampling().seed() + i));
      String text = Printable.beforeFirstControl(sample.getText());
      if (text.length() < sample.getText().length()) {
        truncated++;
      }
      if (!text.isEmpty()) {
        samples.add(ContinuationItem.newBuilder().setPrompt(prompts.get(i).prompt()).setContinuation(text).build());
      }
      context.advance(1);
    }
    long sampleTokens = score(context, samples, onSamples);
    context.advance(prompts.size() - samples.size());

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
    details.put("sequences", Map.of("texts", texts.size(), "samples", samples.size()));
    details.put("samplesCutAtAControlCharacter", truncated);
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

  /** Scores every text under both models, a group of texts per call; returns the tokens scored. */
  private static long score(SuiteContext context, List<ContinuationItem> texts, Map<String, PositionwiseDivergence> accumulators) {
    RunSpec spec = context.spec();
    long tokens = 0;
    for (int start = 0; start < texts.size(); start += TEXTS_PER_CALL) {
      List<ContinuationItem> group = texts.subList(start, Math.min(start + TEXTS_PER_CALL, texts.size()));
      List<ContinuationDistributions> model = context.inference().tokenDistributions(spec.model(), group, 0);
      List<ContinuationDistributions> reference = context.inference().tokenDistributions(spec.referenceModel(), group, 0);
      for (int i = 0; i < group.size(); i++) {
        if (!model.get(i).getTokenIdsList().equals(reference.get(i).getTokenIdsList())) {
          throw new IllegalArgumentException("the model and the reference tokenize text " + (start + i)
              + " differently; a divergence over the vocabulary needs the same tokenizer");
        }
        List<double[]> p = probabilities(reference.get(i));
        List<double[]> q = probabilities(model.get(i));
        tokens += q.size();
        for (PositionwiseDivergence accumulator : accumulators.values()) {
          accumulator.addSequence(p, q);
        }
      }
      context.advance(group.size());
    }
    return tokens;
  }

  private static List<double[]> probabilities(ContinuationDistributions scored) {
    List<double[]> rows = new ArrayList<>(scored.getDistributionsCount());
    for (NextTokenDistribution distribution : scored.getDistributionsList()) {
      double[] row = new double[distribution.getProbabilitiesCount()];
      for (int k = 0; k < row.length; k++) {
        row[k] = distribution.getProbabilities(k);
      }
      rows.add(row);
    }
    return rows;
  }
}
