package dev.divergence.modelserver;

/** Lifecycle states with the names Triton reports in RepositoryIndex. */
public enum ModelState {
    LOADING, READY, UNLOADING, UNAVAILABLE
}
