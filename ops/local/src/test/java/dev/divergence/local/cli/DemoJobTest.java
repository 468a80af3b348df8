package dev.divergence.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The demo's jobs are well-formed where the demo cannot check them before submitting: the f-DPO job names the
 * dataset the demo uploads, and that upload holds preference records. (Whether the job learns is services/training's
 * FDpoTrainerTest#theDemoJobLearnsToRankItsPreferencePairs, which runs these very resources.)
 */
class DemoJobTest {

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void theFDpoJobTrainsOnTheDatasetTheDemoUploads() {
        DemoJob fDpo = DemoJob.ALL.stream().filter(job -> job.dataset() != null).findFirst().orElseThrow();
        JsonNode spec = json.readTree(fDpo.spec());
        assertThat(spec.get("algorithm").asString()).isEqualTo("f_dpo");
        assertThat(spec.get("dataset").asString()).isEqualTo(fDpo.dataset().name()).isEqualTo(DemoJob.F_DPO_DATASET);
        assertThat(fDpo.dataset().kind()).isEqualTo("preference");
        String[] lines = fDpo.dataset().jsonl().strip().split("\n");
        assertThat(lines).hasSize(18);
        for (String line : lines) {
            JsonNode record = json.readTree(line);
            assertThat(record.get("prompt").asString()).as(line).matches("[0-9]+[+-][0-9]+=");
            assertThat(record.get("chosen").asString()).as(line).matches("[0-9]+").isNotEqualTo(record.get("rejected").asString());
            assertThat(record.get("rejected").asString()).as(line).matches("[0-9]+");
        }
    }

    @Test
    void theOtherJobsUseBuiltInDatasets() {
        assertThat(DemoJob.ALL).filteredOn(job -> job.dataset() == null).isNotEmpty()
                .allSatisfy(job -> assertThat(json.readTree(job.spec()).get("dataset").asString()).isIn("breast-cancer", "arithmetic"));
    }
}
