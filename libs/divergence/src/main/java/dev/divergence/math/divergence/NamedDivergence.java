package dev.divergence.math.divergence;

import java.util.Map;
import java.util.Optional;

/** The registry's implementation: a closed form, its gradient, and the generator when there is one. */
record NamedDivergence(String name, Map<String, Double> parameters, Kernel closedForm, Gradient gradient,
                       FGenerator fGenerator) implements Divergence {

    @FunctionalInterface
    interface Kernel {
        double apply(double[] p, double[] q);
    }

    @FunctionalInterface
    interface Gradient {
        void apply(double[] p, double[] q, double[] out);
    }

    NamedDivergence {
        parameters = Map.copyOf(parameters);
    }

    @Override
    public double unchecked(double[] p, double[] q) {
        return closedForm.apply(p, q);
    }

    @Override
    public Optional<FGenerator> generator() {
        return Optional.ofNullable(fGenerator);
    }

    @Override
    public void gradientWrtModelUnchecked(double[] p, double[] q, double[] out) {
        gradient.apply(p, q, out);
    }

    /** The gradient every f-divergence shares: d/dq_i of q_i f(p_i/q_i). */
    static Gradient fromGenerator(FGenerator generator) {
        return (p, q, out) -> {
            for (int i = 0; i < p.length; i++) {
                out[i] = generator.termDerivativeWrtQ(p[i], q[i]);
            }
        };
    }

    @Override
    public String toString() {
        return parameters.isEmpty() ? name : name + parameters;
    }
}
