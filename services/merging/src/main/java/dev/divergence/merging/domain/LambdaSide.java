package dev.divergence.merging.domain;

/** Which model a method's coefficient lambda weights: theta = lambda theta_side + (1 - lambda) theta_other. */
public enum LambdaSide {
  GENERALIST("generalist"),
  EXPERT("expert");

  private final String apiName;

  LambdaSide(String apiName) {
    this.apiName = apiName;
  }

  public String apiName() {
    return apiName;
  }

  /** The generalist's weight when lambda weights this side. */
  public double generalistWeight(double lambda) {
    return this == GENERALIST ? lambda : 1 - lambda;
  }

  static LambdaSide parse(String field, String value) {
    for (LambdaSide side : values()) {
      if (side.apiName.equals(value)) {
        return side;
      }
    }
    throw new dev.divergence.platform.errors.InvalidArgumentException(field, "must be 'generalist' or 'expert', got '" + value + "'");
  }
}
