package dev.divergence.training.claims;

import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.fdpg.FDpgTrainer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * {@link FDpgClaims}' protocol (its spec, 30 steps, its fresh-sample measures) for chosen (divergence, seed)
 * pairs, one line each: used to rerun the runs that had collapsed (bench/RESULTS.md, claims-fdpg, "After the
 * baseline fix"). Arguments: output folder, then divergence:seed pairs, e.g. {@code js:50 kl:49 tv:43}. Run from
 * services/training with the test classpath, like bench/claims/fdpg/run.sh runs FDpgClaims.
 */
public final class FDpgSeeds {
  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    Path baseDir = TestRun.builtIns().ensure("tiny-lm");
    for (int a = 1; a < args.length; a++) {
      String[] ds = args[a].split(":");
      String name = ds[0];
      long seed = Long.parseLong(ds[1]);
      long started = System.nanoTime();
      TestRun run = new TestRun(FDpgClaims.spec(name, 30, seed), out.resolve(name + "-" + seed));
      TrainingOutcome outcome = new FDpgTrainer().train(run);
      Map<String, Double> fresh = FDpgClaims.measure(outcome.modelDir(), baseDir, seed);
      System.out.printf(Locale.ROOT, "%-10s seed %d: satisfaction first5 %.3f last5 %.3f fresh %.3f, KL(pi||a) last5 %.2f fresh %.2f, distinct-2 last5 %.3f, entropy last5 %.1f, min step satisfaction after step 5 %.3f [%.0f s]%n",
          name, seed, run.mean("constraint_satisfaction", 5, false), run.mean("constraint_satisfaction", 5, true), fresh.get("satisfaction"),
          run.mean("kl_policy_base", 5, true), fresh.get("kl_policy_base"), run.mean("distinct_2", 5, true), run.mean("entropy", 5, true),
          run.reported.subList(5, run.reported.size()).stream().mapToDouble(m -> m.get("constraint_satisfaction")).min().orElse(-1),
          (System.nanoTime() - started) / 1e9);
    }
  }
}
