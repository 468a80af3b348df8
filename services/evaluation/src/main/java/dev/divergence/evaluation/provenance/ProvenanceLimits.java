package dev.divergence.evaluation.provenance;

/**
 * Bounds of one provenance request: every text (and every reference text) is one forward pass of up
 * to its length at the inference service, so the limits keep a request to seconds on a small model.
 * The model's context length applies as well (the inference service rejects a longer text).
 */
public final class ProvenanceLimits {

  /** Texts scored per request. */
  public static final int MAX_TEXTS = 16;
  /** Characters (UTF-16 code units, as JSON counts them) of one scored text. */
  public static final int MAX_TEXT_CHARS = 512;
  /** Reference texts tokenized per request, given as {@code referenceTexts} or read from {@code referenceDataset}. */
  public static final int MAX_REFERENCE_TEXTS = 64;
  /** Characters of one reference text. */
  public static final int MAX_REFERENCE_TEXT_CHARS = 512;
  /** The zero-shot statistic's level when the request gives none. */
  public static final double DEFAULT_DELTA = 0.05;

  private ProvenanceLimits() {}
}
