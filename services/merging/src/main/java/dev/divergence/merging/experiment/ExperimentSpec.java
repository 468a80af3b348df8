package dev.divergence.merging.experiment;

import java.util.List;
import java.util.Map;

/**
 * What an experiment runs: a pair and its merge method (an existing merge, or generalist, expert,
 * method and parameters as in create-merge), the methods to compare, the splits and the seeds. As
 * stored, every default is filled in ({@link ExperimentSpecValidator}).
 *
 * @param mergeId an existing merge of this tenant; its pair, and its parameters for its method
 * @param method the merge method whose parameters {@code parameters} are (null: t3)
 * @param methods the methods to compare (null: {@link ExperimentSpecValidator#DEFAULT_METHODS})
 * @param splits built-in splits by name, or labelled rows given inline (null: {@link Splits#DEFAULTS})
 * @param seeds bootstrap resamples (and noise draws) per split (null: 5)
 * @param batchSize rows per predicted batch, as in Evaluate (null: 64)
 */
public record ExperimentSpec(String mergeId, String generalist, String expert, String method, Map<String, Object> parameters,
    List<String> methods, List<Split> splits, Integer seeds, Integer batchSize) {

  /** A built-in split by name (inputs and labels null), or named labelled rows as Evaluate accepts them. */
  public record Split(String name, float[][] inputs, int[] labels) {

    public boolean inline() {
      return inputs != null;
    }
  }
}
