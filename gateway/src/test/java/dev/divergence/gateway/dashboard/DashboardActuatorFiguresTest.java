package dev.divergence.gateway.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The system page's reading of actuator metric answers: only measured numbers count. */
class DashboardActuatorFiguresTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void aGaugesValueIsItsValueStatistic() {
    ServiceClient.Answer lag = answer(200, """
        {"name":"kafka.consumer.fetch.manager.records.lag","measurements":[{"statistic":"VALUE","value":17.0}],
         "availableTags":[{"tag":"topic","values":["training.jobs.v1","models.registry.v1"]},{"tag":"partition","values":["0","1"]}]}""");
    assertThat(ActuatorFigures.value(lag)).isEqualTo(OptionalDouble.of(17.0));
    assertThat(ActuatorFigures.tagValues(lag, "topic")).containsExactly("models.registry.v1", "training.jobs.v1");
    assertThat(ActuatorFigures.tagValues(lag, "client.id")).isEmpty();
  }

  @Test
  void aMissingMeterOrANotANumberIsNotMeasuredRatherThanZero() {
    assertThat(ActuatorFigures.value(answer(404, "null"))).isEmpty();
    assertThat(ActuatorFigures.value(answer(200, "{\"measurements\":[{\"statistic\":\"VALUE\",\"value\":\"NaN\"}]}"))).isEmpty();
    assertThat(ActuatorFigures.value(answer(200, "{\"measurements\":[{\"statistic\":\"COUNT\",\"value\":3}]}"))).isEmpty();
    assertThat(ActuatorFigures.value(answer(503, "{\"measurements\":[{\"statistic\":\"VALUE\",\"value\":3}]}"))).isEmpty();
  }

  @Test
  void theConsumerGroupIsReadFromKafkasDefaultClientId() {
    assertThat(ActuatorFigures.consumerGroup("consumer-evaluation-2")).isEqualTo("evaluation");
    assertThat(ActuatorFigures.consumerGroup("consumer-model-registry-listener-11")).isEqualTo("model-registry-listener");
    assertThat(ActuatorFigures.consumerGroup("custom-client")).isEqualTo("custom-client");
  }

  @Test
  void wholeNumbersShowWithoutDecimals() {
    assertThat(ActuatorFigures.shown(0.0)).isEqualTo("0");
    assertThat(ActuatorFigures.shown(1234.0)).isEqualTo("1234");
    assertThat(ActuatorFigures.shown(2.5)).isEqualTo("2.50");
  }

  private static ServiceClient.Answer answer(int status, String body) {
    return new ServiceClient.Answer(status, JSON.readTree(body));
  }
}
