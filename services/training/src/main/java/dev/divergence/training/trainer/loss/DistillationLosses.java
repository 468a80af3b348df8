package dev.divergence.training.trainer.loss;

import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.training.job.DistillationSpec;
import dev.divergence.training.job.DivergenceChoice;
import java.util.Set;

/** The loss of a distillation spec, by the job's divergence name. */
public final class DistillationLosses {

  /** Names computed per token by libs/divergence (and so usable with a top-k teacher). */
  public static final Set<String> PER_TOKEN = Set.of("kl", "reverse_kl", "js", "jsd", "tv", "skew_kl", "skew_reverse_kl");
  public static final double DEFAULT_AKL_HEAD_MASS = 0.5;

  private DistillationLosses() {
  }

  /**
   * @param classifier pld is for classifiers only
   * @throws IllegalArgumentException for combinations no loss implements (named in the message)
   */
  public static DistillationLoss create(DistillationSpec spec, boolean classifier) {
    DivergenceChoice choice = spec.divergence();
    String name = choice.name();
    double temperature = spec.temperature() == null ? DistillationSpec.defaultTemperature(name) : spec.temperature();
    int topK = spec.topK() == null ? 0 : spec.topK();
    if (topK > 0 && !PER_TOKEN.contains(name)) {
      throw new IllegalArgumentException("topK works with the per-token divergences " + PER_TOKEN + ", not " + name);
    }
    DistillationLoss loss = switch (name) {
      case "jsd" -> new DivergenceLogitsLoss(name,
          choice.beta() == null ? DivergenceRegistry.create("jsd") : DivergenceRegistry.create("jsd", choice.beta()), temperature, topK);
      case "skew_kl", "skew_reverse_kl" -> new DivergenceLogitsLoss(name,
          choice.alpha() == null ? DivergenceRegistry.create(name) : DivergenceRegistry.create(name, choice.alpha()), temperature, topK);
      case "kl", "reverse_kl", "js", "tv" -> new DivergenceLogitsLoss(name, DivergenceRegistry.create(name), temperature, topK);
      case "akl" -> new AdaptiveKlLoss(temperature, choice.alpha() == null ? DEFAULT_AKL_HEAD_MASS : choice.alpha());
      // the spec's temperature as given; unset, SinKD's own (2, see DistillationSpec.defaultTemperature)
      case "sinkhorn" -> SinkhornLoss.withTemperature(temperature);
      case "pld" -> {
        if (!classifier) {
          throw new IllegalArgumentException("pld is a list-wise loss for classifiers, not for language models");
        }
        yield new ListwiseDistillationLoss(temperature);
      }
      default -> throw new IllegalArgumentException("no distillation loss named '" + name + "'");
    };
    double ceWeight = spec.ceWeight() == null ? 0 : spec.ceWeight();
    return ceWeight > 0 ? new CrossEntropyMix(loss, ceWeight) : loss;
  }
}
