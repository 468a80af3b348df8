package dev.divergence.math.logits;

import dev.divergence.math.divergence.Divergence;

/**
 * The distillation divergences that have a dedicated log-space kernel (no probability ratio is ever
 * formed, so underflowed probabilities cannot produce inf or NaN). Everything else in the registry
 * goes through {@link #GENERIC}: softmax to probabilities, then the registry's closed form.
 */
enum FusedKind {
    KL, REVERSE_KL, JSD, TV, SKEW_KL, SKEW_REVERSE_KL, GENERIC;

    /** The kind and its parameter (beta for JSD, alpha for the skews). */
    record Resolved(FusedKind kind, double parameter) {
    }

    static Resolved of(Divergence d) {
        return switch (d.name()) {
            case "kl" -> new Resolved(KL, 0);
            case "reverse_kl" -> new Resolved(REVERSE_KL, 0);
            case "js" -> new Resolved(JSD, 0.5);
            case "jsd" -> {
                double beta = d.parameters().get("beta");
                // TRL's special cases: the end points are the plain KLs, not the (vanishing) mixture formula
                yield beta == 0.0 ? new Resolved(KL, 0) : beta == 1.0 ? new Resolved(REVERSE_KL, 0) : new Resolved(JSD, beta);
            }
            case "tv" -> new Resolved(TV, 0);
            case "skew_kl" -> new Resolved(SKEW_KL, d.parameters().get("alpha"));
            case "skew_reverse_kl" -> new Resolved(SKEW_REVERSE_KL, d.parameters().get("alpha"));
            default -> new Resolved(GENERIC, 0);
        };
    }
}
