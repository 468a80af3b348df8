package dev.divergence.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.Scopes;
import java.util.ArrayList;
import java.util.List;

/** Per-token log-probabilities, the quantity every divergence-based trainer starts from. */
public final class LogProbs {

    private LogProbs() {
    }

    /**
     * log p(x[t+1] | x[<=t]) for every position, shape [B, T-1]; differentiable when gradients
     * are being collected. Entries whose target or context position is padding are meaningless:
     * mask them with the attention mask shifted by one.
     */
    public static NDArray tokenLogProbs(LlamaModel model, NDArray inputIds, NDArray attentionMask) {
        NDArray hidden = model.hiddenStates(inputIds, attentionMask);
        NDArray result;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            // the head only on the positions that predict something: slicing [B, T, V] logits
            // instead copied them whole forward and back (a zero-filled [B, T, V] gradient)
            NDArray logits = model.lmHead(hidden.get(":, :-1, :"));
            result = gatherTargets(logits, inputIds.get(":, 1:"));
            NDScope.unregister(result);
            hidden.close();
        }
        return Scopes.handOver(result, inputIds.getManager());
    }

    /** log-softmax of {@code logits} [B, T, V] picked at {@code targets} [B, T]. */
    public static NDArray gatherTargets(NDArray logits, NDArray targets) {
        return logits.logSoftmax(-1).gather(targets.toType(DataType.INT64, false).expandDims(-1), -1).squeeze(-1);
    }

    /**
     * Log-probs of each continuation token given its prompt, one float[] per pair; pairs are
     * scored together in one right-padded batch (right padding keeps positions unchanged).
     */
    public static List<float[]> continuations(LlamaModel model, NDManager manager, List<long[]> prompts, List<long[]> continuations) {
        if (prompts.size() != continuations.size()) {
            throw new InvalidModelException("continuations", prompts.size() + " prompts but " + continuations.size() + " continuations");
        }
        int batch = prompts.size();
        int seq = 0;
        for (int b = 0; b < batch; b++) {
            if (prompts.get(b).length == 0) {
                throw new InvalidModelException("prompts[" + b + "]", "empty prompt (need at least one context token)");
            }
            seq = Math.max(seq, prompts.get(b).length + continuations.get(b).length);
        }
        long[] ids = new long[batch * seq];
        long[] mask = new long[batch * seq];
        for (int b = 0; b < batch; b++) {
            long[] p = prompts.get(b);
            long[] c = continuations.get(b);
            System.arraycopy(p, 0, ids, b * seq, p.length);
            System.arraycopy(c, 0, ids, b * seq + p.length, c.length);
            java.util.Arrays.fill(mask, b * seq, b * seq + p.length + c.length, 1L);
        }
        try (NDManager m = manager.newSubManager()) {
            NDArray lp = tokenLogProbs(model, m.create(ids, new Shape(batch, seq)), m.create(mask, new Shape(batch, seq)));
            float[] flat = lp.toFloatArray();
            List<float[]> out = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                int start = prompts.get(b).length - 1;
                float[] row = new float[continuations.get(b).length];
                System.arraycopy(flat, b * (seq - 1) + start, row, 0, row.length);
                out.add(row);
            }
            return out;
        }
    }
}
