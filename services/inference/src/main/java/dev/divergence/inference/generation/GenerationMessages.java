package dev.divergence.inference.generation;

import dev.divergence.inference.decoding.GeneratedToken;
import dev.divergence.inference.decoding.StepDiagnostics;
import dev.divergence.proto.inference.v1.GenerateEvent;
import java.util.List;

/** Between the gRPC messages of generation.proto and the REST records (same fields, same meaning). */
final class GenerationMessages {

    private GenerationMessages() {
    }

    static GenerateRequest fromProto(dev.divergence.proto.inference.v1.GenerateRequest request) {
        GenerateRequest.StrategyRequest strategy = null;
        if (request.hasStrategy()) {
            var s = request.getStrategy();
            strategy = new GenerateRequest.StrategyRequest(s.getName(), s.hasAlpha() ? s.getAlpha() : null,
                    s.hasAlphaFloor() ? s.getAlphaFloor() : null, s.hasThreshold() ? s.getThreshold() : null,
                    s.hasFraction() ? s.getFraction() : null, s.getWeightsCount() == 0 ? null : List.copyOf(s.getWeightsList()));
        }
        return new GenerateRequest(request.getModel(), request.getPrompt(), request.getContext(), request.getLamePrompt(), strategy,
                request.hasMaxTokens() ? request.getMaxTokens() : null, request.hasTemperature() ? request.getTemperature() : null,
                request.hasTopK() ? request.getTopK() : null, request.hasTopP() ? request.getTopP() : null,
                request.hasSeed() ? request.getSeed() : null, List.copyOf(request.getStopList()), request.getDiagnostics(),
                request.getIgnoreEos());
    }

    static dev.divergence.proto.inference.v1.GenerateResponse toProto(GenerateResponse response) {
        var out = dev.divergence.proto.inference.v1.GenerateResponse.newBuilder().setModel(response.model())
                .setStrategy(response.strategy()).setText(response.text()).setFinishReason(response.finishReason())
                .setUsage(dev.divergence.proto.inference.v1.Usage.newBuilder().setPromptTokens(response.usage().promptTokens())
                        .setCompletionTokens(response.usage().completionTokens()));
        for (GenerateResponse.Token token : response.tokens()) {
            var message = dev.divergence.proto.inference.v1.GeneratedToken.newBuilder().setIndex(token.index()).setId(token.id())
                    .setText(token.text()).setLogProb(token.logProb());
            if (token.diagnostics() != null) {
                message.setDiagnostics(diagnostics(token.diagnostics().alpha(), token.diagnostics().entropy(), token.diagnostics().confident()));
            }
            out.addTokens(message);
        }
        return out.build();
    }

    static GenerateEvent tokenEvent(GeneratedToken token) {
        var message = dev.divergence.proto.inference.v1.GeneratedToken.newBuilder().setIndex(token.index()).setId(token.id())
                .setText(token.text()).setLogProb(token.logProb());
        StepDiagnostics d = token.diagnostics();
        if (d != null) {
            message.setDiagnostics(diagnostics(d.alpha(), d.entropy(), d.confident()));
        }
        return GenerateEvent.newBuilder().setToken(message).build();
    }

    static GenerateEvent doneEvent(GenerateResponse summary) {
        return GenerateEvent.newBuilder().setDone(toProto(summary)).build();
    }

    private static dev.divergence.proto.inference.v1.StepDiagnostics diagnostics(Double alpha, double entropy, Boolean confident) {
        var out = dev.divergence.proto.inference.v1.StepDiagnostics.newBuilder().setEntropy(entropy);
        if (alpha != null) {
            out.setAlpha(alpha);
        }
        if (confident != null) {
            out.setConfident(confident);
        }
        return out.build();
    }
}
