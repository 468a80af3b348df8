package dev.divergence.inference.generation;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** Body of {@code POST /api/v1/inference/generate} (and of the gRPC GenerateRequest, field for field). */
@Schema(description = "A prompt to complete, how to decode it and when to stop")
public record GenerateRequest(
        @Schema(description = "catalog name of a READY language model", example = "tiny-lm") String model,
        @Schema(description = "text to continue; must not be empty", example = "12+7=") String prompt,
        @Schema(description = "cad/adacad (required there): text placed before the prompt in the contrasted stream; "
                + "other strategies place it before the prompt of every stream", example = "12+7=25 ") String context,
        @Schema(description = "uscd (required there): the weaker prompt contrasted with the standard one") String lamePrompt,
        @Schema(description = "decoding strategy; default greedy") StrategyRequest strategy,
        @Schema(description = "tokens to generate, 1 .. the service limit and the model's context; default 64") Integer maxTokens,
        @Schema(description = ">= 0; 0 picks the argmax; default 0 (1 for strategy sample)") Double temperature,
        @Schema(description = "keep the k most likely tokens when sampling; 0 = all") Integer topK,
        @Schema(description = "in (0, 1]: keep the smallest set reaching this probability when sampling; default 1") Double topP,
        @Schema(description = "seed of the sampler; the same request and seed give the same tokens; default 0") Long seed,
        @Schema(description = "generation ends once the output contains one of these texts (kept in the output)") List<String> stop,
        @Schema(description = "report per-step alpha (cad/adacad), entropy and confident (uscd)") Boolean diagnostics,
        @Schema(description = "keep generating after the end-of-sequence token (fixed-length output, e.g. for load tests); default false")
        Boolean ignoreEos) {

    /**
     * @param name greedy, sample, cad, adacad or uscd
     * @param alpha cad: weight a of (1 + a) z(y | context, x) - a z(y | x), >= 0; default 0.5
     * @param alphaFloor adacad: lower bound of the per-step weight, in [0, 1]; default 0
     * @param threshold uscd: standard deviation of P_std above which a step is confident, >= 0; default 0.004
     * @param fraction uscd: tokens with P_std < mean(P_std) * fraction are dropped, in [0, 1]; default 0.5
     * @param weights uscd: weights of P_std and P_lame; default [1.0, -0.7]
     */
    @Schema(description = "decoding strategy and its parameters (unset ones take their defaults)")
    public record StrategyRequest(
            @Schema(description = "greedy, sample, cad, adacad or uscd", example = "adacad") String name,
            @Schema(description = "cad: contrast weight a >= 0; default 0.5") Double alpha,
            @Schema(description = "adacad: lower bound of alpha_t in [0, 1]; default 0") Double alphaFloor,
            @Schema(description = "uscd: std(P_std) above which a step is confident; default 0.004") Double threshold,
            @Schema(description = "uscd: drop tokens with P_std < mean(P_std) * fraction; default 0.5") Double fraction,
            @Schema(description = "uscd: [w_std, w_lame]; default [1.0, -0.7]") List<Double> weights) {
    }
}
