package dev.divergence.local.cli;

/** One job the demo submits: a title for the console and the REST body of its spec. */
record DemoJob(String title, String spec) {

    /** The demo: distillation and f-DPO on the built-in tiny models, each small enough for 2 CPU cores. */
    static final java.util.List<DemoJob> ALL = java.util.List.of(
            new DemoJob("distillation, JS divergence: breast-cancer MLP teacher -> student", """
                    {"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer",
                     "budget":{"maxSteps":300,"batchSize":32,"learningRate":0.01,"checkpointEvery":100,"logEvery":20},
                     "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"js"},"temperature":2.0}}"""),
            new DemoJob("f-DPO, JS divergence: tiny-lm on arithmetic preferences", """
                    {"algorithm":"f_dpo","model":"tiny-lm","dataset":"arithmetic-preferences",
                     "budget":{"maxSteps":60,"batchSize":8,"learningRate":0.0005,"checkpointEvery":30,"logEvery":10},
                     "fDpo":{"referenceModel":"tiny-lm","divergence":{"name":"js"},"beta":0.1}}"""));
}
