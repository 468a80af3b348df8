package dev.divergence.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.platform.test.oidc.TestOidcProvider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The web dashboard in a real browser (headless Chromium) against the real platform: sign in, submit
 * a distillation job through the wizard after correcting a field the training service refused, watch
 * it succeed with its chart holding every streamed point, cancel and retry a job with an edited
 * budget, compare runs, upload a dataset with a bad record, see a service that is down named on
 * the system page, and generate with AdaCAD in the playground with alpha_t on every token. A job named like a script renders as text.
 * Then the result pages against their APIs: the compare page's alignment-diversity frontier of two distilled language
 * models' evaluations (also reached by ticking runs on the evaluations page), a run's decoding comparison, and, with the
 * merging service started, a merge experiment's page with its accuracies, lambda histograms and per-sample predictions.
 * Screenshots of the pages go to
 * {@code target/dashboard-screenshots} (or the folder named by {@code -Ddashboard.screenshots}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardIT {

  private static final String SCRIPT_NAME = "<script>alert(1)</script>";
  private static final Duration JOB_LIMIT = Duration.ofMinutes(4);
  private static LocalPlatform platform;
  private static ChromeDriver browser;
  private static Path screenshots;
  private static String succeededJob;
  /** The dashboard's OIDC provider: a real one (Spring Authorization Server), the outer edge of this test. */
  private static TestOidcProvider oidcProvider;
  private static final String PROVIDER_NAME = "Test IdP";
  /** The automatic evaluations of the two distilled language models (the frontier test's). */
  private static String klRun;
  private static String jsRun;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final JsonMapper json = JsonMapper.builder().build();

  @BeforeAll
  static void start() throws Exception {
    HeadlessChromium.ensureInstalled();
    // alice belongs to acme and globex; the gateway's dashboard signs in through this provider and its
    // API takes the same provider's JWTs
    oidcProvider = TestOidcProvider.start("divergence-dashboard", "dashboard-it-secret", List.of("/ui/oauth2/code/oidc"),
        List.of(new TestOidcProvider.Account("alice", "alice-password", java.util.Map.of(
            "tenant", "acme", "tenants", List.of("acme", "globex"), "roles", List.of("submitter")))));
    // merging is part of the platform but stopped at once: the system and merges pages must name it as down;
    // the later tests start it to open a real merge experiment (one platform start for both)
    platform = LocalPlatform.start(TestPlatforms.builder("dashboard", Component.KAFKA, Component.POSTGRES,
            Component.TRAINING, Component.INFERENCE, Component.EVALUATION, Component.MERGING, Component.GATEWAY)
        .serviceJvmOptions(TestPlatforms.serviceJvm("-Ddivergence.training.built-in-budget=small",
            "-Ddivergence.inference.built-in-budget=small", "-Ddivergence.merging.built-in-classifier-steps=40",
            "-Ddivergence.gateway.dashboard.oidc.issuer-uri=" + oidcProvider.issuer(),
            "-Ddivergence.gateway.dashboard.oidc.client-id=" + oidcProvider.clientId(),
            "-Ddivergence.gateway.dashboard.oidc.client-secret=" + oidcProvider.clientSecret(),
            "-Ddivergence.gateway.dashboard.oidc.name=" + PROVIDER_NAME,
            "-Dspring.security.oauth2.resourceserver.jwt.jwk-set-uri=" + oidcProvider.issuer() + "/oauth2/jwks")).build());
    platform.stop(Component.MERGING);
    browser = HeadlessChromium.start(platform.config().dataDir().resolve("chromium-profile"));
    screenshots = Path.of(System.getProperty("dashboard.screenshots", "target/dashboard-screenshots")).toAbsolutePath();
    Files.createDirectories(screenshots);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (platform != null) {
      platform.close();
    }
    if (oidcProvider != null) {
      oidcProvider.close();
    }
  }

  @Test
  @Order(1)
  void signInRefusesAWrongKeyAndAcceptsTheAdminKey() throws Exception {
    browser.get(url("/ui/jobs"));
    waitFor(ExpectedConditions.urlContains("/ui/sign-in"));
    screenshot("sign-in");
    browser.findElement(By.id("apiKey")).sendKeys("dvg_0000000000000000_notakeynotakeynotakeynotakeynotakeynotakey0");
    browser.findElement(By.id("signIn")).click();
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[role=alert]"))).getText())
        .contains("unknown, revoked or expired");

    browser.findElement(By.id("apiKey")).sendKeys(Credentials.adminKey(platform));
    browser.findElement(By.id("signIn")).click();
    waitFor(ExpectedConditions.urlContains("/ui/jobs"));
    assertThat(browser.findElement(By.id("tenant")).getText()).isEqualTo("default");
  }

  @Test
  @Order(2)
  void aDistillationJobSubmittedThroughTheWizardSucceedsWithItsChartHoldingTheStreamedPoints() throws Exception {
    browser.get(url("/ui/jobs/new?algorithm=distillation"));
    screenshot("new-job");
    type("displayName", SCRIPT_NAME);
    new Select(browser.findElement(By.id("divergence"))).selectByValue("js");
    long jobsBefore = api("/api/v1/training/jobs?pageSize=200").path("jobs").size();
    type("maxSteps", "0");

    // as you type: the training service's dry run refuses the budget, its message appears at the field, nothing is stored
    WebElement typedError = waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("error-maxSteps")));
    assertThat(typedError.getText()).isNotBlank();
    assertThat(browser.findElement(By.id("validation-status")).getText()).isNotBlank();
    assertThat(browser.getCurrentUrl()).endsWith("/ui/jobs/new?algorithm=distillation");
    assertThat(api("/api/v1/training/jobs?pageSize=200").path("jobs").size()).as("a dry run stores no job").isEqualTo(jobsBefore);
    // an unknown teacher is named at its field by the registry check, then cleared when corrected
    type("teacherModel", "no-such-teacher");
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("error-teacherModel"))).getText()).isNotBlank();
    type("teacherModel", "breast-cancer-mlp-teacher");
    waitFor(ExpectedConditions.invisibilityOfElementLocated(By.id("error-teacherModel")));

    browser.findElement(By.id("submit-job")).click();

    // submitted anyway: the training service refused the budget; its own message stands next to the field, and the form keeps the input
    WebElement stepsError = waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("error-maxSteps")));
    assertThat(stepsError.getText()).isNotBlank();
    assertThat(browser.findElement(By.id("problem")).getText()).contains("budget.maxSteps");
    assertThat(browser.findElement(By.id("displayName")).getAttribute("value")).isEqualTo(SCRIPT_NAME);

    type("maxSteps", "40");
    // the dry run accepts the corrected budget: the message goes and the status says what would run
    waitFor(ExpectedConditions.invisibilityOfElementLocated(By.id("error-maxSteps")));
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("validation-status"))).getText()).startsWith("Valid: 40 steps");
    browser.findElement(By.id("submit-job")).click();
    waitFor(ExpectedConditions.urlMatches("/ui/jobs/[0-9a-f-]{36}$"));
    succeededJob = browser.getCurrentUrl().replaceAll(".*/ui/jobs/", "");
    assertThat(browser.findElement(By.id("job-name")).getText()).as("the name renders as text").isEqualTo(SCRIPT_NAME);
    assertThatThrownBy(() -> browser.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);

    new WebDriverWait(browser, JOB_LIMIT).until(ExpectedConditions.textToBe(By.id("job-state"), "SUCCEEDED"));
    JsonNode series = api("/api/v1/training/jobs/" + succeededJob + "/metrics").path("series");
    int logged = 0;
    for (var entry : series.properties()) {
      logged += entry.getValue().path("values").size();
    }
    int expected = logged;
    assertThat(expected).as("the job logged metric points").isPositive();
    new WebDriverWait(browser, Duration.ofSeconds(30)).until(driver ->
        Integer.parseInt(driver.findElement(By.id("chart")).getAttribute("data-points")) == expected);
    assertThat(api("/api/v1/training/jobs/" + succeededJob).path("spec").path("distillation").path("divergence").path("name").asString())
        .isEqualTo("js");
    screenshot("job");
  }

  @Test
  @Order(3)
  void aCancelledJobIsRetriedWithAnEditedBudget() throws Exception {
    String jobId = submitByApi("long distillation", 5000);
    browser.get(url("/ui/jobs/" + jobId));
    waitFor(ExpectedConditions.elementToBeClickable(By.id("cancel"))).click();
    new WebDriverWait(browser, Duration.ofMinutes(2)).until(driver -> {
      driver.navigate().refresh();
      return driver.findElement(By.id("job-state")).getText().equals("CANCELLED");
    });
    // the state shown may be the live feed's; the retry form comes with a page rendered once the job is cancelled
    browser.navigate().refresh();

    WebElement maxSteps = waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("retry-max-steps")));
    maxSteps.clear();
    maxSteps.sendKeys("not a number");
    browser.findElement(By.id("retry")).click();
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("retry-error"))).getText()).contains("maxSteps");

    maxSteps = browser.findElement(By.id("retry-max-steps"));
    maxSteps.clear();
    maxSteps.sendKeys("30");
    browser.findElement(By.id("retry")).click();
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[role=status]"))).getText())
        .contains("Retried as attempt 2");
    JsonNode retried = api("/api/v1/training/jobs/" + jobId);
    assertThat(retried.path("attempt").asInt()).isEqualTo(2);
    assertThat(retried.path("spec").path("budget").path("maxSteps").asLong()).isEqualTo(30);

    // the attempts table follows the training API's attempts; attempt 2 shows once a worker starts it
    new WebDriverWait(browser, JOB_LIMIT).until(driver -> {
      List<String> shown = driver.findElements(By.cssSelector("#attempts tbody tr td:first-child")).stream()
          .map(WebElement::getText).toList();
      List<String> listed = new java.util.ArrayList<>();
      try {
        api("/api/v1/training/jobs/" + jobId + "/attempts").path("attempts").forEach(a -> listed.add(a.path("attempt").asString()));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      return shown.contains("2") && shown.equals(listed);
    });
    assertThat(browser.findElement(By.id("checkpoints")).getText()).contains("Checkpoint step");
  }

  @Test
  @Order(4)
  void twoRunsAreComparedOnOneChart() throws Exception {
    String other = submitByApi("kl for comparison", 30);
    awaitSucceeded(other);
    browser.get(url("/ui/jobs"));
    waitFor(ExpectedConditions.elementToBeClickable(By.id("compare-" + succeededJob))).click();
    browser.findElement(By.id("compare-" + other)).click();
    browser.findElement(By.id("compare")).click();
    waitFor(ExpectedConditions.urlContains("/ui/jobs/compare"));
    new WebDriverWait(browser, Duration.ofSeconds(20)).until(driver ->
        "2".equals(driver.findElement(By.id("compare-chart")).getAttribute("data-series")));
    assertThat(browser.findElements(By.cssSelector("#compare-table thead th"))).hasSize(3);
    assertThat(browser.findElement(By.id("compare-table")).getText()).contains("loss");
    screenshot("compare");
  }

  @Test
  @Order(5)
  void aDatasetWithOneBadRecordIsRefusedWithTheRecordNamed() throws Exception {
    Path file = platform.config().dataDir().resolve("upload.jsonl");
    Files.writeString(file, "{\"text\":\"1+1=2\"}\n{\"txet\":\"typo\"}\n{\"text\":\"2+2=4\"}\n");
    browser.get(url("/ui/datasets"));
    type("dataset-name", "dashboard-upload");
    new Select(browser.findElement(By.id("dataset-kind"))).selectByValue("text");
    browser.findElement(By.id("dataset-file")).sendKeys(file.toString());
    browser.findElement(By.id("upload")).click();
    String report = waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("upload-report"))).getText();
    assertThat(report).contains("line 2");
    screenshot("datasets");

    Files.writeString(file, "{\"text\":\"1+1=2\"}\n{\"text\":\"2+2=4\"}\n");
    browser.findElement(By.id("dataset-file")).sendKeys(file.toString());
    browser.findElement(By.id("upload")).click();
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("upload-done"))).getText())
        .contains("dashboard-upload", "2 records");
  }

  @Test
  @Order(6)
  void theSystemPageNamesTheServicesThatAreDown() throws Exception {
    browser.get(url("/ui/system"));
    String page = waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("health"))).getText();
    assertThat(page).contains("training", "evaluation");
    List<String> banners = browser.findElements(By.cssSelector("[role=alert]")).stream().map(WebElement::getText).toList();
    assertThat(banners).anySatisfy(banner -> assertThat(banner).contains("The merging service"));
    assertThat(banners).noneSatisfy(banner -> assertThat(banner).contains("The inference service"));
    assertThat(banners).noneSatisfy(banner -> assertThat(banner).contains("The training service"));
    screenshot("system");
  }

  @Test
  @Order(7)
  void thePlaygroundShowsAdaCadsAlphaOnEveryGeneratedToken() throws Exception {
    long deadline = System.nanoTime() + JOB_LIMIT.toNanos();
    while (!tinyLmReady()) {
      assertThat(System.nanoTime()).as("tiny-lm became servable in time").isLessThan(deadline);
      Thread.sleep(2000);
    }
    browser.get(url("/ui/playground"));
    new Select(waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("model")))).selectByValue("tiny-lm");
    new Select(browser.findElement(By.id("strategy"))).selectByValue("adacad");
    type("prompt", "12+7=");
    type("context", "12+7=19 ");
    type("maxTokens", "six");
    browser.findElement(By.id("generate")).click();
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("problem"))).getText()).contains("maxTokens");
    type("maxTokens", "6");
    browser.findElement(By.id("generate")).click();
    waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("generated")));
    List<WebElement> tokens = browser.findElements(By.cssSelector("#generated .token"));
    assertThat(tokens).isNotEmpty();
    for (WebElement token : tokens) {
      double alpha = Double.parseDouble(token.getAttribute("data-alpha"));
      assertThat(alpha).as("AdaCAD's alpha_t is a weight in [0, 1]").isBetween(0.0, 1.0);
    }
    assertThat(browser.findElements(By.cssSelector("#generated sub.alpha"))).hasSameSizeAs(tokens);
    screenshot("playground");
  }

  @Test
  @Order(8)
  void theAutomaticEvaluationOfTheSucceededJobOpensWithItsMetricsAndTheMergesPageNamesTheDownService() throws Exception {
    String model = api("/api/v1/training/jobs/" + succeededJob).path("outputModel").asString();
    assertThat(model).as("the wizard's job registered a model").isNotBlank();
    long deadline = System.nanoTime() + JOB_LIMIT.toNanos();
    while (true) {
      browser.get(url("/ui/evaluations"));
      List<WebElement> runs = browser.findElements(By.cssSelector("#runs tr"));
      if (runs.stream().anyMatch(row -> row.getText().contains(model.replaceAll(":.*", "")) && row.getText().contains("SUCCEEDED"))) {
        runs.stream().filter(row -> row.getText().contains("SUCCEEDED")).findFirst().orElseThrow()
            .findElement(By.cssSelector("a.run-link")).click();
        break;
      }
      assertThat(System.nanoTime()).as("the automatic evaluation of " + model + " succeeded in time").isLessThan(deadline);
      Thread.sleep(2000);
    }
    waitFor(ExpectedConditions.textToBe(By.id("run-state"), "SUCCEEDED"));
    String metrics = browser.findElement(By.cssSelector("table.metrics")).getText();
    assertThat(metrics).contains("accuracy", "ece");
    assertThat(browser.findElement(By.id("reliability")).getAttribute("data-series")).as("a reliability diagram of the test split")
        .isEqualTo("2");
    screenshot("evaluation");

    browser.get(url("/ui/merges"));
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("service-down"))).getText())
        .contains("merging", "unavailable");
  }

  @Test
  @Order(9)
  void theModelsPageDrawsTheWizardModelsLineageWithItsTeacherEdge() throws Exception {
    String model = api("/api/v1/training/jobs/" + succeededJob).path("outputModel").asString();
    String teacher = api("/api/v1/training/models/" + model).path("teacherModel").asString();
    assertThat(teacher).as("the registry names the wizard model's teacher").isNotBlank();
    browser.get(url("/ui/models"));
    new WebDriverWait(browser, Duration.ofSeconds(30)).until(driver ->
        driver.findElement(By.id("lineage")).getAttribute("data-edges") != null);
    String links = (String) browser.executeScript("var chart = echarts.getInstanceByDom(document.getElementById('lineage'));"
        + " return chart ? JSON.stringify(chart.getOption().series[0].links) : null;");
    assertThat(links).as("the lineage chart was drawn").isNotNull();
    List<JsonNode> edges = new java.util.ArrayList<>();
    json.readTree(links).forEach(edges::add);
    assertThat(edges).as(links).anySatisfy(edge -> {
      assertThat(edge.path("type").asString()).isEqualTo("teacher");
      assertThat(edge.path("target").asString()).isEqualTo(model);
      assertThat(edge.path("source").asString()).startsWith(teacher);
    });
    assertThat(edges).as(links).anySatisfy(edge -> {
      assertThat(edge.path("type").asString()).isEqualTo("produced");
      assertThat(edge.path("source").asString()).isEqualTo("job " + succeededJob);
      assertThat(edge.path("target").asString()).isEqualTo(model);
    });
    screenshot("models");
  }

  @Test
  @Order(12)
  void theCompareFrontierPlacesEachComparedJobsEvaluationAsTheFrontierApiDoes() throws Exception {
    // two distilled language models, whose automatic evaluations carry the rewards, divergence and diversity suites
    String kl = submitLmByApi("lm student kl", "kl");
    String js = submitLmByApi("lm student js", "js");
    klRun = awaitAutomaticEvaluation(kl);
    jsRun = awaitAutomaticEvaluation(js);
    JsonNode frontier = apiGet("/api/v1/evaluation/frontier?runId=" + klRun + "&runId=" + jsRun);
    assertThat(frontier.path("points")).as(frontier.toString()).hasSize(2);

    browser.get(url("/ui/jobs/compare?id=" + kl + "&id=" + js));
    new WebDriverWait(browser, Duration.ofSeconds(30)).until(driver ->
        !driver.findElements(By.cssSelector("#frontier-chart[data-points]")).isEmpty());
    assertFrontierChartIs(frontier);
    browser.executeScript("document.getElementById('frontier').scrollIntoView();");
    screenshot("compare-frontier");

    // the same runs ticked on the evaluations page
    browser.get(url("/ui/evaluations"));
    waitFor(ExpectedConditions.elementToBeClickable(By.id("frontier-" + klRun))).click();
    browser.findElement(By.id("frontier-" + jsRun)).click();
    browser.findElement(By.id("frontier-button")).click();
    waitFor(ExpectedConditions.urlContains("/ui/evaluations/frontier"));
    waitFor(ExpectedConditions.attributeToBeNotEmpty(browser.findElement(By.id("frontier-chart")), "data-points"));
    assertFrontierChartIs(frontier);
  }

  @Test
  @Order(10)
  void unloadingAndLoadingTheWizardModelChangesItsServingStateAndTheInferenceApiAgrees() throws Exception {
    String name = api("/api/v1/training/jobs/" + succeededJob).path("outputModel").asString().replaceAll(":.*", "");
    long deadline = System.nanoTime() + JOB_LIMIT.toNanos();
    while (!"READY".equals(api("/api/v1/inference/models/" + name).path("state").asString())) {
      assertThat(System.nanoTime()).as(name + " became servable in time").isLessThan(deadline);
      Thread.sleep(1000);
    }
    browser.get(url("/ui/models"));
    waitFor(ExpectedConditions.elementToBeClickable(By.id("unload-" + name))).click();
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[role=status]"))).getText())
        .contains(name, "UNLOADED");
    assertThat(browser.findElement(By.id("serving-" + name)).findElement(By.cssSelector(".serving-state")).getText())
        .isEqualTo("UNLOADED");
    assertThat(api("/api/v1/inference/models/" + name).path("state").asString()).isEqualTo("UNLOADED");

    waitFor(ExpectedConditions.elementToBeClickable(By.id("load-" + name))).click();
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[role=status]"))).getText())
        .contains(name, "READY");
    assertThat(browser.findElement(By.id("serving-" + name)).findElement(By.cssSelector(".serving-state")).getText())
        .isEqualTo("READY");
    assertThat(api("/api/v1/inference/models/" + name).path("state").asString()).isEqualTo("READY");
  }

  @Test
  @Order(13)
  void aRunsDecodingComparisonShowsEveryStrategyAsTheRunReportsIt() throws Exception {
    JsonNode created = apiPost("/api/v1/evaluation/runs", """
        {"displayName":"decoding on conflicts","spec":{"model":"tiny-lm","suites":["decoding"],
         "prompts":{"builtIn":"arithmetic-conflict","limit":8},"sampling":{"samples":2,"maxTokens":4},
         "strategies":[{"name":"greedy"},{"name":"cad","alpha":1.0},{"name":"adacad"}]}}""");
    String runId = created.path("runId").asString();
    JsonNode run = awaitRunEnded(runId);
    assertThat(run.path("state").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
    JsonNode metrics = run.at("/results/0/metrics");

    browser.get(url("/ui/evaluations"));
    waitFor(ExpectedConditions.elementToBeClickable(By.cssSelector("a.decoding-link[href*='" + runId + "']"))).click();
    waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("decoding-table")));
    List<String> strategies = browser.findElements(By.cssSelector("#decoding-table tbody tr")).stream()
        .map(row -> row.getAttribute("data-strategy")).toList();
    assertThat(strategies).containsExactly("greedy", "cad(alpha=1.0)", "adacad");
    assertThat(browser.findElement(By.id("decoding")).getText()).contains(run.at("/results/0/details/conflicts").asLong() + " prompts");
    // the chart: one bar series per measure, each strategy's bar the run's mean (null where the run has none)
    List<?> series = (List<?>) browser.executeScript(
        "return echarts.getInstanceByDom(document.getElementById('decoding-chart')).getOption().series"
            + ".map(function (s) { return {name: s.name, data: s.data}; });");
    assertThat(series).isNotEmpty();
    for (Object one : series) {
      var bars = (java.util.Map<?, ?>) one;
      String measure = (String) bars.get("name");
      List<?> data = (List<?>) bars.get("data");
      for (int i = 0; i < strategies.size(); i++) {
        JsonNode estimate = metrics.path(strategies.get(i) + "." + measure);
        if (estimate.path("mean").isNumber()) {
          assertThat(((Number) data.get(i)).doubleValue()).as(strategies.get(i) + " " + measure).isEqualTo(estimate.path("mean").asDouble());
        } else {
          assertThat(data.get(i)).as(strategies.get(i) + " " + measure).isNull();
        }
      }
    }
    screenshot("decoding");
  }

  @Test
  @Order(11)
  void theSystemPageShowsConsumerLagQueueLengthsAndTheModelServerAsMeasuredNumbers() throws Exception {
    // a consumer's lag meter exists once it has fetched from its partitions and Micrometer's periodic
    // rescan of the Kafka client's metrics has bound it (every minute): until then the page says none reports
    new WebDriverWait(browser, Duration.ofMinutes(3), Duration.ofSeconds(5)).until(driver -> {
      driver.get(url("/ui/system"));
      return !driver.findElements(By.id("consumer-lag")).isEmpty();
    });
    List<WebElement> lags = waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("consumer-lag")))
        .findElements(By.cssSelector("td.figure"));
    assertThat(lags).as("the services' Kafka consumers report their lag").isNotEmpty();
    assertThat(lags).as("a consumer's lag is a measured number")
        .anySatisfy(lag -> assertThat(lag.getAttribute("data-value")).matches("[0-9]+(\\.[0-9]+)?"));
    List<WebElement> outboxes = browser.findElements(By.cssSelector("#queues tr[data-metric='divergence.outbox.pending'] td.figure"));
    assertThat(outboxes).as("the services' outbox backlogs").isNotEmpty();
    for (WebElement outbox : outboxes) {
      assertThat(Double.parseDouble(outbox.getAttribute("data-value"))).isNotNegative();
    }
    WebElement queued = browser.findElement(By.cssSelector("#queues tr[data-metric='divergence.training.jobs.active{state=queued}'] td.figure"));
    assertThat(Double.parseDouble(queued.getAttribute("data-value"))).isNotNegative();
    WebElement waiting = browser.findElement(By.cssSelector("#queues tr[data-metric='executor.queued{name=generation.streams}'] td.figure"));
    assertThat(Double.parseDouble(waiting.getAttribute("data-value"))).isNotNegative();
    assertThat(browser.findElement(By.id("model-server-kind")).getText()).isEqualTo("embedded");
    assertThat(browser.findElement(By.id("model-server-loaded")).getText()).contains("tiny-lm");
    screenshot("system");
  }

  @Test
  @Order(14)
  void aMergeExperimentsPageShowsItsAccuraciesLambdaHistogramsAndPerSamplePredictions() throws Exception {
    platform.start(Component.MERGING);
    long deadline = System.nanoTime() + JOB_LIMIT.toNanos();
    while (!apiGet("/api/v1/merging/built-in-models").path("allReady").asBoolean()) {
      assertThat(System.nanoTime()).as("the built-in merging pairs became ready in time").isLessThan(deadline);
      Thread.sleep(1000);
    }
    JsonNode created = apiPost("/api/v1/merging/experiments", """
        {"displayName":"digits under noise","spec":{"generalist":"digits-cnn-generalist","expert":"digits-cnn-expert",
         "methods":["t3","t3_batch","generalist","expert"],"splits":[{"name":"digits"},{"name":"digits-noise-3"}],"seeds":2}}""");
    String experimentId = created.path("experimentId").asString();
    JsonNode experiment = created;
    while (!experiment.path("state").asString().matches("SUCCEEDED|FAILED|CANCELLED")) {
      assertThat(System.nanoTime()).as("the merge experiment ended in time").isLessThan(deadline);
      Thread.sleep(1000);
      experiment = apiGet("/api/v1/merging/experiments/" + experimentId);
    }
    assertThat(experiment.path("state").asString()).as(experiment.toString()).isEqualTo("SUCCEEDED");

    browser.get(url("/ui/merges"));
    waitFor(ExpectedConditions.elementToBeClickable(By.linkText("digits under noise"))).click();
    waitFor(ExpectedConditions.textToBe(By.id("experiment-state"), "SUCCEEDED"));
    // accuracy per split and method, as the experiment's results give it
    for (JsonNode split : experiment.at("/results/splits")) {
      WebElement section = browser.findElement(By.cssSelector("section.split[aria-label='" + split.path("split").asString() + "']"));
      for (JsonNode method : split.path("methods")) {
        WebElement row = section.findElement(By.xpath(".//tr[th='" + method.path("method").asString() + "']"));
        assertThat(row.getText()).contains(String.format(java.util.Locale.ROOT, "%.4f", method.at("/accuracy/mean").asDouble()));
      }
    }
    // the lambda histogram of the first split: the bars are the results' bin counts
    JsonNode firstSplit = experiment.at("/results/splits/0");
    List<?> histogram = (List<?>) browser.executeScript(
        "return echarts.getInstanceByDom(document.getElementById('lambda-chart')).getOption().series"
            + ".map(function (s) { return {name: s.name, data: s.data}; });");
    List<String> lambdaMethods = new java.util.ArrayList<>();
    for (JsonNode method : firstSplit.path("methods")) {
      if (method.at("/lambda/histogram").isArray()) {
        lambdaMethods.add(method.path("method").asString());
        var bars = histogram.stream().map(h -> (java.util.Map<?, ?>) h).filter(h -> h.get("name").equals(method.path("method").asString()))
            .findFirst().orElseThrow();
        List<Long> counts = ((List<?>) bars.get("data")).stream().map(n -> ((Number) n).longValue()).toList();
        List<Long> expected = new java.util.ArrayList<>();
        method.at("/lambda/histogram").forEach(n -> expected.add(n.asLong()));
        assertThat(counts).as(method.path("method").asString()).isEqualTo(expected);
      }
    }
    assertThat(histogram).hasSize(lambdaMethods.size());
    assertSamplesTableIs(apiGet("/api/v1/merging/experiments/" + experimentId + "/samples?split=digits&offset=0&limit=25"));
    screenshot("merge");

    // another split and window, chosen on the page
    new Select(browser.findElement(By.id("sample-split"))).selectByValue("digits-noise-3");
    type("sample-offset", "25");
    browser.findElement(By.id("sample-show")).click();
    waitFor(ExpectedConditions.urlContains("split=digits-noise-3"));
    assertSamplesTableIs(apiGet("/api/v1/merging/experiments/" + experimentId + "/samples?split=digits-noise-3&offset=25&limit=25"));
    browser.executeScript("document.getElementById('samples').scrollIntoView();");
    screenshot("merge-samples");
  }

  @Test
  @Order(15)
  void twoTickedEvaluationRunsAreComparedAsTheComparisonApiDoes() throws Exception {
    assertThat(klRun).as("the frontier test evaluated two language models").isNotNull();
    browser.get(url("/ui/evaluations"));
    // one ticked run is refused with a message; two are compared, a the one listed first
    waitFor(ExpectedConditions.elementToBeClickable(By.id("frontier-" + klRun))).click();
    browser.findElement(By.id("comparison-button")).click();
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("comparison-error"))).getText()).contains("exactly two");
    browser.get(url("/ui/evaluations"));
    waitFor(ExpectedConditions.elementToBeClickable(By.id("frontier-" + klRun))).click();
    browser.findElement(By.id("frontier-" + jsRun)).click();
    browser.findElement(By.id("comparison-button")).click();
    waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("comparison-table")));
    String a = browser.findElement(By.id("run-a")).getAttribute("href").replaceAll(".*/", "");
    assertThat(a).isIn(klRun, jsRun);
    assertThat(browser.findElement(By.id("run-b")).getAttribute("href")).endsWith(a.equals(klRun) ? jsRun : klRun);
    JsonNode comparison = apiGet("/api/v1/evaluation/comparison?a=" + a + "&b=" + (a.equals(klRun) ? jsRun : klRun));
    List<WebElement> rows = browser.findElements(By.cssSelector("#comparison-table tbody tr"));
    assertThat(rows).hasSize(comparison.path("metrics").size()).isNotEmpty();
    for (int i = 0; i < rows.size(); i++) {
      JsonNode metric = comparison.path("metrics").get(i);
      assertThat(rows.get(i).getAttribute("data-metric")).isEqualTo(metric.path("suite").asString() + "/" + metric.path("metric").asString());
      if (metric.path("difference").path("difference").isNumber()) {
        assertThat(Double.parseDouble(rows.get(i).getAttribute("data-difference"))).isEqualTo(metric.path("difference").path("difference").asDouble());
      }
    }
    screenshot("evaluation-comparison");
  }

  private void assertSamplesTableIs(JsonNode samples) {
    List<WebElement> rows = browser.findElements(By.cssSelector("#samples-table tbody tr"));
    assertThat(rows).hasSize(samples.path("rows").size()).isNotEmpty();
    for (int i = 0; i < rows.size(); i++) {
      JsonNode expected = samples.path("rows").get(i);
      assertThat(rows.get(i).getAttribute("data-index")).isEqualTo(String.valueOf(expected.path("index").asInt()));
      assertThat(rows.get(i).findElements(By.tagName("td")).get(0).getText()).isEqualTo(String.valueOf(expected.path("label").asInt()));
      for (JsonNode method : samples.path("methods")) {
        JsonNode prediction = expected.path("predictions").path(method.asString());
        WebElement cell = rows.get(i).findElement(By.cssSelector("td[data-method='" + method.asString() + "']"));
        assertThat(cell.getAttribute("data-predicted")).isEqualTo(String.valueOf(prediction.path("predictedClass").asInt()));
        assertThat(Double.parseDouble(cell.getAttribute("data-confidence"))).isEqualTo(prediction.path("confidence").asDouble());
        if (prediction.path("lambda").isNumber()) {
          assertThat(Double.parseDouble(cell.getAttribute("data-lambda"))).isEqualTo(prediction.path("lambda").asDouble());
        } else {
          assertThat(cell.getAttribute("data-lambda")).as("a baseline has no lambda").isNullOrEmpty();
        }
        assertThat(cell.getAttribute("class")).contains(prediction.path("correct").asBoolean() ? "right" : "wrong");
      }
    }
  }

  /** The frontier chart holds the API's points (reward against the chosen axis) and its Pareto runs, on axes named as the API names them. */
  private void assertFrontierChartIs(JsonNode frontier) {
    for (String axis : List.of("divergence", "diversity")) {
      new Select(browser.findElement(By.id("frontier-x"))).selectByValue(axis);
      @SuppressWarnings("unchecked")
      var option = (java.util.Map<String, Object>) browser.executeScript(
          "var o = echarts.getInstanceByDom(document.getElementById('frontier-chart')).getOption();"
              + " return {x: o.xAxis[0].name, y: o.yAxis[0].name, points: o.series[0].data, front: o.series[1].data};");
      assertThat((String) option.get("x")).startsWith(frontier.path(axis).path("metric").asString());
      assertThat((String) option.get("y")).startsWith(frontier.path("reward").path("metric").asString());
      // the runs may be listed in another order (ticked on a page): each point is matched by its run id
      java.util.Map<String, List<?>> points = new java.util.HashMap<>();
      ((List<?>) option.get("points")).forEach(point -> points.put((String) ((List<?>) point).get(3), (List<?>) point));
      assertThat(points).hasSize(frontier.path("points").size());
      for (JsonNode expected : frontier.path("points")) {
        List<?> point = points.get(expected.path("runId").asString());
        assertThat(point).as("the point of run " + expected.path("runId").asString()).isNotNull();
        assertThat(((Number) point.get(0)).doubleValue()).isEqualTo(expected.path(axis).path("mean").asDouble());
        assertThat(((Number) point.get(1)).doubleValue()).isEqualTo(expected.path("reward").path("mean").asDouble());
      }
      List<String> front = ((List<?>) option.get("front")).stream().map(point -> (String) ((List<?>) point).get(3)).toList();
      List<String> pareto = new java.util.ArrayList<>();
      frontier.path("pareto").forEach(id -> pareto.add(id.asString()));
      assertThat(front).containsExactlyInAnyOrderElementsOf(pareto);
    }
    assertThat(browser.findElements(By.cssSelector("#frontier-points tbody tr"))).hasSize(frontier.path("points").size());
  }

  private String submitLmByApi(String name, String divergence) throws Exception {
    JsonNode job = apiPost("/api/v1/training/jobs", """
        {"displayName":"%s","spec":{"algorithm":"distillation","model":"tiny-lm-student","dataset":"arithmetic",
         "budget":{"maxSteps":5},"distillation":{"teacherModel":"tiny-lm","divergence":{"name":"%s"}}}}""".formatted(name, divergence));
    return job.path("jobId").asString();
  }

  /** The job's automatic evaluation, once it succeeded. */
  private String awaitAutomaticEvaluation(String jobId) throws Exception {
    awaitSucceeded(jobId);
    long deadline = System.nanoTime() + JOB_LIMIT.toNanos();
    while (true) {
      JsonNode runs = apiGet("/api/v1/evaluation/training-jobs/" + jobId + "/evaluations");
      if (!runs.isEmpty() && runs.get(0).path("state").asString().matches("SUCCEEDED|FAILED|CANCELLED")) {
        assertThat(runs.get(0).path("state").asString()).as(runs.get(0).toString()).isEqualTo("SUCCEEDED");
        return runs.get(0).path("runId").asString();
      }
      assertThat(System.nanoTime()).as("the automatic evaluation of job " + jobId + " ended in time").isLessThan(deadline);
      Thread.sleep(2000);
    }
  }

  private JsonNode awaitRunEnded(String runId) throws Exception {
    long deadline = System.nanoTime() + JOB_LIMIT.toNanos();
    while (true) {
      JsonNode run = apiGet("/api/v1/evaluation/runs/" + runId);
      if (run.path("state").asString().matches("SUCCEEDED|FAILED|CANCELLED")) {
        return run;
      }
      assertThat(System.nanoTime()).as("evaluation run " + runId + " ended in time").isLessThan(deadline);
      Thread.sleep(2000);
    }
  }

  private JsonNode apiGet(String path) throws Exception {
    return api(path);
  }

  private JsonNode apiPost(String path, String body) throws Exception {
    HttpResponse<String> response = http.send(Credentials.as(platform, Component.GATEWAY,
            HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.GATEWAY) + path)))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isBetween(200, 201);
    return json.readTree(response.body());
  }

  private boolean tinyLmReady() throws Exception {
    for (JsonNode model : api("/api/v1/inference/models")) {
      if ("tiny-lm".equals(model.path("name").asString()) && "READY".equals(model.path("state").asString())) {
        return true;
      }
    }
    return false;
  }

  private String submitByApi(String name, int maxSteps) throws Exception {
    String body = """
        {"displayName":"%s","spec":{"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer",
         "budget":{"maxSteps":%d,"logEvery":5},
         "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"kl"},"temperature":2.0}}}""".formatted(name, maxSteps);
    HttpResponse<String> response = http.send(Credentials.as(platform, Component.GATEWAY,
            HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.GATEWAY) + "/api/v1/training/jobs")))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return json.readTree(response.body()).path("jobId").asString();
  }

  @Test
  @Order(90)
  void aUserOfTwoTenantsSignsInThroughTheProviderAndAfterSwitchingSeesOnlyTheOtherTenantsData() throws Exception {
    // data of tenant acme, made through the API with an acme key
    String acmeKey = createKey("acme", "submitter");
    HttpResponse<String> uploaded = http.send(HttpRequest.newBuilder(URI.create(url("/api/v1/training/datasets?name=acme-only-records&kind=text")))
        .header("X-Api-Key", acmeKey).header("Content-Type", "application/x-ndjson")
        .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"1+1=2\"}\n")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);

    // the provider accepts any port on the loopback address 127.0.0.1 as redirect (RFC 8252), not on localhost;
    // that host also gives the browser a fresh gateway session, apart from the API key's on localhost
    browser.get(loopbackUrl("/ui/sign-in"));
    browser.findElement(By.id("signInWithProvider")).click();
    waitFor(ExpectedConditions.urlContains(oidcProvider.issuer() + "/login"));
    screenshot("oidc-provider-login");
    browser.findElement(By.id("username")).sendKeys("alice");
    browser.findElement(By.id("password")).sendKeys("alice-password");
    browser.findElement(By.cssSelector("button[type=submit]")).click();
    waitFor(ExpectedConditions.urlContains("/ui/jobs"));
    assertThat(browser.findElement(By.id("tenant")).getText()).isEqualTo("acme");
    assertThat(new Select(browser.findElement(By.id("tenantSelect"))).getOptions()).extracting(WebElement::getText)
        .containsExactly("acme", "globex");

    browser.get(loopbackUrl("/ui/datasets"));
    assertThat(browser.findElement(By.id("datasets")).getText()).contains("acme-only-records");

    new Select(browser.findElement(By.id("tenantSelect"))).selectByValue("globex");
    browser.findElement(By.id("switchTenant")).click();
    waitFor(ExpectedConditions.textToBe(By.id("tenant"), "globex"));
    screenshot("tenant-switched");
    browser.get(loopbackUrl("/ui/datasets"));
    assertThat(browser.findElement(By.id("datasets")).getText()).as("acme's data after switching to globex")
        .doesNotContain("acme-only-records");

    // the selector offers only alice's tenants; a forged choice is refused and the session stays in globex
    browser.executeScript("document.getElementById('tenantSelect').options[0].value = 'umbrella';");
    new Select(browser.findElement(By.id("tenantSelect"))).selectByIndex(0);
    browser.findElement(By.id("switchTenant")).click();
    assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[role=alert]"))).getText())
        .contains("You cannot switch to tenant 'umbrella'", "acme, globex");
    assertThat(browser.findElement(By.id("tenant")).getText()).isEqualTo("globex");
  }

  @Test
  @Order(91)
  void aProviderThatIsDownIsNamedOnTheSignInPage() throws Exception {
    browser.get(loopbackUrl("/ui/jobs"));
    browser.findElement(By.cssSelector("form[action$='/ui/sign-out'] button")).click();
    waitFor(ExpectedConditions.urlContains("/ui/sign-in"));
    oidcProvider.stop();
    try {
      browser.findElement(By.id("signInWithProvider")).click();
      assertThat(waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[role=alert]"))).getText())
          .contains("The sign-in provider " + PROVIDER_NAME, "does not answer", "API key");
      assertThat(browser.getPageSource()).doesNotContain("Exception");
    } finally {
      oidcProvider.restart();
    }
  }

  private String createKey(String tenant, String role) throws Exception {
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(url("/api/v1/admin/api-keys")))
        .header("X-Api-Key", Credentials.adminKey(platform)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(java.util.Map.of(
            "name", tenant + "-" + role, "tenant", tenant, "roles", List.of(role))))).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return json.readTree(created.body()).get("apiKey").asString();
  }

  private static String loopbackUrl(String path) {
    return url(path).replaceFirst("^http://localhost:", "http://127.0.0.1:");
  }

  private void awaitSucceeded(String jobId) throws Exception {
    long deadline = System.nanoTime() + JOB_LIMIT.toNanos();
    while (!"SUCCEEDED".equals(api("/api/v1/training/jobs/" + jobId).path("state").asString())) {
      assertThat(System.nanoTime()).as("job " + jobId + " succeeded in time").isLessThan(deadline);
      Thread.sleep(1000);
    }
  }

  private JsonNode api(String path) throws Exception {
    HttpResponse<String> response = http.send(Credentials.as(platform, Component.GATEWAY,
        HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.GATEWAY) + path))).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  private void type(String id, String text) {
    WebElement field = browser.findElement(By.id(id));
    field.clear();
    field.sendKeys(text);
  }

  private static <T> T waitFor(java.util.function.Function<? super org.openqa.selenium.WebDriver, T> condition) {
    return new WebDriverWait(browser, Duration.ofSeconds(30)).until(condition);
  }

  private static String url(String path) {
    return platform.httpUrl(Component.GATEWAY) + path;
  }

  private static void screenshot(String name) throws Exception {
    Files.write(screenshots.resolve("dashboard-" + name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
  }
}
