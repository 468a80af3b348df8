package dev.divergence.evaluation.run.suite;

import dev.divergence.evaluation.inference.InferenceClient;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunSpec.PromptItem;
import dev.divergence.proto.inference.v1.DecodingStrategy;
import dev.divergence.proto.inference.v1.GenerateRequest;
import dev.divergence.proto.inference.v1.GenerateResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * The model's n samples per prompt, drawn once per run and shared by the suites that need them
 * (rewards, diversity). Sample j of prompt i uses seed + i * n + j, so a run is reproducible.
 */
public final class Samples {

  private List<List<GenerateResponse>> drawn;

  /** Generation calls the samples take (for progress). */
  public static long calls(RunSpec spec, int prompts) {
    return (long) prompts * spec.sampling().samples();
  }

  synchronized List<List<GenerateResponse>> get(SuiteContext context) {
    if (drawn == null) {
      drawn = draw(context);
    }
    return drawn;
  }

  private static List<List<GenerateResponse>> draw(SuiteContext context) {
    RunSpec spec = context.spec();
    RunSpec.Sampling sampling = spec.sampling();
    InferenceClient inference = context.inference();
    List<PromptItem> prompts = context.inputs().prompts();
    List<List<GenerateResponse>> all = new ArrayList<>(prompts.size());
    for (int i = 0; i < prompts.size(); i++) {
      List<GenerateResponse> perPrompt = new ArrayList<>(sampling.samples());
      for (int j = 0; j < sampling.samples(); j++) {
        perPrompt.add(inference.generate(request(spec, prompts.get(i).prompt(), sampling.seed() + (long) i * sampling.samples() + j)));
        context.advance(1);
      }
      all.add(perPrompt);
    }
    return all;
  }

  static GenerateRequest request(RunSpec spec, String prompt, long seed) {
    RunSpec.Sampling sampling = spec.sampling();
    boolean greedy = sampling.temperature() == 0;
    GenerateRequest.Builder request = GenerateRequest.newBuilder().setModel(spec.model()).setPrompt(prompt)
        .setStrategy(DecodingStrategy.newBuilder().setName(greedy ? "greedy" : "sample"))
        .setMaxTokens(sampling.maxTokens()).setTemperature(sampling.temperature()).setSeed(seed);
    if (sampling.topK() > 0) {
      request.setTopK(sampling.topK());
    }
    if (sampling.topP() < 1) {
      request.setTopP(sampling.topP());
    }
    return request.build();
  }
}
