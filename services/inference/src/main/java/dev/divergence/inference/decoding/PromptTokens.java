package dev.divergence.inference.decoding;

/**
 * The token ids a request brings, before a strategy arranges them into stream prompts.
 *
 * @param prefix tokens every stream starts with (the model's bos token, or none)
 * @param prompt the prompt
 * @param context the context (cad, adacad; other strategies prepend it to every stream), maybe empty
 * @param lamePrompt the weaker prompt USCD contrasts against, maybe empty
 */
public record PromptTokens(long[] prefix, long[] prompt, long[] context, long[] lamePrompt) {

    public PromptTokens {
        prefix = prefix == null ? new long[0] : prefix.clone();
        prompt = prompt == null ? new long[0] : prompt.clone();
        context = context == null ? new long[0] : context.clone();
        lamePrompt = lamePrompt == null ? new long[0] : lamePrompt.clone();
    }

    public static PromptTokens of(long[] prefix, long[] prompt) {
        return new PromptTokens(prefix, prompt, null, null);
    }

    static long[] concat(long[]... parts) {
        int n = 0;
        for (long[] part : parts) {
            n += part.length;
        }
        long[] out = new long[n];
        int at = 0;
        for (long[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }
}
