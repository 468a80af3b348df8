package dev.divergence.training.trainer.data;

/** A prompt with a preferred (chosen) and a dispreferred (rejected) completion. */
public record PreferenceExample(String prompt, String chosen, String rejected) {}
