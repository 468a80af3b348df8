package dev.divergence.inference.decoding;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The decoding loop shared by every strategy and API: open one stream per strategy prompt,
 * prefill them, then combine / choose / stop / feed the chosen token to every stream. Streams are
 * always closed (their sequences ended on the backend), whether decoding finished, was cancelled
 * or failed.
 */
public final class Decoder {

    private static final ExecutorService STEPS = Executors.newVirtualThreadPerTaskExecutor();

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
            stepAll(streams, pick.token(), logits);
            fed++;
        }
        return new DecodingOutcome(List.copyOf(out), text.text(), reason, plan.streamPrompts().get(0).length);
    }

    /**
     * Feeds the token to every stream, the streams of a contrastive strategy at the same time: a
     * backend that batches the steps of different sequences (Triton's oldest strategy) then runs
     * them as one forward, instead of holding the first for its queue delay while the second
     * cannot be sent yet.
     */
    static void stepAll(List<LogitsStream> streams, long token, float[][] logits) {
        if (streams.size() == 1) {
            logits[0] = streams.get(0).step(token);
            return;
        }
        List<Future<float[]>> others = new ArrayList<>();
        for (LogitsStream stream : streams.subList(1, streams.size())) {
            others.add(STEPS.submit(() -> stream.step(token)));
        }
        RuntimeException failure = null;
        try {
            logits[0] = streams.get(0).step(token);
        } catch (RuntimeException e) {
            failure = e;
        }
        for (int s = 1; s < streams.size(); s++) {
            try {
                logits[s] = others.get(s - 1).get();
            } catch (ExecutionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                if (failure == null) {
                    failure = cause;
                } else if (failure != cause) {
                    failure.addSuppressed(cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                others.forEach(f -> f.cancel(true));
                throw new IllegalStateException("interrupted while stepping the decoding streams", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
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
