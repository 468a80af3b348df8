package dev.divergence.inference.models;

/** Where a model stands in the serving backend (embedded server or Triton). */
public enum ServingState {
    /**
     * A built-in model being made (trained into the data folder on first use) and loaded at
     * start-up; not a stored state: the catalog overlays it until the start-up loader is done.
     */
    PREPARING,
    /** Repository entry written, load requested, not ready yet. */
    LOADING,
    READY,
    /** The backend refused or failed the load; {@link ServableModel#message()} says why. */
    FAILED,
    UNLOADED
}
