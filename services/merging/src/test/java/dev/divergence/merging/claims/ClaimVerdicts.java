package dev.divergence.merging.claims;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Per split: every method's scores, the best static merge, and the three claims' paired differences and verdicts. */
final class ClaimVerdicts {

  private static final List<String> UNDER_STUDY_PREFIXES = List.of("t3/", "t3_batch/");

  private ClaimVerdicts() {
  }

  static Map<String, Object> summarise(T3Claims.Pair pair, Map<String, Integer> sizes, Map<String, Map<String, double[]>> accuracy,
      Map<String, Map<String, double[]>> ece, Map<String, Map<String, double[]>> lambda) {
    String inDomainAlpha = bestWiseFt(accuracy.get(pair.inDomain()));
    List<Map<String, Object>> splits = new ArrayList<>();
    Map<String, int[]> tally = new LinkedHashMap<>();
    for (String split : pair.splits()) {
      Map<String, double[]> acc = accuracy.get(split);
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("split", split);
      s.put("samples", sizes.get(split));
      s.put("role", split.equals(pair.inDomain()) ? "in-domain" : "shifted");
      Map<String, Object> methods = new LinkedHashMap<>();
      for (String method : acc.keySet()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", T3Claims.interval(acc.get(method)));
        m.put("ece", T3Claims.interval(ece.get(split).get(method)));
        m.put("lambda_mean", T3Claims.mean(lambda.get(split).get(method)));
        methods.put(method, m);
      }
      s.put("methods", methods);
      String bestStatic = bestWiseFt(acc);
      String bestBaseline = bestBaseline(acc);
      s.put("best_static", bestStatic);
      s.put("in_domain_alpha", inDomainAlpha);
      s.put("best_baseline", bestBaseline);
      Map<String, Object> claims = new LinkedHashMap<>();
      for (T3Claims.Setting setting : T3Claims.SETTINGS) {
        String t3 = "t3/" + setting.name();
        String t3b = "t3_batch/" + setting.name();
        Map<String, Object> c = new LinkedHashMap<>();
        if (split.equals(pair.inDomain())) {
          // close to the expert: fails only when T³ is surely more than a point below it
          c.put("in_domain_vs_expert", verdict(acc.get(t3), acc.get("expert"), -T3Claims.CLOSE, Double.POSITIVE_INFINITY, tally,
              setting.name() + "/in_domain_vs_expert"));
        } else {
          // at least as accurate as the best static merge: fails only when surely below it
          c.put("shift_vs_best_static", verdict(acc.get(t3), acc.get(bestStatic), 0, Double.POSITIVE_INFINITY, tally,
              setting.name() + "/shift_vs_best_static"));
          c.put("shift_vs_in_domain_alpha", verdict(acc.get(t3), acc.get(inDomainAlpha), 0, Double.POSITIVE_INFINITY, tally,
              setting.name() + "/shift_vs_in_domain_alpha"));
        }
        c.put("batch_vs_per_sample", verdict(acc.get(t3b), acc.get(t3), -T3Claims.CLOSE, T3Claims.CLOSE, tally,
            setting.name() + "/batch_vs_per_sample"));
        c.put("error_reduction_vs_best_baseline", errorReduction(acc.get(bestBaseline), acc.get(t3)));
        claims.put(setting.name(), c);
      }
      s.put("claims", claims);
      splits.add(s);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("pair", pair.name());
    out.put("generalist", pair.generalist());
    out.put("expert", pair.expert());
    out.put("in_domain", pair.inDomain());
    Map<String, Object> held = new LinkedHashMap<>();
    tally.forEach((claim, counts) -> held.put(claim, counts[0] + "/" + counts[1]));
    out.put("claims_held", held);
    out.put("splits", splits);
    return out;
  }

  /**
   * The paired difference a - b per seed, its mean and interval, and whether the claim holds: it
   * fails only when the whole interval lies below {@code low} or above {@code high}.
   */
  static Map<String, Object> verdict(double[] a, double[] b, double low, double high, Map<String, int[]> tally, String claim) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i] - b[i];
    }
    double[] ci = T3Claims.interval(d);
    boolean holds = !(ci[2] < low) && !(ci[1] > high);
    int[] counts = tally.computeIfAbsent(claim, k -> new int[2]);
    counts[0] += holds ? 1 : 0;
    counts[1]++;
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("difference", ci);
    v.put("holds", holds);
    v.put("significant", ci[1] > 0 || ci[2] < 0);
    return v;
  }

  /** (err_baseline - err) / err_baseline per seed; null when the baseline makes no error on a resample. */
  static double[] errorReduction(double[] baselineAccuracy, double[] accuracy) {
    double[] r = new double[accuracy.length];
    for (int i = 0; i < r.length; i++) {
      double err = 1 - baselineAccuracy[i];
      if (err <= 0) {
        return null;
      }
      r[i] = (err - (1 - accuracy[i])) / err;
    }
    return T3Claims.interval(r);
  }

  /** The WiSE-FT alpha of the highest mean accuracy (the smallest alpha on ties). */
  static String bestWiseFt(Map<String, double[]> acc) {
    String best = null;
    for (double alpha : T3Claims.ALPHAS) {
      String name = T3Claims.wiseFt(alpha);
      if (best == null || T3Claims.mean(acc.get(name)) > T3Claims.mean(acc.get(best))) {
        best = name;
      }
    }
    return best;
  }

  /** The baseline (every method but T³ and T³_B) of the highest mean accuracy, first on ties. */
  static String bestBaseline(Map<String, double[]> acc) {
    String best = null;
    for (String method : acc.keySet()) {
      if (UNDER_STUDY_PREFIXES.stream().anyMatch(method::startsWith)) {
        continue;
      }
      if (best == null || T3Claims.mean(acc.get(method)) > T3Claims.mean(acc.get(best))) {
        best = method;
      }
    }
    return best;
  }
}
