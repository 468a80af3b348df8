package dev.divergence.platform.text;

/**
 * What every string a caller sends must satisfy, whatever the transport: no C0 control character
 * other than tab, line feed and carriage return, and no unpaired UTF-16 surrogate. PostgreSQL cannot
 * store U+0000 in TEXT (a request carrying one used to fail as a 500 when it reached the database),
 * an unpaired surrogate has no UTF-8 encoding, and the other control characters are never meaningful
 * in names, ids or prompts. Checking once at the edge of every service (JSON bodies, query and path
 * parameters, gRPC messages) turns them into a 400 / INVALID_ARGUMENT naming the field.
 */
public final class TextRules {

  private TextRules() {}

  /** Why {@code value} is not acceptable text, or {@code null} when it is. */
  public static String problemIn(CharSequence value) {
    if (value == null) {
      return null;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        return String.format("must not contain the control character U+%04X (at index %d)", (int) c, i);
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
          i++;
          continue;
        }
        return "must not contain an unpaired surrogate (at index " + i + "): it is not valid UTF-8 text";
      }
      if (Character.isLowSurrogate(c)) {
        return "must not contain an unpaired surrogate (at index " + i + "): it is not valid UTF-8 text";
      }
    }
    return null;
  }
}
