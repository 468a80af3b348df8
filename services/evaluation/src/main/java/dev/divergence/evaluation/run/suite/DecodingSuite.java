package dev.divergence.evaluation.run.suite;

import dev.divergence.evaluation.events.RunMessages;
import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.RunInputs;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunSpec.PromptItem;
import dev.divergence.evaluation.run.Suite;
import dev.divergence.evaluation.run.SuiteResult;
import dev.divergence.proto.inference.v1.GenerateRequest;
import dev.divergence.proto.inference.v1.GenerateResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * The same prompts under several decoding strategies, on a knowledge-conflict set: each item has a
 * context stating an answer ({@code answer}). The model's prior is its own greedy answer to the bare
 * prompt; the prompts where it differs from the context's answer are the conflicts. Per strategy,
 * over the conflicts: the context-following rate (the output's first word is the context's
 * answer), the prior-following rate (it is the model's own prior answer) and, when items carry a
 * {@code priorAnswer} (the true answer), how often the output is that; means with a Student-t
 * interval over prompts. A sampled strategy ("sample") is repeated over {@code sampling.samples}
 * seeds and each prompt's rate is its mean over those seeds.
 *
 * <p>How each strategy sees the context: greedy and sample get context + prompt as their prompt;
 * cad and adacad get the prompt with the context in the contrasted stream (the inference
 * service's {@code context}); uscd gets context + prompt as the standard prompt and the bare
 * prompt as the lame one.
 */
@Component
public class DecodingSuite implements MetricSuite {

  @Override
  public Suite suite() {
    return Suite.DECODING;
  }

  @Override
  public long workUnits(RunSpec spec, RunInputs inputs) {
    long perPrompt = 1 + spec.strategies().stream().mapToLong(s -> repeats(spec, s)).sum();
    return perPrompt * inputs.prompts().size();
  }

  @Override
  public SuiteResult run(SuiteContext context) {
    RunSpec spec = context.spec();
    List<PromptItem> prompts = context.inputs().prompts();
    // the model's own answer without the context: what "prior-following" means for this model
    List<String> modelPrior = new ArrayList<>(prompts.size());
    List<Integer> conflicts = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      GenerateResponse bare = context.inference().generate(GenerateRequest.newBuilder().setModel(spec.model())
          .setPrompt(prompts.get(i).prompt()).setStrategy(RunMessages.toProto(new RunSpec.Strategy("greedy", null, null,
              null, null, null))).setMaxTokens(spec.sampling().maxTokens()).build());
      String prior = AnswerMatch.firstWord(bare.getText());
      modelPrior.add(prior);
      if (!prior.isEmpty() && !AnswerMatch.answers(prior, prompts.get(i).answer())) {
        conflicts.add(i);
      }
      context.advance(1);
    }
    double level = context.confidenceLevel();
    Map<String, Estimate> metrics = new LinkedHashMap<>();
    Map<String, Object> perStrategy = new LinkedHashMap<>();
    for (RunSpec.Strategy strategy : spec.strategies()) {
      int repeats = repeats(spec, strategy);
      double[] following = new double[conflicts.size()];
      double[] prior = new double[conflicts.size()];
      double[] truth = new double[conflicts.size()];
      List<String> examples = new ArrayList<>();
      for (int c = 0; c < conflicts.size(); c++) {
        int i = conflicts.get(c);
        PromptItem item = prompts.get(i);
        int follows = 0;
        int keeps = 0;
        int right = 0;
        for (int r = 0; r < repeats; r++) {
          GenerateResponse response = context.inference().generate(request(spec, strategy, item,
              spec.sampling().seed() + (long) i * repeats + r));
          if (AnswerMatch.answers(response.getText(), item.answer())) {
            follows++;
          } else if (AnswerMatch.answers(response.getText(), modelPrior.get(i))) {
            keeps++;
          }
          if (item.priorAnswer() != null && AnswerMatch.answers(response.getText(), item.priorAnswer())) {
            right++;
          }
          if (examples.size() < 5 && r == 0) {
            examples.add(Printable.shown(response.getText()));
          }
        }
        following[c] = (double) follows / repeats;
        prior[c] = (double) keeps / repeats;
        truth[c] = (double) right / repeats;
        context.advance(repeats);
      }
      context.advance((long) repeats * (prompts.size() - conflicts.size()));
      String name = key(strategy);
      metrics.put(name + ".context_following", Estimate.of(following, level).within(0, 1));
      metrics.put(name + ".prior_following", Estimate.of(prior, level).within(0, 1));
      if (prompts.stream().anyMatch(p -> p.priorAnswer() != null)) {
        metrics.put(name + ".true_answer", Estimate.of(truth, level).within(0, 1));
      }
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("repeats", repeats);
      detail.put("firstOutputs", examples);
      perStrategy.put(name, detail);
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("strategies", perStrategy);
    details.put("prompts", prompts.size());
    details.put("conflicts", conflicts.size());
    details.put("conflictRule", "a prompt counts when the model's greedy answer without the context (its prior) is"
        + " non-empty and differs from the context's answer; rates are over those prompts");
    details.put("firstPriors", modelPrior.subList(0, Math.min(5, modelPrior.size())).stream().map(Printable::shown).toList());
    details.put("interval", "Student t over conflicting prompts; a sampled strategy's per-prompt rate is its mean over seeds");
    details.put("maxTokens", spec.sampling().maxTokens());
    return new SuiteResult(suite().apiName(), metrics, details);
  }

  static int repeats(RunSpec spec, RunSpec.Strategy strategy) {
    return strategy.name().equals("sample") ? spec.sampling().samples() : 1;
  }

  /** The strategy's name, with its parameters when set (two cad entries with different alpha stay apart). */
  static String key(RunSpec.Strategy strategy) {
    StringBuilder key = new StringBuilder(strategy.name());
    if (strategy.alpha() != null) {
      key.append("(alpha=").append(strategy.alpha()).append(')');
    }
    if (strategy.alphaFloor() != null) {
      key.append("(alphaFloor=").append(strategy.alphaFloor()).append(')');
    }
    return key.toString();
  }

  static GenerateRequest request(RunSpec spec, RunSpec.Strategy strategy, PromptItem item, long seed) {
    GenerateRequest.Builder request = GenerateRequest.newBuilder().setModel(spec.model())
        .setStrategy(RunMessages.toProto(strategy)).setMaxTokens(spec.sampling().maxTokens()).setSeed(seed);
    String withContext = item.context() + item.prompt();
    switch (strategy.name()) {
      case "cad", "adacad" -> request.setPrompt(item.prompt()).setContext(item.context());
      case "uscd" -> request.setPrompt(withContext).setLamePrompt(item.prompt());
      case "sample" -> request.setPrompt(withContext).setTemperature(spec.sampling().temperature() == 0 ? 1.0
          : spec.sampling().temperature());
      default -> request.setPrompt(withContext);
    }
    return request.build();
  }
}
