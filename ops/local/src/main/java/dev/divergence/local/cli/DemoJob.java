package dev.divergence.local.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * One job the demo submits: a title for the console, the REST body of its spec, and the dataset it
 * needs uploaded first (null when it trains on a built-in dataset).
 */
record DemoJob(String title, String spec, DemoDataset dataset) {

    /**
     * A JSONL dataset the demo uploads before submitting its job ({@code POST /api/v1/training/datasets}).
     * Datasets are immutable, so a second demo run finds it there already (409) and uses it.
     */
    record DemoDataset(String name, String kind, String jsonl) {}

    /**
     * The f-DPO job: 60 steps of 8 pairs, js, rate 3e-3 constant, beta 0.5, on 18 arithmetic preference pairs
     * (17 trained on, 1 held out): the setting in which bench/RESULTS.md (claims-fdpo, "pairs18") saw every
     * divergence rise from about 0.6 to above 0.9 accuracy. On the built-in arithmetic-preferences set (fresh
     * pairs every step, which only arithmetic could rank) the earlier demo (rate 5e-4, beta 0.1) ended below
     * chance. The spec and pairs are resources, so that services/training's FDpoTrainerTest runs this very job.
     */
    static final String F_DPO_SPEC_RESOURCE = "/demo/f-dpo-job.json";
    static final String F_DPO_PAIRS_RESOURCE = "/demo/f-dpo-arithmetic-preferences.jsonl";
    static final String F_DPO_DATASET = "demo-arithmetic-preferences-18";

    /** The demo: distillation and f-DPO on the built-in tiny models, each small enough for 2 CPU cores. */
    static final java.util.List<DemoJob> ALL = java.util.List.of(
            new DemoJob("distillation, JS divergence: breast-cancer MLP teacher -> student", """
                    {"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer",
                     "budget":{"maxSteps":300,"batchSize":32,"learningRate":0.01,"checkpointEvery":100,"logEvery":20},
                     "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"js"},"temperature":2.0}}""", null),
            new DemoJob("f-DPO, JS divergence: tiny-lm on 18 arithmetic preference pairs", resource(F_DPO_SPEC_RESOURCE),
                    new DemoDataset(F_DPO_DATASET, "preference", resource(F_DPO_PAIRS_RESOURCE))));

    static String resource(String name) {
        try (InputStream in = DemoJob.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing demo resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
