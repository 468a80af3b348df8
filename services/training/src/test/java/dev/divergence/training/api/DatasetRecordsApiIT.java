package dev.divergence.training.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.training.v1.Dataset;
import dev.divergence.proto.training.v1.DatasetRecord;
import dev.divergence.proto.training.v1.DatasetRecordBatch;
import dev.divergence.proto.training.v1.DatasetServiceGrpc;
import dev.divergence.proto.training.v1.GetDatasetRequest;
import dev.divergence.proto.training.v1.ReadDatasetRecordsRequest;
import dev.divergence.training.JsonLines;
import dev.divergence.training.registry.DatasetRegistry;
import dev.divergence.model.assets.variants.DatasetVariants;
import dev.divergence.model.assets.variants.SplitDataset;
import dev.divergence.training.trainer.data.TrainingData;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The dataset read API (gRPC DatasetService and REST JSON Lines) on the real service and infrastructure. */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.training.workers=0"})
class DatasetRecordsApiIT {

  private static final String BUNDLED = "dev/divergence/model/datasets/";

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired DatasetGrpcService service;
  @Autowired DatasetRegistry registry;

  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();
  private ManagedChannel channel;
  private DatasetServiceGrpc.DatasetServiceBlockingStub datasets;

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    datasets = DatasetServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void breastCancerRecordsAreTheBundledTableRowsInOrderSplitAsTheTrainersSplitIt() throws IOException {
    // the bundled CSV read here by plain string splitting (libs/model reads it with Jackson's CSV parser):
    // a header "rows,dim,class names..." then rows of features and the class
    List<String> lines = resourceLines(BUNDLED + "breast_cancer.csv", false);
    int rows = Integer.parseInt(lines.get(0).split(",")[0]);
    assertThat(rows).isEqualTo(569);

    Dataset dataset = datasets.getDataset(GetDatasetRequest.newBuilder().setName("breast-cancer").build());
    assertThat(dataset.getKind()).isEqualTo("classification");
    assertThat(dataset.getBuiltIn()).isTrue();
    // the trainers' split keeps round(0.8 * 569) = round(455.2) = 455 rows for training
    assertThat(dataset.getRecords()).isEqualTo(569);
    assertThat(dataset.getTrainRecords()).isEqualTo(455);
    assertThat(dataset.getTestRecords()).isEqualTo(114);

    List<DatasetRecord> all = read(ReadDatasetRecordsRequest.newBuilder().setName("breast-cancer").build());
    assertThat(all).hasSize(569);
    for (int i = 0; i < all.size(); i++) {
      DatasetRecord record = all.get(i);
      assertThat(record.getIndex()).isEqualTo(i);
      String[] cells = lines.get(1 + i).split(",");
      JsonNode parsed = json.readTree(record.getJson());
      assertThat(floats(parsed.get("features"))).as("row %d", i).containsExactly(floatsOf(cells, 30, 1f));
      assertThat(parsed.get("label").asInt()).as("row %d", i).isEqualTo(Integer.parseInt(cells[30].strip()));
    }
    assertThat(all.stream().filter(r -> r.getSplit().equals("train")).count()).isEqualTo(455);
    assertThat(all.stream().filter(r -> r.getSplit().equals("test")).count()).isEqualTo(114);

    // the train split is exactly the rows the trainers train on (as a set of feature rows)
    var trainerSplit = TrainingData.classification(registry.get("breast-cancer"));
    Set<List<Float>> trainerTrain = new HashSet<>();
    for (float[] row : trainerSplit[0].features()) {
      trainerTrain.add(boxed(row));
    }
    List<DatasetRecord> train = read(ReadDatasetRecordsRequest.newBuilder().setName("breast-cancer").setSplit("train").build());
    Set<List<Float>> readTrain = new HashSet<>();
    for (DatasetRecord record : train) {
      assertThat(record.getSplit()).isEqualTo("train");
      readTrain.add(boxed(floats(json.readTree(record.getJson()).get("features"))));
    }
    assertThat(readTrain).isEqualTo(trainerTrain);
    assertThat(train).extracting(DatasetRecord::getIndex).isSorted();
  }

  @Test
  void aRegisteredVariantsRecordsAreExactlyTheLibrarysRowsInTheSourcesSplit() throws Exception {
    SplitDataset library = DatasetVariants.load("digits-blur-3");
    Dataset dataset = datasets.getDataset(GetDatasetRequest.newBuilder().setName("digits-blur-3").build());
    assertThat(dataset.getKind()).isEqualTo("classification");
    assertThat(dataset.getBuiltIn()).isTrue();
    assertThat(dataset.getDescription()).contains("sigma 1.0");
    assertThat(dataset.getRecords()).isEqualTo(1797);
    assertThat(dataset.getTrainRecords()).isEqualTo(1438);
    assertThat(dataset.getTestRecords()).isEqualTo(359);

    Map<float[], Integer> rowOf = new IdentityHashMap<>();
    for (int i = 0; i < library.all().size(); i++) {
      rowOf.put(library.all().features()[i], i);
    }
    Set<Long> libraryTest = new HashSet<>();
    for (float[] row : library.test().features()) {
      libraryTest.add((long) rowOf.get(row));
    }
    List<DatasetRecord> all = read(ReadDatasetRecordsRequest.newBuilder().setName("digits-blur-3").build());
    List<DatasetRecord> clean = read(ReadDatasetRecordsRequest.newBuilder().setName("digits").build());
    assertThat(all).hasSize(1797);
    for (int i = 0; i < all.size(); i++) {
      DatasetRecord record = all.get(i);
      JsonNode parsed = json.readTree(record.getJson());
      assertThat(floats(parsed.get("features"))).as("row %d", i).containsExactly(library.all().features()[i]);
      assertThat(parsed.get("label").asInt()).as("row %d", i).isEqualTo(library.all().labels()[i]);
      assertThat(record.getSplit()).as("row %d", i).isEqualTo(libraryTest.contains(record.getIndex()) ? "test" : "train");
      // blurring moves no row between the splits: the same membership as digits itself
      assertThat(record.getSplit()).as("row %d", i).isEqualTo(clean.get(i).getSplit());
    }
    assertThat(floats(json.readTree(all.get(0).getJson()).get("features")))
        .isNotEqualTo(floats(json.readTree(clean.get(0).getJson()).get("features")));

    // REST serves the same test rows, in index order
    HttpResponse<String> response = get("/api/v1/training/datasets/digits-blur-3/records?split=test");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<String> lines = response.body().lines().toList();
    List<DatasetRecord> test = all.stream().filter(r -> r.getSplit().equals("test")).toList();
    assertThat(lines).hasSize(359);
    for (int i = 0; i < lines.size(); i++) {
      assertThat(floats(json.readTree(lines.get(i)).get("features"))).as("test record %d", i)
          .containsExactly(library.all().features()[(int) test.get(i).getIndex()]);
    }
  }

  @Test
  void subsetVariantsHoldTheirClassesAndJobsAcceptThem() throws Exception {
    SplitDataset base = DatasetVariants.load("digits-base");
    Dataset dataset = datasets.getDataset(GetDatasetRequest.newBuilder().setName("digits-base").build());
    assertThat(dataset.getRecords()).isEqualTo(base.all().size());
    assertThat(dataset.getTestRecords()).isEqualTo(base.test().size());
    List<DatasetRecord> records = read(ReadDatasetRecordsRequest.newBuilder().setName("digits-base").build());
    assertThat(records).allSatisfy(r -> assertThat(json.readTree(r.getJson()).get("label").asInt()).isBetween(0, 4));
    List<String> names = new ArrayList<>();
    json.readTree(get("/api/v1/training/datasets").body()).forEach(d -> names.add(d.get("name").asString()));
    assertThat(names).containsAll(DatasetVariants.names());

    // a supervised job fine-tuning the digits generalist on the base classes passes validation and is queued
    HttpResponse<String> job = http.send(HttpRequest.newBuilder(uri("/api/v1/training/jobs"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("""
            {"spec":{"algorithm":"supervised","model":"digits-cnn-generalist","dataset":"digits-base","budget":{"maxSteps":10}}}"""))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(job.statusCode()).as(job.body()).isEqualTo(201);
    assertThat(json.readTree(job.body()).get("state").asString()).isEqualTo("QUEUED");
  }

  @Test
  void digitsOverRestAreTheBundledImagesScaledToZeroOne() throws Exception {
    List<String> lines = resourceLines(BUNDLED + "digits.csv.gz", true);
    HttpResponse<String> response = get("/api/v1/training/datasets/digits/records");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/x-ndjson"));
    assertThat(response.headers().firstValue("X-Total-Count")).hasValue("1797");
    assertThat(response.headers().firstValue("Divergence-Dataset-Kind")).hasValue("classification");
    List<String> records = response.body().lines().toList();
    assertThat(records).hasSize(1797).hasSize(lines.size());
    // pixel values 0..16 become value / 16, exactly representable in float32
    JsonNode first = json.readTree(records.get(0));
    String[] cells = lines.get(0).split(",");
    assertThat(floats(first.get("features"))).containsExactly(floatsOf(cells, 64, 16f));
    assertThat(first.get("label").asInt()).isEqualTo((int) Float.parseFloat(cells[64]));

    // a page of the test split: 1797 - round(0.8 * 1797) = 1797 - 1438 = 359 records
    HttpResponse<String> page = get("/api/v1/training/datasets/digits/records?split=test&offset=350&limit=100");
    assertThat(page.headers().firstValue("X-Total-Count")).hasValue("359");
    assertThat(page.body().lines().count()).isEqualTo(9);
  }

  @Test
  void arithmeticTextHasTheGeneratedTrainingLinesThenTheHeldOutOnesWithCorrectAnswers() throws Exception {
    Dataset dataset = datasets.getDataset(GetDatasetRequest.newBuilder().setName("arithmetic").build());
    assertThat(dataset.getKind()).isEqualTo("text");
    assertThat(dataset.getTrainRecords()).isEqualTo(20_000);
    assertThat(dataset.getTestRecords()).isEqualTo(128);
    assertThat(dataset.getRecords()).isEqualTo(20_128);

    List<DatasetRecordBatch> batches = new ArrayList<>();
    datasets.readDatasetRecords(ReadDatasetRecordsRequest.newBuilder().setName("arithmetic").build()).forEachRemaining(batches::add);
    List<DatasetRecord> all = batches.stream().flatMap(b -> b.getRecordsList().stream()).toList();
    assertThat(all).hasSize(20_128);
    assertThat(batches).allSatisfy(b -> assertThat(b.getRecordsCount()).isBetween(1, DatasetGrpcService.BATCH_RECORDS));
    Pattern sum = Pattern.compile("(\\d+)([+-])(\\d+)=(\\d+)");
    int arithmetic = 0;
    for (int i = 0; i < all.size(); i++) {
      DatasetRecord record = all.get(i);
      assertThat(record.getIndex()).isEqualTo(i);
      assertThat(record.getSplit()).isEqualTo(i < 20_000 ? "train" : "test");
      JsonNode parsed = json.readTree(record.getJson());
      assertThat(parsed.propertyNames()).containsExactly("text");
      Matcher matcher = sum.matcher(parsed.get("text").asString());
      if (matcher.matches()) {
        arithmetic++;
        int a = Integer.parseInt(matcher.group(1));
        int b = Integer.parseInt(matcher.group(3));
        int expected = matcher.group(2).equals("+") ? a + b : a - b;
        assertThat(Integer.parseInt(matcher.group(4))).as(parsed.toString()).isEqualTo(expected);
      }
    }
    // two thirds of the lines are arithmetic: 20128 * 2/3 = 13419, binomial sd sqrt(20128 * 2/9) = 67
    assertThat(arithmetic).isBetween(13419 - 400, 13419 + 400);

    List<DatasetRecord> test = read(ReadDatasetRecordsRequest.newBuilder().setName("arithmetic").setSplit("test")
        .setOffset(120).setLimit(50).build());
    assertThat(test).extracting(DatasetRecord::getIndex).containsExactly(20_120L, 20_121L, 20_122L, 20_123L, 20_124L, 20_125L, 20_126L, 20_127L);
    assertThat(test).extracting(DatasetRecord::getJson).containsExactlyElementsOf(
        all.subList(20_120, 20_128).stream().map(DatasetRecord::getJson).toList());
  }

  @Test
  void anUploadReadsBackVerbatimWithItsLastTenthAsTheTestSplit() throws Exception {
    String name = "read-back-" + UUID.randomUUID().toString().substring(0, 8);
    List<Map<String, Object>> uploaded = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      uploaded.add(JsonLines.record("prompt", "Q" + i + ": \"quoted\" \u00e9\u20ac\n?", "completion", "answer " + i));
    }
    String body = JsonLines.of(uploaded);
    HttpResponse<String> stored = upload(name, "text", body);
    assertThat(stored.statusCode()).as(stored.body()).isEqualTo(201);
    List<String> lines = body.lines().toList();

    // 25 records: max(1, min(128, 25 / 10)) = 2 held out at the end
    Dataset dataset = datasets.getDataset(GetDatasetRequest.newBuilder().setName(name).build());
    assertThat(dataset.getBuiltIn()).isFalse();
    assertThat(dataset.getTrainRecords()).isEqualTo(23);
    assertThat(dataset.getTestRecords()).isEqualTo(2);

    List<DatasetRecord> all = read(ReadDatasetRecordsRequest.newBuilder().setName(name).build());
    assertThat(all).extracting(DatasetRecord::getJson).containsExactlyElementsOf(lines);
    assertThat(all).extracting(DatasetRecord::getSplit).containsExactlyElementsOf(
        java.util.stream.IntStream.range(0, 25).mapToObj(i -> i < 23 ? "train" : "test").toList());
    assertThat(json.readTree(all.get(3).getJson()).get("prompt").asString()).isEqualTo("Q3: \"quoted\" \u00e9\u20ac\n?");

    HttpResponse<String> test = get("/api/v1/training/datasets/" + name + "/records?split=test");
    assertThat(test.body().lines().toList()).containsExactlyElementsOf(lines.subList(23, 25));
    assertThat(test.headers().firstValue("X-Total-Count")).hasValue("2");
    HttpResponse<String> page = get("/api/v1/training/datasets/" + name + "/records?split=train&offset=5&limit=3");
    assertThat(page.body().lines().toList()).containsExactlyElementsOf(lines.subList(5, 8));
    List<DatasetRecord> grpcPage = read(ReadDatasetRecordsRequest.newBuilder().setName(name).setSplit("train").setOffset(21).setLimit(5).build());
    assertThat(grpcPage).extracting(DatasetRecord::getIndex).containsExactly(21L, 22L);
  }

  @Test
  void anUploadedClassificationSetKeepsItsLineOrderWithTheShuffledSplitAndFloat32Features() throws Exception {
    String name = "upload-classes-" + UUID.randomUUID().toString().substring(0, 8);
    List<Map<String, Object>> uploaded = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      // 0.1 * i + 1e-9 is not a float32: the record carries the float32 nearest to it, as the trainers read it
      uploaded.add(JsonLines.record("features", List.of(0.1 * i + 1e-9, -i), "label", i % 3));
    }
    HttpResponse<String> stored = upload(name, "classification", JsonLines.of(uploaded));
    assertThat(stored.statusCode()).as(stored.body()).isEqualTo(201);

    List<DatasetRecord> all = read(ReadDatasetRecordsRequest.newBuilder().setName(name).build());
    assertThat(all).extracting(DatasetRecord::getIndex).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    for (DatasetRecord record : all) {
      int i = (int) record.getIndex();
      JsonNode parsed = json.readTree(record.getJson());
      assertThat(floats(parsed.get("features"))).containsExactly((float) (0.1 * i + 1e-9), (float) -i);
      assertThat(parsed.get("label").asInt()).isEqualTo(i % 3);
    }
    // round(0.8 * 10) = 8 training rows, chosen by the trainers' shuffle
    assertThat(all.stream().filter(r -> r.getSplit().equals("train")).count()).isEqualTo(8);
    List<DatasetRecord> test = read(ReadDatasetRecordsRequest.newBuilder().setName(name).setSplit("test").build());
    assertThat(test).extracting(DatasetRecord::getIndex).containsExactlyElementsOf(
        all.stream().filter(r -> r.getSplit().equals("test")).map(DatasetRecord::getIndex).toList());
  }

  @Test
  void unknownDatasetIsNotFoundNamingItOverGrpcAndRest() throws Exception {
    assertThatThrownBy(() -> datasets.getDataset(GetDatasetRequest.newBuilder().setName("no-such-set").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(error.getStatus().getDescription()).contains("'no-such-set'");
        });
    assertThatThrownBy(() -> read(ReadDatasetRecordsRequest.newBuilder().setName("no-such-set").setSplit("test").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(error.getStatus().getDescription()).contains("'no-such-set'");
        });
    HttpResponse<String> response = get("/api/v1/training/datasets/no-such-set/records");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(response.body()).contains("'no-such-set'");
  }

  @Test
  void badSplitOffsetOrLimitIsInvalidArgumentNamingTheFields() throws Exception {
    assertThatThrownBy(() -> read(ReadDatasetRecordsRequest.newBuilder().setName("digits").setSplit("validation").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("split");
        });
    assertThatThrownBy(() -> read(ReadDatasetRecordsRequest.newBuilder().setName("digits").setOffset(-1).setLimit(-5).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("offset,limit");
        });
    assertThatThrownBy(() -> datasets.getDataset(GetDatasetRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            error -> assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("name"));

    assertProblem(get("/api/v1/training/datasets/digits/records?split=validation"), "split");
    assertProblem(get("/api/v1/training/datasets/digits/records?offset=-3"), "offset");
    assertProblem(get("/api/v1/training/datasets/digits/records?limit=-1"), "limit");
    assertProblem(get("/api/v1/training/datasets/digits/records?offset=ten"), "offset");
  }

  @Test
  void aCancelledOrExpiredReadStopsAndReleasesItsRecords() throws Exception {
    // about 5 MB, well above the 1 MiB a gRPC client takes before its reader asks for more
    String name = "large-" + UUID.randomUUID().toString().substring(0, 8);
    List<Map<String, Object>> uploaded = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      uploaded.add(JsonLines.record("text", i + " " + "long text ".repeat(100)));
    }
    HttpResponse<String> stored = upload(name, "text", JsonLines.of(uploaded));
    assertThat(stored.statusCode()).as(stored.body()).isEqualTo(201);

    // a client that takes one message and then none: flow control stalls the server, the deadline ends the call
    ClientCall<ReadDatasetRecordsRequest, DatasetRecordBatch> call = channel.newCall(DatasetServiceGrpc.getReadDatasetRecordsMethod(),
        CallOptions.DEFAULT.withDeadlineAfter(1500, TimeUnit.MILLISECONDS));
    CompletableFuture<Status> closed = new CompletableFuture<>();
    List<DatasetRecordBatch> received = new ArrayList<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(DatasetRecordBatch message) {
        received.add(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(ReadDatasetRecordsRequest.newBuilder().setName(name).build());
    call.halfClose();
    await().atMost(Duration.ofSeconds(10)).until(() -> service.openReads() > 0 || closed.isDone());
    assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(received).hasSize(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> service.openReads() == 0);

    // the same read cancelled by the client after its first batch
    var iterator = DatasetServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .readDatasetRecords(ReadDatasetRecordsRequest.newBuilder().setName(name).build());
    assertThat(iterator.next().getRecordsCount()).isEqualTo(DatasetGrpcService.BATCH_RECORDS);
    assertThat(service.openReads()).isEqualTo(1);
    channel.shutdownNow();
    await().atMost(Duration.ofSeconds(10)).until(() -> service.openReads() == 0);
  }

  private List<DatasetRecord> read(ReadDatasetRecordsRequest request) {
    List<DatasetRecord> records = new ArrayList<>();
    datasets.readDatasetRecords(request).forEachRemaining(batch -> records.addAll(batch.getRecordsList()));
    return records;
  }

  private void assertProblem(HttpResponse<String> response, String field) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    List<String> fields = new ArrayList<>();
    json.readTree(response.body()).path("errors").forEach(error -> fields.add(error.get("field").asString()));
    assertThat(fields).as(response.body()).contains(field);
  }

  private static List<String> resourceLines(String path, boolean gzip) throws IOException {
    try (InputStream raw = Thread.currentThread().getContextClassLoader().getResourceAsStream(path)) {
      assertThat(raw).as(path).isNotNull();
      InputStream in = gzip ? new GZIPInputStream(raw) : raw;
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        return reader.lines().filter(line -> !line.isBlank()).toList();
      }
    }
  }

  private static float[] floatsOf(String[] cells, int count, float divisor) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = Float.parseFloat(cells[i].strip()) / divisor;
    }
    return values;
  }

  private static float[] floats(JsonNode array) {
    float[] values = new float[array.size()];
    for (int i = 0; i < values.length; i++) {
      // the JSON carries float32 values written shortest-round-trip: parse the text as float, not via double
      values[i] = Float.parseFloat(array.get(i).toString());
    }
    return values;
  }

  private static List<Float> boxed(float[] values) {
    List<Float> out = new ArrayList<>(values.length);
    for (float value : values) {
      out.add(value);
    }
    return out;
  }

  private HttpResponse<String> upload(String name, String kind, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri("/api/v1/training/datasets?name=" + name + "&kind=" + kind))
        .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }
}
