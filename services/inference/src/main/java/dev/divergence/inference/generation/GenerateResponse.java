package dev.divergence.inference.generation;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.divergence.inference.decoding.DecodingOutcome;
import dev.divergence.inference.decoding.FinishReason;
import dev.divergence.inference.decoding.GeneratedToken;
import dev.divergence.inference.decoding.StepDiagnostics;
import java.util.List;
import java.util.Locale;

/** The result of a generation: the text, every token with its log-prob, and why it ended. */
public record GenerateResponse(String model, String strategy, String text, List<Token> tokens, String finishReason, Usage usage) {

    static GenerateResponse of(String model, String strategy, DecodingOutcome outcome, boolean withTokens) {
        return new GenerateResponse(model, strategy, outcome.text(),
                withTokens ? outcome.tokens().stream().map(Token::of).toList() : List.of(),
                finishReason(outcome.finishReason()), new Usage(outcome.promptTokens(), outcome.tokens().size()));
    }

    static String finishReason(FinishReason reason) {
        return reason.name().toLowerCase(Locale.ROOT);
    }

    /** One generated token; {@code diagnostics} only when the request asked for them. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Token(int index, long id, String text, double logProb, Diagnostics diagnostics) {

        static Token of(GeneratedToken token) {
            return new Token(token.index(), token.id(), token.text(), token.logProb(), Diagnostics.of(token.diagnostics()));
        }
    }

    /** alpha for cad/adacad and confident for uscd; absent for other strategies. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Diagnostics(Double alpha, double entropy, Boolean confident) {

        static Diagnostics of(StepDiagnostics diagnostics) {
            return diagnostics == null ? null : new Diagnostics(diagnostics.alpha(), diagnostics.entropy(), diagnostics.confident());
        }
    }

    public record Usage(int promptTokens, int completionTokens) {
    }
}
