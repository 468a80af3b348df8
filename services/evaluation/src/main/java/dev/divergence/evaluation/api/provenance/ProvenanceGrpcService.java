package dev.divergence.evaluation.api.provenance;

import dev.divergence.evaluation.provenance.DcPddQuery;
import dev.divergence.evaluation.provenance.DcPddReport;
import dev.divergence.evaluation.provenance.ProvenanceScorer;
import dev.divergence.evaluation.provenance.ZeroShotQuery;
import dev.divergence.evaluation.provenance.ZeroShotReport;
import dev.divergence.proto.evaluation.v1.DcPddConvention;
import dev.divergence.proto.evaluation.v1.DcPddCountedToken;
import dev.divergence.proto.evaluation.v1.DcPddReference;
import dev.divergence.proto.evaluation.v1.DcPddRequest;
import dev.divergence.proto.evaluation.v1.DcPddResponse;
import dev.divergence.proto.evaluation.v1.DcPddText;
import dev.divergence.proto.evaluation.v1.ProvenanceServiceGrpc;
import dev.divergence.proto.evaluation.v1.ZeroShotConvention;
import dev.divergence.proto.evaluation.v1.ZeroShotRequest;
import dev.divergence.proto.evaluation.v1.ZeroShotResponse;
import dev.divergence.proto.evaluation.v1.ZeroShotText;
import io.grpc.stub.StreamObserver;
import org.springframework.stereotype.Component;

/**
 * Provenance and membership scores over gRPC: the same {@link ProvenanceScorer}, fields and checks
 * as REST. proto3 cannot tell an empty list or string from an absent one, so those count as absent
 * (an absent {@code texts} is "must not be empty" either way).
 */
@Component
public class ProvenanceGrpcService extends ProvenanceServiceGrpc.ProvenanceServiceImplBase {

  private final ProvenanceScorer scorer;

  public ProvenanceGrpcService(ProvenanceScorer scorer) {
    this.scorer = scorer;
  }

  @Override
  public void dcPdd(DcPddRequest request, StreamObserver<DcPddResponse> response) {
    long[] counts = request.getTokenCountsCount() == 0 ? null
        : request.getTokenCountsList().stream().mapToLong(Long::longValue).toArray();
    DcPddReport report = scorer.dcPdd(new DcPddQuery(request.getModel(), request.getTextsList(),
        request.getReferenceTextsCount() == 0 ? null : request.getReferenceTextsList(),
        request.getReferenceDataset().isEmpty() ? null : request.getReferenceDataset(), counts,
        request.hasVocabularySize() ? request.getVocabularySize() : null, request.hasA() ? request.getA() : null));
    DcPddReport.Reference reference = report.reference();
    DcPddReport.Convention convention = report.convention();
    DcPddResponse.Builder reply = DcPddResponse.newBuilder().setModel(report.model())
        .setModelVersion(report.modelVersion()).setA(report.a())
        .setReference(DcPddReference.newBuilder().setSource(reference.source())
            .setDataset(reference.dataset() == null ? "" : reference.dataset()).setTexts(reference.texts())
            .setTokens(reference.tokens()).setVocabularySize(reference.vocabularySize()))
        .setConvention(DcPddConvention.newBuilder().setLogBase(convention.logBase())
            .setScoredPositions(convention.scoredPositions()).setFrequencies(convention.frequencies())
            .setCounted(convention.counted()).setOrientation(convention.orientation()).setDefaultA(convention.defaultA()));
    for (DcPddReport.Text text : report.results()) {
      DcPddText.Builder result = DcPddText.newBuilder().setIndex(text.index()).setScore(text.score())
          .setScoredTokens(text.scoredTokens()).setCountedTokens(text.countedTokens()).setClippedCount(text.clippedCount());
      for (DcPddReport.CountedToken token : text.tokens()) {
        result.addTokens(DcPddCountedToken.newBuilder().setPosition(token.position()).setTokenId(token.tokenId())
            .setLogProbability(token.logProbability()).setProbability(token.probability())
            .setNegativeLogFrequency(token.negativeLogFrequency()).setAlpha(token.alpha())
            .setClippedAlpha(token.clippedAlpha()));
      }
      reply.addResults(result);
    }
    response.onNext(reply.build());
    response.onCompleted();
  }

  @Override
  public void zeroShot(ZeroShotRequest request, StreamObserver<ZeroShotResponse> response) {
    ZeroShotReport report = scorer.zeroShot(new ZeroShotQuery(request.getModel(), request.getTextsList(),
        request.hasDelta() ? request.getDelta() : null));
    ZeroShotResponse.Builder reply = ZeroShotResponse.newBuilder().setModel(report.model())
        .setModelVersion(report.modelVersion()).setDelta(report.delta()).setVocabularySize(report.vocabularySize())
        .setConvention(ZeroShotConvention.newBuilder().setLogBase(report.convention().logBase())
            .setScoredPositions(report.convention().scoredPositions()).setEntropies(report.convention().entropies()));
    for (ZeroShotReport.Text text : report.results()) {
      reply.addResults(ZeroShotText.newBuilder().setIndex(text.index()).setStatistic(text.statistic())
          .setMeanLogPerplexity(text.meanLogPerplexity()).setMeanEntropy(text.meanEntropy()).setTokens(text.tokens())
          .setClipBound(text.clipBound()).setUpperThreshold(text.upperThreshold())
          .setLowerThreshold(text.lowerThreshold()).setConsistentWithModel(text.consistentWithModel())
          .setDecision(text.decision()));
    }
    response.onNext(reply.build());
    response.onCompleted();
  }
}
