package dev.divergence.model.generation;

import ai.djl.ndarray.NDManager;
import dev.divergence.model.lm.LlamaModel;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/** The generation loop of the inference service: prefill, then pick / stop / step. */
public final class Generator {

    private final LlamaModel model;

    public Generator(LlamaModel model) {
        this.model = model;
    }

    public GenerationResult generate(NDManager manager, long[] prompt, GenerationConfig config) {
        return generate(manager, prompt, config, LogitsProcessor.NONE);
    }

    public GenerationResult generate(NDManager manager, long[] prompt, GenerationConfig config, LogitsProcessor processor) {
        Set<Long> stopTokens = new HashSet<>(config.stopTokenIds());
        model.config().eosTokenIds().forEach(id -> stopTokens.add(id.longValue()));
        Sampler sampler = new Sampler(config);
        long[] out = new long[config.maxNewTokens()];
        float[] logProbs = new float[config.maxNewTokens()];
        int n = 0;
        StopReason reason = StopReason.MAX_TOKENS;
        try (DecodingSession session = new DecodingSession(model, manager)) {
            if (config.maxNewTokens() == 0) {
                return new GenerationResult(new long[0], reason, new float[0]);
            }
            float[] logits = session.prefill(prompt);
            while (true) {
                float[] scores = processor.process(new DecodingStep(n, prompt, Arrays.copyOf(out, n)), logits);
                Sampler.Choice choice = sampler.choose(scores);
                out[n] = choice.token();
                logProbs[n] = choice.logProb();
                n++;
                if (stopTokens.contains(choice.token())) {
                    reason = StopReason.STOP_TOKEN;
                    break;
                }
                if (endsWithStopSequence(out, n, config)) {
                    reason = StopReason.STOP_SEQUENCE;
                    break;
                }
                if (n == config.maxNewTokens()) {
                    reason = StopReason.MAX_TOKENS;
                    break;
                }
                if (session.contextFull()) {
                    reason = StopReason.CONTEXT_FULL;
                    break;
                }
                logits = session.step(choice.token());
            }
        }
        return new GenerationResult(Arrays.copyOf(out, n), reason, Arrays.copyOf(logProbs, n));
    }

    private static boolean endsWithStopSequence(long[] out, int n, GenerationConfig config) {
        for (long[] seq : config.stopSequences()) {
            if (seq.length <= n && Arrays.equals(out, n - seq.length, n, seq, 0, seq.length)) {
                return true;
            }
        }
        return false;
    }
}
