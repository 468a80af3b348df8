package dev.divergence.inference.api;

import dev.divergence.inference.scoring.ClassProbabilities;
import dev.divergence.inference.scoring.ContinuationDistributions;
import dev.divergence.inference.scoring.ContinuationItemInput;
import dev.divergence.inference.scoring.ContinuationScore;
import dev.divergence.inference.scoring.NextTokenDistribution;
import dev.divergence.inference.scoring.Scores;
import dev.divergence.inference.scoring.ScoringService;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.proto.inference.v1.ClassifyRequest;
import dev.divergence.proto.inference.v1.ClassifyResponse;
import dev.divergence.proto.inference.v1.NextTokenDistributionsRequest;
import dev.divergence.proto.inference.v1.NextTokenDistributionsResponse;
import dev.divergence.proto.inference.v1.ScoreContinuationsRequest;
import dev.divergence.proto.inference.v1.ScoreContinuationsResponse;
import dev.divergence.proto.inference.v1.ScoringServiceGrpc;
import dev.divergence.proto.inference.v1.TokenDistributionsRequest;
import dev.divergence.proto.inference.v1.TokenDistributionsResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import org.springframework.stereotype.Component;

/** gRPC face of {@link ScoringService}: the same validation, as INVALID_ARGUMENT / NOT_FOUND / FAILED_PRECONDITION. */
@Component
public class ScoringGrpcService extends ScoringServiceGrpc.ScoringServiceImplBase {

  private final ScoringService scoring;

  public ScoringGrpcService(ScoringService scoring) {
    this.scoring = scoring;
  }

  @Override
  public void scoreContinuations(ScoreContinuationsRequest request, StreamObserver<ScoreContinuationsResponse> response) {
    List<ContinuationItemInput> items = request.getItemsList().stream()
        .map(item -> new ContinuationItemInput(item.getPrompt(), item.getContinuation())).toList();
    Scores<ContinuationScore> scores = scoring.continuations(request.getModel(), items);
    ScoreContinuationsResponse.Builder reply = ScoreContinuationsResponse.newBuilder()
        .setModel(scores.model()).setVersion(scores.version());
    for (ContinuationScore score : scores.results()) {
      reply.addScores(dev.divergence.proto.inference.v1.ContinuationScore.newBuilder()
          .addAllTokenIds(score.tokenIds()).addAllTokenLogProbs(score.tokenLogProbs())
          .setSumLogProb(score.sumLogProb()).setMeanLogProb(score.meanLogProb()).setTokenCount(score.tokenCount()));
    }
    reply(response, reply.build());
  }

  @Override
  public void nextTokenDistributions(NextTokenDistributionsRequest request,
      StreamObserver<NextTokenDistributionsResponse> response) {
    if (request.getTopK() < 0) {
      throw new InvalidArgumentException("top_k", "must be 0 (full distribution) or positive, got " + request.getTopK());
    }
    Scores<NextTokenDistribution> scores = scoring.nextToken(request.getModel(), request.getPrefixesList(),
        request.getTopK() == 0 ? null : request.getTopK());
    NextTokenDistributionsResponse.Builder reply = NextTokenDistributionsResponse.newBuilder()
        .setModel(scores.model()).setVersion(scores.version());
    for (NextTokenDistribution distribution : scores.results()) {
      reply.addDistributions(message(distribution));
    }
    reply(response, reply.build());
  }

  @Override
  public void tokenDistributions(TokenDistributionsRequest request, StreamObserver<TokenDistributionsResponse> response) {
    if (request.getTopK() < 0) {
      throw new InvalidArgumentException("top_k", "must be 0 (full distributions) or positive, got " + request.getTopK());
    }
    List<ContinuationItemInput> items = request.getItemsList().stream()
        .map(item -> new ContinuationItemInput(item.getPrompt(), item.getContinuation())).toList();
    Scores<ContinuationDistributions> scores = scoring.tokenDistributions(request.getModel(), items,
        request.getTopK() == 0 ? null : request.getTopK());
    TokenDistributionsResponse.Builder reply = TokenDistributionsResponse.newBuilder()
        .setModel(scores.model()).setVersion(scores.version());
    for (ContinuationDistributions result : scores.results()) {
      dev.divergence.proto.inference.v1.ContinuationDistributions.Builder item = dev.divergence.proto.inference.v1.ContinuationDistributions
          .newBuilder().addAllTokenIds(result.tokenIds()).addAllTokenLogProbs(result.tokenLogProbs())
          .setPromptTokenCount(result.promptTokenCount());
      for (NextTokenDistribution distribution : result.distributions()) {
        item.addDistributions(message(distribution));
      }
      reply.addResults(item);
    }
    reply(response, reply.build());
  }

  @Override
  public void classify(ClassifyRequest request, StreamObserver<ClassifyResponse> response) {
    List<List<Float>> features = request.getFeaturesList().stream().map(f -> List.copyOf(f.getValuesList())).toList();
    Scores<ClassProbabilities> scores = scoring.classify(request.getModel(), features);
    ClassifyResponse.Builder reply = ClassifyResponse.newBuilder()
        .setModel(scores.model()).setVersion(scores.version()).addAllClassNames(scores.classNames());
    for (ClassProbabilities result : scores.results()) {
      reply.addResults(dev.divergence.proto.inference.v1.ClassProbabilities.newBuilder()
          .addAllProbabilities(result.probabilities()).setLabel(result.label()));
    }
    reply(response, reply.build());
  }

  private static dev.divergence.proto.inference.v1.NextTokenDistribution message(NextTokenDistribution distribution) {
    dev.divergence.proto.inference.v1.NextTokenDistribution.Builder message = dev.divergence.proto.inference.v1.NextTokenDistribution
        .newBuilder().setTailMass(distribution.tailMass()).setEntropy(distribution.entropy());
    for (long id : distribution.tokenIds()) {
      message.addTokenIds(id);
    }
    for (double probability : distribution.probabilities()) {
      message.addProbabilities(probability);
    }
    return message.build();
  }

  private static <T> void reply(StreamObserver<T> response, T value) {
    response.onNext(value);
    response.onCompleted();
  }
}
