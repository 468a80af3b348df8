package dev.divergence.math.divergence;

import dev.divergence.math.Checks;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The one place where a vocabulary name (API field, event payload, UI choice) becomes an
 * implementation. Every service resolves divergence names here, so "js" means the same thing in a
 * distillation loss, an evaluation metric and a merge coefficient.
 *
 * <p>Orientation: p is the target (teacher / reference / data), q the model; {@code kl} is KL(p||q).
 * {@code sinkhorn} is part of the vocabulary too but needs a ground cost, so it lives in
 * {@code dev.divergence.math.transport.Sinkhorn}; asking this registry for it says so.
 */
public final class DivergenceRegistry {

    /** A parameter a divergence accepts, its default (NaN = required) and its valid range. */
    public record Parameter(String name, double defaultValue, double min, double max, String meaning) {
        double check(Double value) {
            if (value == null && Double.isNaN(defaultValue)) {
                throw Checks.bad(name, "is required");
            }
            double v = value == null ? defaultValue : value;
            Checks.finiteParameter(v, name);
            Checks.inClosedRange(v, min, max, name);
            return v;
        }
    }

    /** What the registry knows about one name. */
    public record Entry(String name, String description, List<Parameter> parameters,
                        Function<Map<String, Double>, Divergence> factory) {
    }

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        plain("kl", "KL(p||q), forward KL, mass-covering when p is the target",
                ClosedForms::kl, Generators.kl());
        plain("reverse_kl", "KL(q||p), mode-seeking",
                (p, q) -> ClosedForms.kl(q, p), Generators.reverseKl());
        plain("js", "Jensen-Shannon divergence (KL(p||m)+KL(q||m))/2, m=(p+q)/2, in [0, log 2]",
                ClosedForms::js, Generators.js());
        register(new Entry("js_distance", "sqrt of js (what scipy's jensenshannon returns)", List.of(),
                params -> new NamedDivergence("js_distance", params,
                        // round-off can leave js at -1e-17 for identical inputs: the distance is 0 there, not NaN
                        (p, q) -> Math.sqrt(Math.max(0.0, ClosedForms.js(p, q))),
                        sqrtGradient(ClosedForms::js, NamedDivergence.fromGenerator(Generators.js())), null)));
        Parameter beta = new Parameter("beta", 0.5, 0, 1,
                "mixture weight of p in M = beta p + (1-beta) q; 0 -> kl, 1 -> reverse_kl (TRL's special cases)");
        register(new Entry("jsd", "generalised JSD of GKD: beta KL(p||M) + (1-beta) KL(q||M)", List.of(beta),
                params -> {
                    double b = beta.check(params.get("beta"));
                    FGenerator g = Generators.jsd(b);
                    return new NamedDivergence("jsd", Map.of("beta", b), (p, q) -> ClosedForms.jsd(p, q, b),
                            NamedDivergence.fromGenerator(g), g);
                }));
        Parameter skew = new Parameter("alpha", 0.1, 0, 1, "skew weight (DistiLLM uses 0.1)");
        register(new Entry("skew_kl", "KL(p || alpha p + (1-alpha) q) (DistiLLM)", List.of(skew),
                params -> {
                    double a = skew.check(params.get("alpha"));
                    FGenerator g = Generators.skewKl(a);
                    return new NamedDivergence("skew_kl", Map.of("alpha", a), (p, q) -> ClosedForms.skewKl(p, q, a),
                            NamedDivergence.fromGenerator(g), g);
                }));
        register(new Entry("skew_reverse_kl", "KL(q || (1-alpha) p + alpha q) (DistiLLM)", List.of(skew),
                params -> {
                    double a = skew.check(params.get("alpha"));
                    FGenerator g = Generators.skewReverseKl(a);
                    return new NamedDivergence("skew_reverse_kl", Map.of("alpha", a),
                            (p, q) -> ClosedForms.skewReverseKl(p, q, a), NamedDivergence.fromGenerator(g), g);
                }));
        plain("tv", "total variation 1/2 sum |p - q|, in [0, 1]",
                ClosedForms::totalVariation, Generators.totalVariation());
        plain("hellinger", "squared Hellinger, half convention 1/2 sum (sqrt p - sqrt q)^2 = 1 - BC, in [0, 1]",
                (p, q) -> ClosedForms.hellingerSquared(p, q, HellingerConvention.HALF),
                Generators.hellinger(HellingerConvention.HALF));
        plain("hellinger_full", "squared Hellinger, full convention sum (sqrt p - sqrt q)^2, in [0, 2]",
                (p, q) -> ClosedForms.hellingerSquared(p, q, HellingerConvention.FULL),
                Generators.hellinger(HellingerConvention.FULL));
        register(new Entry("hellinger_distance", "Hellinger distance sqrt(hellinger), in [0, 1]", List.of(),
                params -> new NamedDivergence("hellinger_distance", params, ClosedForms::hellingerDistance,
                        sqrtGradient((p, q) -> ClosedForms.hellingerSquared(p, q, HellingerConvention.HALF),
                                NamedDivergence.fromGenerator(Generators.hellinger(HellingerConvention.HALF))),
                        null)));
        plain("chi2", "Pearson chi-square sum (p - q)^2 / q", ClosedForms::chi2Pearson, Generators.chi2Pearson());
        plain("chi2_neyman", "Neyman chi-square sum (p - q)^2 / p", ClosedForms::chi2Neyman, Generators.chi2Neyman());
        Parameter amari = new Parameter("alpha", 0.5, -1e6, 1e6,
                "Amari alpha of f(t) = (t^(1-a) - (1-a) t - a)/(a(a-1)) on t = p/q; 0 -> kl, 1 -> reverse_kl. "
                + "f-DPO's alpha means the same (p = reference, q = policy), as TRL's f_alpha_divergence_coef; "
                + "the f-DPO paper writes this divergence with alpha = 1 - a (docs/adding-a-divergence.md)");
        register(new Entry("alpha", "Amari alpha-divergence (ALGORITHMS.md generator)", List.of(amari),
                params -> {
                    double a = amari.check(params.get("alpha"));
                    FGenerator g = Generators.alpha(a);
                    return new NamedDivergence("alpha", Map.of("alpha", a), (p, q) -> ClosedForms.alphaAmari(p, q, a),
                            NamedDivergence.fromGenerator(g), g);
                }));
        plain("jeffreys", "KL(p||q) + KL(q||p)", ClosedForms::jeffreys, Generators.jeffreys());
        Parameter order = new Parameter("alpha", Double.NaN, 0, 1e6,
                "order of the Renyi divergence; 1 -> kl, 0 -> -log(mass of q on the support of p)");
        register(new Entry("renyi", "Renyi divergence log(sum p^a q^(1-a)) / (a - 1)", List.of(order),
                params -> {
                    double a = order.check(params.get("alpha"));
                    return new NamedDivergence("renyi", Map.of("alpha", a), (p, q) -> ClosedForms.renyi(p, q, a),
                            renyiGradient(a), null);
                }));
        register(new Entry("bhattacharyya", "Bhattacharyya distance -log sum sqrt(p q)", List.of(),
                params -> new NamedDivergence("bhattacharyya", params, ClosedForms::bhattacharyyaDistance,
                        (p, q, out) -> {
                            double bc = ClosedForms.bhattacharyyaCoefficient(p, q);
                            for (int i = 0; i < p.length; i++) {
                                // outside p's support the term sqrt(p q) is 0 for every q: no 0/0 there
                                out[i] = p[i] == 0 ? 0.0 : -0.5 * Math.sqrt(p[i] / q[i]) / bc;
                            }
                        }, null)));
        register(new Entry("cauchy_schwarz", "Cauchy-Schwarz -log(sum pq / sqrt(sum p^2 sum q^2))", List.of(),
                params -> new NamedDivergence("cauchy_schwarz", params,
                        (p, q) -> ClosedForms.cauchySchwarz(p, q, CauchySchwarzForm.HALF), cauchySchwarzGradient(1), null)));
        register(new Entry("cauchy_schwarz_squared", "Cauchy-Schwarz -log((sum pq)^2 / (sum p^2 sum q^2))", List.of(),
                params -> new NamedDivergence("cauchy_schwarz_squared", params,
                        (p, q) -> ClosedForms.cauchySchwarz(p, q, CauchySchwarzForm.SQUARED), cauchySchwarzGradient(2), null)));
    }

    private DivergenceRegistry() {
    }

    /** The divergence for a vocabulary name with its default parameters. */
    public static Divergence create(String name) {
        return create(name, Map.of());
    }

    /** The divergence for a vocabulary name with one parameter (beta for jsd, alpha otherwise). */
    public static Divergence create(String name, double parameter) {
        Entry entry = entry(name);
        if (entry.parameters().size() != 1) {
            throw Checks.bad("parameters", name + " takes " + entry.parameters().size() + " parameters, not 1");
        }
        return create(name, Map.of(entry.parameters().get(0).name(), parameter));
    }

    /** The divergence for a vocabulary name; unknown names or parameters are rejected. */
    public static Divergence create(String name, Map<String, Double> parameters) {
        Checks.notNull(parameters, "parameters");
        Entry entry = entry(name);
        for (String key : parameters.keySet()) {
            if (entry.parameters().stream().noneMatch(p -> p.name().equals(key))) {
                throw Checks.bad(key, "is not a parameter of " + name + " (accepted: "
                        + entry.parameters().stream().map(Parameter::name).toList() + ")");
            }
        }
        return entry.factory().apply(parameters);
    }

    /** Every registered vocabulary name, sorted. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(ENTRIES.keySet()));
    }

    public static Entry entry(String name) {
        Checks.notNull(name, "divergence");
        Entry entry = ENTRIES.get(name);
        if (entry == null) {
            if (name.equals("sinkhorn")) {
                throw Checks.bad("divergence", "sinkhorn needs a ground cost matrix: use dev.divergence.math.transport.Sinkhorn");
            }
            throw Checks.bad("divergence", "unknown name '" + name + "' (known: " + names() + ")");
        }
        return entry;
    }

    private static void plain(String name, String description, NamedDivergence.Kernel kernel, FGenerator generator) {
        register(new Entry(name, description, List.of(),
                params -> new NamedDivergence(name, params, kernel, NamedDivergence.fromGenerator(generator), generator)));
    }

    private static void register(Entry entry) {
        if (ENTRIES.putIfAbsent(entry.name(), entry) != null) {
            throw new IllegalStateException("duplicate divergence name " + entry.name());
        }
    }

    /** d sqrt(D) = dD / (2 sqrt D). */
    private static NamedDivergence.Gradient sqrtGradient(NamedDivergence.Kernel inner, NamedDivergence.Gradient innerGradient) {
        return (p, q, out) -> {
            innerGradient.apply(p, q, out);
            double scale = 0.5 / Math.sqrt(Math.max(0.0, inner.apply(p, q)));
            for (int i = 0; i < out.length; i++) {
                out[i] *= scale;
            }
        };
    }

    /** d/dq_i log(S)/(a-1) with S = sum p^a q^(1-a) is -p_i^a q_i^-a / S. */
    private static NamedDivergence.Gradient renyiGradient(double a) {
        if (a == 1.0) {
            return NamedDivergence.fromGenerator(Generators.kl());
        }
        return (p, q, out) -> {
            double s = ClosedForms.powerSum(p, q, a);
            for (int i = 0; i < p.length; i++) {
                out[i] = p[i] == 0 ? 0.0 : -Math.pow(p[i], a) * Math.pow(q[i], -a) / s;
            }
        };
    }

    /** HALF form: -log(pq) + log(pp)/2 + log(qq)/2, so d/dq_i = -p_i/pq + q_i/qq; SQUARED is twice that. */
    private static NamedDivergence.Gradient cauchySchwarzGradient(double factor) {
        return (p, q, out) -> {
            double pq = 0;
            double qq = 0;
            for (int i = 0; i < p.length; i++) {
                pq += p[i] * q[i];
                qq += q[i] * q[i];
            }
            for (int i = 0; i < p.length; i++) {
                out[i] = factor * (-p[i] / pq + q[i] / qq);
            }
        };
    }
}
