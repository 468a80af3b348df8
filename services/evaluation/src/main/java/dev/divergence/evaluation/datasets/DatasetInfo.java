package dev.divergence.evaluation.datasets;

/**
 * A dataset of the training service's registry.
 *
 * @param kind "text", "preference" or "classification"
 */
public record DatasetInfo(String name, String kind, boolean builtIn, String description, long records, long trainRecords,
    long testRecords) {

  public static final String TEXT = "text";
  public static final String PREFERENCE = "preference";
  public static final String CLASSIFICATION = "classification";
}
