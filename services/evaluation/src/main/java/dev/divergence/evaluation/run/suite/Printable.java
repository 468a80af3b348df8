package dev.divergence.evaluation.run.suite;

/**
 * Model output as text other systems accept. A byte-level model can emit any byte, but PostgreSQL's
 * JSON cannot hold U+0000 and the platform's text rules refuse control characters in requests.
 */
final class Printable {

  private Printable() {
  }

  /** For showing: each control character except tab and newline becomes U+FFFD. */
  static String shown(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      out.append(isRefused(c) ? '\uFFFD' : c);
    }
    return out.toString();
  }

  /** For sending back to a model: the text up to its first control character (tab and newline kept). */
  static String beforeFirstControl(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (isRefused(text.charAt(i))) {
        return text.substring(0, i);
      }
    }
    return text;
  }

  private static boolean isRefused(char c) {
    return Character.isISOControl(c) && c != '\t' && c != '\n';
  }
}
