package dev.divergence.math;

import dev.divergence.math.divergence.CauchySchwarzForm;
import dev.divergence.math.divergence.ClosedForms;
import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.math.divergence.FGenerator;
import dev.divergence.math.divergence.Generators;
import dev.divergence.math.divergence.HellingerConvention;
import dev.divergence.math.divergence.Information;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleSupplier;

import static dev.divergence.math.Reference.assertClose;
import static dev.divergence.math.Reference.number;
import static dev.divergence.math.Reference.vector;
import static org.assertj.core.api.Assertions.assertThat;

/** Every value of the "divergences" and "scipy_*" sections of the reference file, at 1e-12 relative. */
class ReferenceDivergencesTest {

    private static final double REL = 1e-12;
    private static final double LN2 = Math.log(2);

    @TestFactory
    List<DynamicTest> everyDivergenceCase() {
        List<DynamicTest> tests = new ArrayList<>();
        JsonNode cases = Reference.root().get("divergences");
        for (String caseName : cases.propertyNames()) {
            JsonNode c = cases.get(caseName);
            tests.add(DynamicTest.dynamicTest(caseName, () -> checkCase(caseName, c)));
        }
        assertThat(tests).hasSize(11);
        return tests;
    }

    private static void checkCase(String caseName, JsonNode c) {
        double[] pIn = vector(c.get("p_input"));
        double[] qIn = vector(c.get("q_input"));
        double[] p = Checks.distribution(pIn, "p", Normalisation.NORMALISE);
        double[] q = Checks.distribution(qIn, "q", Normalisation.NORMALISE);
        assertThat(p).containsExactly(vector(c.get("p_normalized")));
        assertThat(q).containsExactly(vector(c.get("q_normalized")));

        Map<String, DoubleSupplier> computed = new java.util.LinkedHashMap<>();
        computed.put("entropy_p_nats", () -> Information.entropy(pIn, Normalisation.NORMALISE, LogBase.NATS));
        computed.put("entropy_p_bits", () -> Information.entropy(pIn, Normalisation.NORMALISE, LogBase.BITS));
        computed.put("entropy_q_nats", () -> Information.entropy(qIn, Normalisation.NORMALISE, LogBase.NATS));
        computed.put("cross_entropy_pq_nats", () -> Information.crossEntropy(pIn, qIn, Normalisation.NORMALISE, LogBase.NATS));
        computed.put("kl_pq_nats", () -> reg("kl").between(pIn, qIn, Normalisation.NORMALISE));
        computed.put("kl_pq_bits", () -> LogBase.BITS.fromNats(reg("kl").between(pIn, qIn, Normalisation.NORMALISE)));
        computed.put("kl_qp_nats", () -> reg("reverse_kl").between(pIn, qIn, Normalisation.NORMALISE));
        computed.put("kl_qp_bits", () -> LogBase.BITS.fromNats(reg("reverse_kl").between(pIn, qIn, Normalisation.NORMALISE)));
        computed.put("js_divergence_nats", () -> reg("js").between(pIn, qIn, Normalisation.NORMALISE));
        computed.put("js_divergence_bits", () -> LogBase.BITS.fromNats(reg("js").between(pIn, qIn, Normalisation.NORMALISE)));
        computed.put("js_distance_nats_scipy_default", () -> reg("js_distance").between(pIn, qIn, Normalisation.NORMALISE));
        computed.put("js_distance_base2_scipy", () -> Math.sqrt(LogBase.BITS.fromNats(ClosedForms.js(p, q))));
        computed.put("total_variation", () -> reg("tv").between(p, q));
        computed.put("bhattacharyya_coefficient", () -> ClosedForms.bhattacharyyaCoefficient(p, q));
        computed.put("hellinger_distance", () -> reg("hellinger_distance").between(p, q));
        computed.put("hellinger_sq_half_convention", () -> reg("hellinger").between(p, q));
        computed.put("hellinger_sq_full_convention", () -> reg("hellinger_full").between(p, q));
        computed.put("chi2_pearson", () -> reg("chi2").between(p, q));
        computed.put("chi2_neyman", () -> reg("chi2_neyman").between(p, q));
        // Cichocki alpha at a is the registry's Amari alpha at 1 - a (ALGORITHMS.md generator).
        computed.put("alpha_cichocki_0.5", () -> DivergenceRegistry.create("alpha", 0.5).between(p, q));
        computed.put("alpha_cichocki_2", () -> DivergenceRegistry.create("alpha", -1.0).between(p, q));
        computed.put("alpha_tzhang_0.5", () -> ClosedForms.alphaTsallis(p, q, 0.5));
        computed.put("alpha_tzhang_2", () -> ClosedForms.alphaTsallis(p, q, 2));
        computed.put("renyi_2_nats", () -> DivergenceRegistry.create("renyi", 2.0).between(p, q));
        computed.put("renyi_2_bits", () -> LogBase.BITS.fromNats(DivergenceRegistry.create("renyi", 2.0).between(p, q)));
        computed.put("renyi_0.5_nats", () -> DivergenceRegistry.create("renyi", 0.5).between(p, q));
        computed.put("cauchy_schwarz_half", () -> reg("cauchy_schwarz").between(p, q));
        computed.put("cauchy_schwarz_squared", () -> reg("cauchy_schwarz_squared").between(p, q));

        Set<String> seen = new HashSet<>();
        for (String key : c.propertyNames()) {
            if (key.endsWith("_input") || key.endsWith("_normalized") || key.equals("_fdiv_check")) {
                continue;
            }
            DoubleSupplier f = computed.get(key);
            assertThat(f).as("no computation for reference key %s", key).isNotNull();
            assertClose(caseName + "." + key, f.getAsDouble(), number(c.get(key)), REL);
            seen.add(key);
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(computed.keySet());

        // the same values through the other spellings: ClosedForms directly and the Cichocki form
        assertClose(caseName + " cichocki 0.5", ClosedForms.alphaCichocki(p, q, 0.5), number(c.get("alpha_cichocki_0.5")), REL);
        assertClose(caseName + " cichocki 2", ClosedForms.alphaCichocki(p, q, 2), number(c.get("alpha_cichocki_2")), REL);
        assertClose(caseName + " cs half", ClosedForms.cauchySchwarz(p, q, CauchySchwarzForm.HALF), number(c.get("cauchy_schwarz_half")), REL);
        assertClose(caseName + " hellinger half", ClosedForms.hellingerSquared(p, q, HellingerConvention.HALF),
                number(c.get("hellinger_sq_half_convention")), REL);

        JsonNode viaF = c.get("_fdiv_check");
        Map<String, FGenerator> generators = Map.of(
                "kl_via_f(t)=t*log(t)", Generators.kl(),
                "tv_via_f(t)=|t-1|/2", Generators.totalVariation(),
                "hellinger_sq_full_via_f(t)=(sqrt(t)-1)^2", Generators.hellinger(HellingerConvention.FULL),
                "chi2_pearson_via_f(t)=(t-1)^2", Generators.chi2Pearson(),
                "js_via_f(t)=0.5*(t*log(2t/(1+t))+log(2/(1+t)))", Generators.js());
        assertThat(viaF.propertyNames()).containsExactlyInAnyOrderElementsOf(generators.keySet());
        for (var e : generators.entrySet()) {
            assertClose(caseName + "." + e.getKey(), e.getValue().divergence(p, q), number(viaF.get(e.getKey())), REL);
        }
    }

    private static Divergence reg(String name) {
        return DivergenceRegistry.create(name);
    }

    @Test
    void scipyDocChecks() {
        JsonNode s = Reference.root().get("scipy_doc_checks");
        assertClose("entropy fair bits", Information.entropy(new double[]{.5, .5}, Normalisation.NORMALISE, LogBase.BITS),
                number(s.get("entropy([.5,.5],base=2)")), REL);
        assertClose("entropy biased bits", Information.entropy(new double[]{.9, .1}, Normalisation.NORMALISE, LogBase.BITS),
                number(s.get("entropy([.9,.1],base=2)")), REL);
        assertClose("kl bits", LogBase.BITS.fromNats(reg("kl").between(new double[]{.5, .5}, new double[]{.9, .1})),
                number(s.get("entropy([.5,.5],[.9,.1],base=2)")), REL);
        assertClose("cross entropy bits", Information.crossEntropy(new double[]{.5, .5}, new double[]{.9, .1},
                Normalisation.NORMALISE, LogBase.BITS), number(s.get("cross_entropy_bits")), REL);
        assertClose("js base 2", Math.sqrt(LogBase.BITS.fromNats(reg("js").between(new double[]{1, 0, 0}, new double[]{0, 1, 0}))),
                number(s.get("jensenshannon([1,0,0],[0,1,0],2.0)")), REL);
        assertClose("js onehot", reg("js_distance").between(new double[]{1, 0}, new double[]{.5, .5}),
                number(s.get("jensenshannon([1,0],[.5,.5])")), REL);
        assertClose("js identical", reg("js_distance").between(new double[]{1, 0, 0}, new double[]{1, 0, 0}),
                number(s.get("jensenshannon([1,0,0],[1,0,0])")), REL);
        JsonNode expected = s.get("expected");
        for (String key : expected.propertyNames()) {
            assertClose("expected " + key, number(s.get(key)), number(expected.get(key)), 1e-15);
        }

        // scipy's axis examples: jensenshannon along columns (axis 0) and rows (axis 1) of count matrices
        JsonNode axis = s.get("jensenshannon_axis_examples");
        double[][] a = Reference.matrix(axis.get("a"));
        double[][] b = Reference.matrix(axis.get("b"));
        double[] axis0 = vector(axis.get("axis0"));
        double[] axis1 = vector(axis.get("axis1"));
        for (int j = 0; j < axis0.length; j++) {
            double[] colA = new double[a.length];
            double[] colB = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                colA[i] = a[i][j];
                colB[i] = b[i][j];
            }
            assertClose("axis0[" + j + "]", reg("js_distance").between(colA, colB, Normalisation.NORMALISE), axis0[j], REL);
            // the docstring values are printed to 7 decimals
            assertThat(axis0[j]).isCloseTo(number(axis.get("expected_axis0").get(j)), org.assertj.core.data.Offset.offset(5e-8));
        }
        for (int i = 0; i < axis1.length; i++) {
            assertClose("axis1[" + i + "]", reg("js_distance").between(a[i], b[i], Normalisation.NORMALISE), axis1[i], REL);
            assertThat(axis1[i]).isCloseTo(number(axis.get("expected_axis1").get(i)), org.assertj.core.data.Offset.offset(5e-8));
        }
    }

    @Test
    void scipyElementwiseRelEntrAndKlDiv() {
        JsonNode s = Reference.root().get("scipy_elementwise_rel_entr_vs_kl_div");
        double[] x = vector(s.get("x"));
        double[] y = vector(s.get("y"));
        double[] relEntr = vector(s.get("rel_entr"));
        double[] klDiv = vector(s.get("kl_div"));
        double[] entr = vector(s.get("entr_x"));
        for (int i = 0; i < x.length; i++) {
            assertClose("rel_entr[" + i + "]", ClosedForms.relEntr(x[i], y[i]), relEntr[i], REL);
            assertClose("kl_div[" + i + "]", ClosedForms.klDiv(x[i], y[i]), klDiv[i], REL);
            assertClose("entr[" + i + "]", ClosedForms.entr(x[i]), entr[i], REL);
        }
    }
}
