package dev.divergence.inference.generation;

import dev.divergence.inference.decoding.DecodingPlan;
import dev.divergence.inference.decoding.DecodingStrategy;
import dev.divergence.inference.decoding.PromptTokens;
import dev.divergence.inference.decoding.StopRules;
import dev.divergence.inference.models.ModelCatalog;
import dev.divergence.inference.models.ServableModel;
import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * Checks a generation request and turns it into a {@link DecodingPlan}: every field problem is
 * reported at once, named as the request names it ({@code prompt}, {@code maxTokens},
 * {@code strategy.name}, ...); the model is resolved in the catalog and its tokenizer encodes the
 * texts.
 */
@Component
public class GenerationPlanner {

    static final int DEFAULT_MAX_TOKENS = 64;
    static final int MAX_STOP_TEXTS = 16;

    private final ModelCatalog catalog;
    private final GenerationProperties properties;

    public GenerationPlanner(ModelCatalog catalog, GenerationProperties properties) {
        this.catalog = catalog;
        this.properties = properties;
    }

    public PreparedGeneration prepare(GenerateRequest request) {
        if (request == null) {
            throw new InvalidArgumentException("body", "is required");
        }
        List<FieldViolation> violations = new ArrayList<>();
        if (request.model() == null || request.model().isBlank()) {
            violations.add(new FieldViolation("model", "is required"));
        }
        if (request.prompt() == null || request.prompt().isEmpty()) {
            violations.add(new FieldViolation("prompt", "must not be empty"));
        }
        DecodingStrategy strategy = StrategyChoice.parse(request.strategy(), violations);
        String name = StrategyChoice.nameOf(request.strategy());
        checkTexts(request, name, violations);
        GenerationConfig sampling = sampling(request, name, violations);
        int maxTokens = request.maxTokens() == null ? DEFAULT_MAX_TOKENS : request.maxTokens();
        if (maxTokens < 1 || maxTokens > properties.maxTokens()) {
            violations.add(new FieldViolation("maxTokens", "must be between 1 and " + properties.maxTokens() + ", got " + maxTokens));
        }
        List<String> stop = request.stop() == null ? List.of() : request.stop();
        if (stop.size() > MAX_STOP_TEXTS) {
            violations.add(new FieldViolation("stop", "at most " + MAX_STOP_TEXTS + " stop texts, got " + stop.size()));
        }
        for (int i = 0; i < stop.size(); i++) {
            if (stop.get(i) == null || stop.get(i).isEmpty()) {
                violations.add(new FieldViolation("stop[" + i + "]", "must not be empty"));
            }
        }
        if (!violations.isEmpty()) {
            throw new InvalidArgumentException(violations);
        }

        ServableModel model = catalog.require(request.model());
        TextTokenizer tokenizer = catalog.tokenizer(request.model());
        if (maxTokens > model.contextLength()) {
            throw new InvalidArgumentException("maxTokens", "must be at most the context of '" + model.name() + "' ("
                    + model.contextLength() + " tokens), got " + maxTokens);
        }
        long[] prefix = tokenizer.bosTokenId().isPresent() ? new long[] {tokenizer.bosTokenId().getAsLong()} : new long[0];
        PromptTokens tokens = new PromptTokens(prefix, tokenizer.encode(request.prompt()), encode(tokenizer, request.context()),
                encode(tokenizer, request.lamePrompt()));
        if (tokens.prompt().length == 0) {
            throw new InvalidArgumentException("prompt", "encodes to no tokens");
        }
        Set<Long> stopTokens = tokenizer.eosTokenId().isPresent() && !Boolean.TRUE.equals(request.ignoreEos())
                ? Set.of(tokenizer.eosTokenId().getAsLong()) : Set.of();
        DecodingPlan plan = DecodingPlan.of(strategy, tokens, sampling, new StopRules(maxTokens, stopTokens, stop, model.contextLength()),
                Boolean.TRUE.equals(request.diagnostics()), tokenizer);
        if (plan.longestPrompt() > model.contextLength()) {
            throw new InvalidArgumentException(tokens.context().length > 0 ? "context" : "prompt", "the longest stream prompt is "
                    + plan.longestPrompt() + " tokens; the context of '" + model.name() + "' holds " + model.contextLength());
        }
        return new PreparedGeneration(model.name(), name, plan);
    }

    private static void checkTexts(GenerateRequest request, String strategy, List<FieldViolation> violations) {
        boolean contrastsContext = strategy.equals(StrategyChoice.CAD) || strategy.equals(StrategyChoice.ADACAD);
        if (contrastsContext && (request.context() == null || request.context().isEmpty())) {
            violations.add(new FieldViolation("context", "is required by " + strategy + " (the text it contrasts with its absence)"));
        }
        boolean uscd = strategy.equals(StrategyChoice.USCD);
        if (uscd && (request.lamePrompt() == null || request.lamePrompt().isEmpty())) {
            violations.add(new FieldViolation("lamePrompt", "is required by uscd (the weaker prompt it contrasts with)"));
        }
        if (!uscd && request.lamePrompt() != null && !request.lamePrompt().isEmpty()) {
            violations.add(new FieldViolation("lamePrompt", "is used by uscd only"));
        }
    }

    private static GenerationConfig sampling(GenerateRequest request, String strategy, List<FieldViolation> violations) {
        double temperature = request.temperature() != null ? request.temperature() : strategy.equals(StrategyChoice.SAMPLE) ? 1.0 : 0.0;
        int topK = request.topK() == null ? 0 : request.topK();
        double topP = request.topP() == null ? 1.0 : request.topP();
        boolean ok = true;
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            violations.add(new FieldViolation("temperature", "must be a finite number >= 0, got " + temperature));
            ok = false;
        } else if (strategy.equals(StrategyChoice.GREEDY) && temperature > 0) {
            violations.add(new FieldViolation("temperature", "greedy always takes the most likely token; use strategy sample to sample"));
            ok = false;
        }
        if (topK < 0) {
            violations.add(new FieldViolation("topK", "must be >= 0 (0 keeps every token), got " + topK));
            ok = false;
        }
        if (!(topP > 0 && topP <= 1)) {
            violations.add(new FieldViolation("topP", "must be in (0, 1], got " + topP));
            ok = false;
        }
        long seed = request.seed() == null ? 0 : request.seed();
        return ok ? GenerationConfig.sampling(0, temperature, topK, topP, seed) : null;
    }

    private static long[] encode(TextTokenizer tokenizer, String text) {
        return text == null || text.isEmpty() ? new long[0] : tokenizer.encode(text);
    }
}
