package dev.divergence.merging.models;

/** Where a built-in classifier stands in this process. */
public enum BuiltInState {
  /** Not loaded and not queued for background preparation: the first request that needs it makes it (lazy mode). */
  NOT_LOADED,
  /** Queued for, or being made and loaded by, the background preparation: requests answer 503 / UNAVAILABLE. */
  PREPARING,
  /** Loaded and served. */
  READY,
  /** The last attempt failed; the next request that needs it tries again and reports the error. */
  FAILED
}
