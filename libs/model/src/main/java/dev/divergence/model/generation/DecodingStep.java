package dev.divergence.model.generation;

/**
 * What a {@link LogitsProcessor} knows at one step.
 *
 * @param index 0 for the first new token
 * @param prompt the prompt tokens
 * @param generated the tokens generated before this step
 */
public record DecodingStep(int index, long[] prompt, long[] generated) {

    /** The last token fed to the model: the prompt's last token at step 0. */
    public long lastToken() {
        return generated.length > 0 ? generated[generated.length - 1] : prompt[prompt.length - 1];
    }
}
