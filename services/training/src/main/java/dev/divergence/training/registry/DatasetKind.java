package dev.divergence.training.registry;

import java.util.Arrays;
import java.util.Optional;

/**
 * What a dataset's records look like, which decides the job types that can use it:
 * <ul>
 *   <li>text: {@code {"text": "..."}} or {@code {"prompt": "...", "completion": "..."}}</li>
 *   <li>preference: {@code {"prompt": "...", "chosen": "...", "rejected": "..."}}</li>
 *   <li>classification: {@code {"features": [numbers], "label": integer}}</li>
 * </ul>
 */
public enum DatasetKind {
  TEXT("text"),
  PREFERENCE("preference"),
  CLASSIFICATION("classification");

  private final String apiName;

  DatasetKind(String apiName) {
    this.apiName = apiName;
  }

  public String apiName() {
    return apiName;
  }

  public static Optional<DatasetKind> byApiName(String name) {
    return Arrays.stream(values()).filter(k -> k.apiName.equals(name)).findFirst();
  }
}
