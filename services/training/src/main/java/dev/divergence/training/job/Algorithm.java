package dev.divergence.training.job;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The job types, by the names the API uses. */
public enum Algorithm {
  DISTILLATION("distillation"),
  F_DPO("f_dpo"),
  F_DPG("f_dpg"),
  RLVR("rlvr"),
  SUPERVISED("supervised");

  private final String apiName;

  Algorithm(String apiName) {
    this.apiName = apiName;
  }

  public String apiName() {
    return apiName;
  }

  public static Optional<Algorithm> byApiName(String name) {
    return Arrays.stream(values()).filter(a -> a.apiName.equals(name)).findFirst();
  }

  public static List<String> apiNames() {
    return Arrays.stream(values()).map(Algorithm::apiName).toList();
  }
}
