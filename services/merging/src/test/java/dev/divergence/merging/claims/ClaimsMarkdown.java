package dev.divergence.merging.claims;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The claims report as Markdown tables (accuracy in %, intervals in brackets). */
final class ClaimsMarkdown {

  private ClaimsMarkdown() {
  }

  @SuppressWarnings("unchecked")
  static String render(Map<String, Object> report) {
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "Seeds: %s bootstrap resamples per split, paired; intervals: Student-t %.0f %%; batch %s.%n%n",
        report.get("seeds"), 100 * (double) report.get("confidence_level"), report.get("batch")));
    for (Map<String, Object> pair : (List<Map<String, Object>>) report.get("pairs")) {
      md.append("#### ").append(pair.get("pair")).append(" (").append(pair.get("generalist")).append(" / ").append(pair.get("expert"))
          .append(", in-domain: ").append(pair.get("in_domain")).append(")\n\n");
      md.append("| split | n | generalist | expert | best static (alpha) | ensemble | DaWin | T³ | T³_B | T³ full | T³_B full |"
          + " T³ - best static | T³ full - best static |\n");
      md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (Map<String, Object> split : (List<Map<String, Object>>) pair.get("splits")) {
        Map<String, Object> methods = (Map<String, Object>) split.get("methods");
        String bestStatic = (String) split.get("best_static");
        md.append("| ").append(split.get("split")).append(split.get("role").equals("in-domain") ? " (in-domain)" : "")
            .append(" | ").append(split.get("samples"))
            .append(" | ").append(acc(methods, "generalist"))
            .append(" | ").append(acc(methods, "expert"))
            .append(" | ").append(acc(methods, bestStatic)).append(" (").append(bestStatic.substring(bestStatic.indexOf('@') + 1)).append(")")
            .append(" | ").append(acc(methods, "ensemble"))
            .append(" | ").append(acc(methods, "dawin"))
            .append(" | ").append(acc(methods, "t3/defaults"))
            .append(" | ").append(acc(methods, "t3_batch/defaults"))
            .append(" | ").append(acc(methods, "t3/full_range"))
            .append(" | ").append(acc(methods, "t3_batch/full_range"))
            .append(" | ").append(difference(split, "defaults", "shift_vs_best_static"))
            .append(" | ").append(difference(split, "full_range", "shift_vs_best_static"))
            .append(" |\n");
      }
      md.append("\nIn-domain (T³ - expert) and T³_B - T³, per setting:\n\n| split | setting | T³ - expert | T³_B - T³ | T³ lambda mean |\n|---|---|---:|---:|---:|\n");
      for (Map<String, Object> split : (List<Map<String, Object>>) pair.get("splits")) {
        for (T3Claims.Setting setting : T3Claims.SETTINGS) {
          Map<String, Object> methods = (Map<String, Object>) split.get("methods");
          double lambda = (double) ((Map<String, Object>) methods.get("t3/" + setting.name())).get("lambda_mean");
          md.append("| ").append(split.get("split")).append(" | ").append(setting.name())
              .append(" | ").append(difference(split, setting.name(), "in_domain_vs_expert"))
              .append(" | ").append(difference(split, setting.name(), "batch_vs_per_sample"))
              .append(String.format(Locale.ROOT, " | %.3f |%n", lambda));
        }
      }
      md.append("\nClaims held (splits where the claim holds / splits where it applies): ");
      md.append(pair.get("claims_held")).append("\n\n");
    }
    return md.toString();
  }

  @SuppressWarnings("unchecked")
  private static String acc(Map<String, Object> methods, String method) {
    double[] a = (double[]) ((Map<String, Object>) methods.get(method)).get("accuracy");
    return String.format(Locale.ROOT, "%.1f", 100 * a[0]);
  }

  @SuppressWarnings("unchecked")
  private static String difference(Map<String, Object> split, String setting, String claim) {
    Map<String, Object> c = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) split.get("claims")).get(setting)).get(claim);
    if (c == null) {
      return "-";
    }
    double[] d = (double[]) c.get("difference");
    return String.format(Locale.ROOT, "%+.1f [%+.1f, %+.1f]%s", 100 * d[0], 100 * d[1], 100 * d[2], (boolean) c.get("holds") ? "" : " ✗");
  }
}
