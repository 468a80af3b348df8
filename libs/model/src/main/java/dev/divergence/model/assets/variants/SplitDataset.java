package dev.divergence.model.assets.variants;

import dev.divergence.model.assets.LabeledData;

/**
 * A data set with its train/test split: {@code all} holds the rows in the source's order, {@code train}
 * and {@code test} the very same row arrays (shared, not copied) in the shuffled order of the split the
 * built-in models were trained with, so membership can be found by identity.
 */
public record SplitDataset(String name, LabeledData all, LabeledData train, LabeledData test) {

    public int dim() {
        return all.dim();
    }
}
