package dev.divergence.inference.store;

/** Where a model version came from, as the registry event said (null parts are unknown or not applicable). */
public record Lineage(String baseModel, String teacherModel, String referenceModel, String producingJob) {

  public static final Lineage NONE = new Lineage(null, null, null, null);
}
