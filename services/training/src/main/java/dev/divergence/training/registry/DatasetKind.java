package dev.divergence.training.registry;

import java.util.Arrays;
import java.util.Optional;

/**
 * What a dataset's records look like, which decides the job types that can use it:
 * <ul>
 *   <li>text: {@code {"text": "..."}} or {@code {"prompt": "...", "completion": "..."}}</li>
 *   <li>preference: {@code {"prompt": "...", "chosen": "...", "rejected": "..."}}</li>
 *   <li>classification: {@code {"features": [numbers], "label": integer}}</li>
 *   <li>verifiable: problems with a checkable answer, e.g. {@code {"prompt": "2+3=", "answer": "5"}}:
 *       non-empty string fields of any names, the same names in every record (an RLVR job names its
 *       prompt and answer fields)</li>
 * </ul>
 */
public enum DatasetKind {
  TEXT("text"),
  PREFERENCE("preference"),
  CLASSIFICATION("classification"),
  VERIFIABLE("verifiable");

  private final String apiName;

  DatasetKind(String apiName) {
    this.apiName = apiName;
  }

  public String apiName() {
    return apiName;
  }

  /** The API names, sorted. */
  public static java.util.List<String> apiNames() {
    return Arrays.stream(values()).map(DatasetKind::apiName).sorted().toList();
  }

  public static Optional<DatasetKind> byApiName(String name) {
    return Arrays.stream(values()).filter(k -> k.apiName.equals(name)).findFirst();
  }
}
