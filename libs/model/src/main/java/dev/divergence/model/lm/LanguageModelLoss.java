package dev.divergence.model.lm;

import ai.djl.ndarray.NDArray;

/** Next-token cross-entropy, the pre-training / SFT loss of the tiny local LMs. */
public final class LanguageModelLoss {

    private LanguageModelLoss() {
    }

    /**
     * Mean of -log p(x[t+1] | x[<=t]) over positions whose target token is real (mask 1 at t+1 and
     * t); padding never contributes.
     */
    public static NDArray nextTokenCrossEntropy(LlamaModel model, NDArray inputIds, NDArray attentionMask) {
        NDArray lp = LogProbs.tokenLogProbs(model, inputIds, attentionMask);
        NDArray mask = attentionMask.get(":, 1:").mul(attentionMask.get(":, :-1")).toType(lp.getDataType(), false);
        return lp.mul(mask).sum().neg().div(mask.sum().maximum(1f));
    }
}
