package dev.divergence.inference.decoding;

import java.util.ArrayList;
import java.util.List;

/**
 * The decoding loop shared by every strategy and API: open one stream per strategy prompt,
 * prefill them, then combine / choose / stop / feed the chosen token to every stream. Streams are
 * always closed (their sequences ended on the backend), whether decoding finished, was cancelled
 * or failed.
 */
public final class Decoder {

    private Decoder() {
    }

    public static DecodingOutcome decode(DecodingPlan plan, LogitsStreamFactory streams, TokenListener listener, Cancellation cancellation) {
        List<LogitsStream> open = new ArrayList<>();
        try {
            int n = plan.streamPrompts().size();
            float[][] logits = new float[n][];
            for (int s = 0; s < n; s++) {
                if (cancellation.isCancelled()) {
                    return new DecodingOutcome(List.of(), "", FinishReason.CANCELLED, plan.streamPrompts().get(0).length);
                }
                LogitsStream stream = streams.open();
                open.add(stream);
                logits[s] = stream.prefill(plan.streamPrompts().get(s));
            }
            return loop(plan, open, logits, listener, cancellation);
        } finally {
            closeAll(open);
        }
    }

    private static DecodingOutcome loop(DecodingPlan plan, List<LogitsStream> streams, float[][] logits, TokenListener listener,
            Cancellation cancellation) {
        TokenSampler sampler = new TokenSampler(plan.sampling());
        IncrementalText text = new IncrementalText(plan.tokenizer());
        StopRules stop = plan.stop();
        List<GeneratedToken> out = new ArrayList<>();
        int fed = plan.longestPrompt();
        FinishReason reason;
        while (true) {
            if (cancellation.isCancelled()) {
                reason = FinishReason.CANCELLED;
                break;
            }
            StepScores step = plan.strategy().combine(logits);
            TokenSampler.Pick pick = sampler.pick(step.scores());
            int before = text.emitted().length();
            String piece = text.add(pick.token());
            StepDiagnostics diagnostics = plan.diagnostics() ? new StepDiagnostics(step.alpha(), pick.entropy(), step.confident()) : null;
            GeneratedToken token = new GeneratedToken(out.size(), pick.token(), piece, pick.logProb(), diagnostics);
            out.add(token);
            listener.onToken(token);
            if (stop.stopTokenIds().contains(pick.token())) {
                reason = FinishReason.EOS;
                break;
            }
            if (containsStopText(text.emitted(), before, stop.stopTexts())) {
                reason = FinishReason.STOP_SEQUENCE;
                break;
            }
            if (out.size() >= stop.maxTokens()) {
                reason = FinishReason.MAX_TOKENS;
                break;
            }
            if (fed >= stop.contextLength()) {
                reason = FinishReason.CONTEXT_FULL;
                break;
            }
            if (cancellation.isCancelled()) {
                reason = FinishReason.CANCELLED;
                break;
            }
            for (int s = 0; s < streams.size(); s++) {
                logits[s] = streams.get(s).step(pick.token());
            }
            fed++;
        }
        return new DecodingOutcome(List.copyOf(out), text.text(), reason, plan.streamPrompts().get(0).length);
    }

    /** Whether a stop text appears in {@code text} ending after {@code before} (a new match). */
    static boolean containsStopText(String text, int before, List<String> stopTexts) {
        for (String stop : stopTexts) {
            if (text.indexOf(stop, Math.max(0, before - stop.length() + 1)) >= 0) {
                return true;
            }
        }
        return false;
    }

    private static void closeAll(List<LogitsStream> streams) {
        RuntimeException first = null;
        for (LogitsStream stream : streams) {
            try {
                stream.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
