package dev.divergence.training.job;

/**
 * The teacher of a language-model distillation, computed once and kept on disk: before training
 * the job runs the teacher over the dataset and stores, per position, its {@code topK} most likely
 * tokens with their log-probabilities (at the job's temperature) and the remaining tail mass.
 * Training then reads the teacher from that file (the teacher model is not loaded) and compares
 * the student on the k most likely tokens plus one tail bin.
 *
 * @param topK tokens kept per position, in [1, vocabulary size]
 */
public record TeacherCacheSpec(Integer topK) {
}
