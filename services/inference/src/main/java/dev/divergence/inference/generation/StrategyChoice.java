package dev.divergence.inference.generation;

import dev.divergence.inference.decoding.ContextContrast;
import dev.divergence.inference.decoding.DecodingStrategy;
import dev.divergence.inference.decoding.PlainDecoding;
import dev.divergence.inference.decoding.SelectiveContrast;
import dev.divergence.inference.generation.GenerateRequest.StrategyRequest;
import dev.divergence.platform.errors.FieldViolation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A request's strategy block turned into a {@link DecodingStrategy}, every parameter checked and defaulted. */
final class StrategyChoice {

    static final String GREEDY = "greedy";
    static final String SAMPLE = "sample";
    static final String CAD = "cad";
    static final String ADACAD = "adacad";
    static final String USCD = "uscd";
    static final List<String> NAMES = List.of(GREEDY, SAMPLE, CAD, ADACAD, USCD);
    static final double DEFAULT_CAD_ALPHA = 0.5;

    private static final Map<String, Set<String>> PARAMETERS = Map.of(
            GREEDY, Set.of(), SAMPLE, Set.of(), CAD, Set.of("alpha"), ADACAD, Set.of("alphaFloor"),
            USCD, Set.of("threshold", "fraction", "weights"));

    private StrategyChoice() {
    }

    /** The strategy's name (greedy when the block or its name is absent). */
    static String nameOf(StrategyRequest strategy) {
        return strategy == null || strategy.name() == null || strategy.name().isBlank() ? GREEDY : strategy.name().trim();
    }

    /** The strategy, or null with the problems added to {@code violations}. */
    static DecodingStrategy parse(StrategyRequest strategy, List<FieldViolation> violations) {
        String name = nameOf(strategy);
        if (!NAMES.contains(name)) {
            violations.add(new FieldViolation("strategy.name", "unknown strategy '" + name + "'; expected one of " + NAMES));
            return null;
        }
        List<FieldViolation> found = new ArrayList<>();
        if (strategy != null) {
            given(strategy).forEach((parameter, value) -> {
                if (value != null && !PARAMETERS.get(name).contains(parameter)) {
                    found.add(new FieldViolation("strategy." + parameter, "is not a parameter of " + name
                            + (PARAMETERS.get(name).isEmpty() ? " (it takes none)" : "; it takes " + PARAMETERS.get(name))));
                }
            });
        }
        DecodingStrategy parsed = switch (name) {
            case CAD -> {
                double alpha = value(strategy == null ? null : strategy.alpha(), DEFAULT_CAD_ALPHA);
                check(alpha >= 0 && Double.isFinite(alpha), "strategy.alpha", "must be a finite number >= 0, got " + alpha, found);
                yield ContextContrast.cad(alpha);
            }
            case ADACAD -> {
                double floor = value(strategy == null ? null : strategy.alphaFloor(), 0.0);
                check(floor >= 0 && floor <= 1, "strategy.alphaFloor", "must be in [0, 1], got " + floor, found);
                yield ContextContrast.adaCad(floor);
            }
            case USCD -> uscd(strategy, found);
            default -> new PlainDecoding(name);
        };
        violations.addAll(found);
        return found.isEmpty() ? parsed : null;
    }

    private static DecodingStrategy uscd(StrategyRequest strategy, List<FieldViolation> found) {
        double threshold = value(strategy == null ? null : strategy.threshold(), SelectiveContrast.DEFAULT_THRESHOLD);
        double fraction = value(strategy == null ? null : strategy.fraction(), SelectiveContrast.DEFAULT_FRACTION);
        check(threshold >= 0 && Double.isFinite(threshold), "strategy.threshold", "must be a finite number >= 0, got " + threshold, found);
        check(fraction >= 0 && fraction <= 1, "strategy.fraction", "must be in [0, 1], got " + fraction, found);
        double standardWeight = SelectiveContrast.DEFAULT_STANDARD_WEIGHT;
        double lameWeight = SelectiveContrast.DEFAULT_LAME_WEIGHT;
        List<Double> weights = strategy == null ? null : strategy.weights();
        if (weights != null) {
            if (weights.size() != 2 || weights.stream().anyMatch(w -> w == null || !Double.isFinite(w))) {
                found.add(new FieldViolation("strategy.weights", "must be two finite numbers [w_std, w_lame], got " + weights));
            } else {
                standardWeight = weights.get(0);
                lameWeight = weights.get(1);
                check(standardWeight > 0, "strategy.weights", "w_std must be > 0, got " + standardWeight, found);
            }
        }
        return new SelectiveContrast(threshold, fraction, standardWeight, lameWeight);
    }

    private static Map<String, Object> given(StrategyRequest strategy) {
        Map<String, Object> given = new LinkedHashMap<>();
        given.put("alpha", strategy.alpha());
        given.put("alphaFloor", strategy.alphaFloor());
        given.put("threshold", strategy.threshold());
        given.put("fraction", strategy.fraction());
        given.put("weights", strategy.weights());
        return given;
    }

    private static double value(Double given, double fallback) {
        return given == null ? fallback : given;
    }

    private static void check(boolean ok, String field, String message, List<FieldViolation> violations) {
        if (!ok) {
            violations.add(new FieldViolation(field, message));
        }
    }
}
