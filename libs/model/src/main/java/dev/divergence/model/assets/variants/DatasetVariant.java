package dev.divergence.model.assets.variants;

/**
 * One registered variant of a bundled data set.
 *
 * @param name        {@code <source>-<kind>-<severity>} or {@code <source>-<subset>}
 * @param source      the bundled data set it is made from ({@code digits} or {@code breast-cancer})
 * @param kind        the corruption or subset ({@code noise}, {@code blur}, ..., {@code base}, {@code novel})
 * @param severity    1..5 for a corruption, 0 for a subset
 * @param level       the severity's parameter (a standard deviation, a sigma, a patch side, ...); 0 for a subset
 * @param seed        the fixed seed of its random draws (0 for a subset, which draws nothing)
 * @param description what it is, in words
 */
public record DatasetVariant(String name, String source, String kind, int severity, double level, long seed, String description) {

    public boolean isSubset() {
        return severity == 0;
    }
}
