package dev.divergence.platform.test.fuzz;

import java.util.List;
import java.util.Random;

/**
 * The values a fuzzer puts where a caller's input goes: the edge cases that have broken services
 * before (a NUL that PostgreSQL rejects, other control characters, unpaired surrogates, huge and empty
 * strings, numbers at and beyond the limits of their types) and a few ordinary ones, so that a mutated
 * request is sometimes still valid.
 */
public final class FuzzValues {

  static final List<String> STRINGS = List.of(
      "", " ", "a", "tiny-lm", "kd run", "x\u0000y", "\u0000", "nul\u0000", "\u001b[31m", "\u0007", "tab\tnew\nline\r",
      "\uD800", "\uDFFFx", "😀 emoji", "\u202Eright-to-left", "Ünïcödé", "\uFFFF", "null", "NaN", "-1", "0", "true",
      "../../../../etc/passwd", "' OR '1'='1", "%00", "%s%n", "${jndi:ldap://x}", "<script>", "a/b", "a:b:c", "a:1",
      "x".repeat(300), "y".repeat(10_000), "00000000-0000-0000-0000-000000000000", "not-a-uuid", " leading", "trailing ");

  static final List<Number> INTEGERS = List.of(
      0, 1, -1, 2, 7, 100, 65_536, Integer.MAX_VALUE, Integer.MIN_VALUE, 2_147_483_648L, Long.MAX_VALUE, Long.MIN_VALUE,
      1_000_000_000);

  static final List<Double> DOUBLES = List.of(
      0.0, -0.0, 1.0, -1.0, 0.5, 1e-320, 1e308, -1e308, 2.5, 1e9, 1.7976931348623157e308);

  private FuzzValues() {}

  static String string(Random random) {
    return STRINGS.get(random.nextInt(STRINGS.size()));
  }

  static Number integer(Random random) {
    return INTEGERS.get(random.nextInt(INTEGERS.size()));
  }

  static double decimal(Random random) {
    return DOUBLES.get(random.nextInt(DOUBLES.size()));
  }

  /** A string with {@code c} spliced in at a random place: the defect this fuzzing was written for. */
  static String withControlCharacter(Random random, String base) {
    char c = random.nextInt(3) == 0 ? (char) random.nextInt(0x20) : '\u0000';
    int at = base.isEmpty() ? 0 : random.nextInt(base.length() + 1);
    return base.substring(0, at) + c + base.substring(at);
  }

  /** Escapes control characters and long runs so a failing case prints readably and can be pasted into a test. */
  public static String printable(String text, int limit) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < limit; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !(Character.isHighSurrogate(c)
          && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1)))) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (text.length() > limit) {
      out.append("... (").append(text.length()).append(" chars)");
    }
    return out.toString();
  }
}
