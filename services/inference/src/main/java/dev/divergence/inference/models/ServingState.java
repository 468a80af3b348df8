package dev.divergence.inference.models;

/** Where a model stands in the serving backend (embedded server or Triton). */
public enum ServingState {
    /** Repository entry written, load requested, not ready yet. */
    LOADING,
    READY,
    /** The backend refused or failed the load; {@link ServableModel#message()} says why. */
    FAILED,
    UNLOADED
}
