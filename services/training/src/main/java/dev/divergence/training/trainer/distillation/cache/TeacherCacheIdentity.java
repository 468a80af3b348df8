package dev.divergence.training.trainer.distillation.cache;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a teacher-logit cache was computed from. A cache file whose identity differs in any field
 * from the job's is stale and rebuilt: another teacher (name, version folder, weights), other text
 * (dataset name and a SHA-256 of the token sequences), another temperature, k, vocabulary or context.
 *
 * @param teacher the spec's teacher reference, e.g. {@code tiny-lm} or {@code my-teacher:3}
 * @param teacherVersion the resolved model folder ({@code name/version})
 * @param teacherWeights SHA-256 of the teacher's config and its weight files' names and sizes
 * @param dataset the dataset name
 * @param tokens SHA-256 of the cached token sequences (after cutting to the context)
 * @param records number of sequences
 * @param positions number of cached positions (sum over sequences of length - 1)
 */
public record TeacherCacheIdentity(String teacher, String teacherVersion, String teacherWeights, String dataset,
    String tokens, double temperature, int k, int vocab, int context, int records, long positions) {

  /** The identity as header lines, in a fixed order. */
  Map<String, String> asHeader() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("teacher", teacher);
    h.put("teacher_version", teacherVersion);
    h.put("teacher_weights", teacherWeights);
    h.put("dataset", dataset);
    h.put("tokens_sha256", tokens);
    h.put("temperature", Double.toString(temperature));
    h.put("k", Integer.toString(k));
    h.put("vocab", Integer.toString(vocab));
    h.put("context", Integer.toString(context));
    h.put("records", Integer.toString(records));
    h.put("positions", Long.toString(positions));
    return h;
  }
}
