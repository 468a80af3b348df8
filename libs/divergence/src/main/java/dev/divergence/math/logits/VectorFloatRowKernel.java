package dev.divergence.math.logits;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD float32 kernel (Vector API). Per row: pass 1 takes both maxima (and detects non-finite
 * logits), pass 2 exponentiates once per element; KL and reverse KL finish there, the mixture
 * divergences (js, jsd, skews) and tv use the stored exponentials in pass 3 with one log per element.
 * Partial sums run in float32 lanes over blocks of {@link #BLOCK} elements and are added in float64,
 * which keeps the error at float32 level for vocabularies of 10^5 and more.
 */
final class VectorFloatRowKernel implements FloatRowKernel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int BLOCK = 1024;

    @Override
    public double computeWithGradient(FusedKind kind, double parameter, float[] t, float[] s, int base, int n,
                                      float invT, float[] ea, float[] eb, float[] grad, int gBase, float scale) {
        float[] maxima = new float[2];
        if (!maxima(t, s, base, n, maxima)) {
            return Double.NaN;
        }
        float mT = maxima[0];
        float mS = maxima[1];
        double[] sums = exponentials(t, s, base, n, invT, mT, mS, ea, eb);
        double logSumT = Math.log(sums[0]);
        double logSumS = Math.log(sums[1]);
        float scaleT = (float) (1.0 / sums[0]);
        float scaleS = (float) (1.0 / sums[1]);
        float offT = (float) (mT * (double) invT + logSumT); // log p = t/T - offT
        float offS = (float) (mS * (double) invT + logSumS);
        int bound = S.loopBound(n);
        double value = 0;
        if (kind == FusedKind.KL) {
            // dL/db = q - p; value sum p (log p - log q)
            for (int start = 0; start < bound; start += BLOCK) {
                int end = Math.min(bound, start + BLOCK);
                FloatVector acc = FloatVector.zero(S);
                for (int i = start; i < end; i += L) {
                    FloatVector p = FloatVector.fromArray(S, ea, i).mul(scaleT);
                    FloatVector q = FloatVector.fromArray(S, eb, i).mul(scaleS);
                    FloatVector logP = FloatVector.fromArray(S, t, base + i).mul(invT).sub(offT);
                    FloatVector logQ = FloatVector.fromArray(S, s, base + i).mul(invT).sub(offS);
                    acc = p.fma(logP.sub(logQ), acc);
                    q.sub(p).mul(scale).intoArray(grad, gBase + i);
                }
                value += acc.reduceLanes(VectorOperators.ADD);
            }
            for (int i = bound; i < n; i++) {
                double p = ea[i] * (double) scaleT;
                double q = eb[i] * (double) scaleS;
                value += p * ((t[base + i] * (double) invT - offT) - (s[base + i] * (double) invT - offS));
                grad[gBase + i] = (float) ((q - p) * scale);
            }
            return value;
        }
        // REVERSE_KL and JSD: g_i = dL/dq_i into grad, value and sum q g alongside; then q (g - sum q g)
        float beta = (float) parameter;
        float betaQ = 1 - beta;
        double dot = 0;
        for (int start = 0; start < bound; start += BLOCK) {
            int end = Math.min(bound, start + BLOCK);
            FloatVector accValue = FloatVector.zero(S);
            FloatVector accDot = FloatVector.zero(S);
            for (int i = start; i < end; i += L) {
                FloatVector p = FloatVector.fromArray(S, ea, i).mul(scaleT);
                FloatVector q = FloatVector.fromArray(S, eb, i).mul(scaleS);
                FloatVector logP = FloatVector.fromArray(S, t, base + i).mul(invT).sub(offT);
                FloatVector logQ = FloatVector.fromArray(S, s, base + i).mul(invT).sub(offS);
                FloatVector g;
                if (kind == FusedKind.REVERSE_KL) {
                    g = logQ.sub(logP); // the +1 of d(q log q)/dq cancels in q (g - sum q g)
                    accValue = q.fma(g, accValue);
                } else {
                    FloatVector logM = p.mul(beta).add(q.mul(betaQ)).max(Float.MIN_NORMAL).lanewise(VectorOperators.LOG);
                    FloatVector dq = logQ.sub(logM);
                    accValue = p.mul(beta).fma(logP.sub(logM), accValue);
                    accValue = q.mul(betaQ).fma(dq, accValue);
                    g = dq.mul(betaQ);
                }
                accDot = q.fma(g, accDot);
                g.intoArray(grad, gBase + i);
            }
            value += accValue.reduceLanes(VectorOperators.ADD);
            dot += accDot.reduceLanes(VectorOperators.ADD);
        }
        for (int i = bound; i < n; i++) {
            double p = ea[i] * (double) scaleT;
            double q = eb[i] * (double) scaleS;
            double logP = t[base + i] * (double) invT - offT;
            double logQ = s[base + i] * (double) invT - offS;
            double g;
            if (kind == FusedKind.REVERSE_KL) {
                g = logQ - logP;
                value += q * g;
            } else {
                double logM = Math.log(Math.max(beta * p + betaQ * q, Float.MIN_NORMAL));
                value += beta * p * (logP - logM) + betaQ * q * (logQ - logM);
                g = betaQ * (logQ - logM);
            }
            dot += q * g;
            grad[gBase + i] = (float) g;
        }
        float vDot = (float) dot;
        for (int i = 0; i < bound; i += L) {
            FloatVector q = FloatVector.fromArray(S, eb, i).mul(scaleS);
            FloatVector g = FloatVector.fromArray(S, grad, gBase + i);
            q.mul(g.sub(vDot)).mul(scale).intoArray(grad, gBase + i);
        }
        for (int i = bound; i < n; i++) {
            grad[gBase + i] = (float) (eb[i] * (double) scaleS * (grad[gBase + i] - dot) * scale);
        }
        return value;
    }

    /** Pass 1: both maxima into {@code out}; false when a logit is NaN or infinite (x - x is NaN exactly then). */
    private static boolean maxima(float[] t, float[] s, int base, int n, float[] out) {
        int bound = S.loopBound(n);
        FloatVector maxT = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector maxS = maxT;
        FloatVector bad = FloatVector.zero(S);
        for (int i = 0; i < bound; i += L) {
            FloatVector vt = FloatVector.fromArray(S, t, base + i);
            FloatVector vs = FloatVector.fromArray(S, s, base + i);
            maxT = maxT.max(vt);
            maxS = maxS.max(vs);
            bad = bad.add(vt.sub(vt)).add(vs.sub(vs));
        }
        float mT = maxT.reduceLanes(VectorOperators.MAX);
        float mS = maxS.reduceLanes(VectorOperators.MAX);
        float badSum = bad.reduceLanes(VectorOperators.ADD);
        for (int i = bound; i < n; i++) {
            mT = Math.max(mT, t[base + i]);
            mS = Math.max(mS, s[base + i]);
            badSum += (t[base + i] - t[base + i]) + (s[base + i] - s[base + i]);
        }
        out[0] = mT;
        out[1] = mS;
        return badSum == 0 && Float.isFinite(mT) && Float.isFinite(mS);
    }

    /** Pass 2 for gradients: stores exp((x - max)/T) of both rows, returns their float64 sums. */
    private static double[] exponentials(float[] t, float[] s, int base, int n, float invT, float mT, float mS,
                                         float[] ea, float[] eb) {
        int bound = S.loopBound(n);
        FloatVector vmT = FloatVector.broadcast(S, mT);
        FloatVector vmS = FloatVector.broadcast(S, mS);
        double sumT = 0;
        double sumS = 0;
        for (int start = 0; start < bound; start += BLOCK) {
            int end = Math.min(bound, start + BLOCK);
            FloatVector accT = FloatVector.zero(S);
            FloatVector accS = FloatVector.zero(S);
            for (int i = start; i < end; i += L) {
                FloatVector et = FloatVector.fromArray(S, t, base + i).sub(vmT).mul(invT).lanewise(VectorOperators.EXP);
                FloatVector es = FloatVector.fromArray(S, s, base + i).sub(vmS).mul(invT).lanewise(VectorOperators.EXP);
                accT = accT.add(et);
                accS = accS.add(es);
                et.intoArray(ea, i);
                es.intoArray(eb, i);
            }
            sumT += accT.reduceLanes(VectorOperators.ADD);
            sumS += accS.reduceLanes(VectorOperators.ADD);
        }
        for (int i = bound; i < n; i++) {
            float et = (float) Math.exp((t[base + i] - mT) * invT);
            float es = (float) Math.exp((s[base + i] - mS) * invT);
            sumT += et;
            sumS += es;
            ea[i] = et;
            eb[i] = es;
        }
        return new double[]{sumT, sumS};
    }

    @Override
    public double compute(FusedKind kind, double parameter, float[] t, float[] s, int base, int n, float invT,
                          float[] ea, float[] eb) {
        // ---- pass 1: maxima (and the non-finite check)
        float[] maxima = new float[2];
        if (!maxima(t, s, base, n, maxima)) {
            return Double.NaN;
        }
        float mT = maxima[0];
        float mS = maxima[1];
        int bound = S.loopBound(n);

        // ---- pass 2: exponentials relative to the maxima
        boolean store = kind != FusedKind.KL && kind != FusedKind.REVERSE_KL;
        FloatVector vmT = FloatVector.broadcast(S, mT);
        FloatVector vmS = FloatVector.broadcast(S, mS);
        double sumT = 0;
        double sumS = 0;
        double weighted = 0; // sum e_t (t - s) for KL, sum e_s (s - t) for reverse KL
        for (int start = 0; start < bound; start += BLOCK) {
            int end = Math.min(bound, start + BLOCK);
            FloatVector accT = FloatVector.zero(S);
            FloatVector accS = FloatVector.zero(S);
            FloatVector accW = FloatVector.zero(S);
            for (int i = start; i < end; i += L) {
                FloatVector vt = FloatVector.fromArray(S, t, base + i);
                FloatVector vs = FloatVector.fromArray(S, s, base + i);
                FloatVector et = vt.sub(vmT).mul(invT).lanewise(VectorOperators.EXP);
                FloatVector es = vs.sub(vmS).mul(invT).lanewise(VectorOperators.EXP);
                accT = accT.add(et);
                accS = accS.add(es);
                if (kind == FusedKind.KL) {
                    accW = et.fma(vt.sub(vs), accW);
                } else if (kind == FusedKind.REVERSE_KL) {
                    accW = es.fma(vs.sub(vt), accW);
                } else {
                    et.intoArray(ea, i);
                    es.intoArray(eb, i);
                }
            }
            sumT += accT.reduceLanes(VectorOperators.ADD);
            sumS += accS.reduceLanes(VectorOperators.ADD);
            weighted += accW.reduceLanes(VectorOperators.ADD);
        }
        for (int i = bound; i < n; i++) {
            float et = (float) Math.exp((t[base + i] - mT) * invT);
            float es = (float) Math.exp((s[base + i] - mS) * invT);
            sumT += et;
            sumS += es;
            if (kind == FusedKind.KL) {
                weighted += et * (double) (t[base + i] - s[base + i]);
            } else if (kind == FusedKind.REVERSE_KL) {
                weighted += es * (double) (s[base + i] - t[base + i]);
            } else {
                ea[i] = et;
                eb[i] = es;
            }
        }
        double logSumT = Math.log(sumT);
        double logSumS = Math.log(sumS);
        // log p_i - log q_i = (t_i - s_i)/T + shift
        double shift = ((double) mS - mT) * invT + logSumS - logSumT;
        if (kind == FusedKind.KL) {
            return invT * weighted / sumT + shift;
        }
        if (kind == FusedKind.REVERSE_KL) {
            return invT * weighted / sumS - shift;
        }

        // ---- pass 3
        float scaleT = (float) (1.0 / sumT);
        float scaleS = (float) (1.0 / sumS);
        if (kind == FusedKind.TV) {
            double total = 0;
            for (int start = 0; start < bound; start += BLOCK) {
                int end = Math.min(bound, start + BLOCK);
                FloatVector acc = FloatVector.zero(S);
                for (int i = start; i < end; i += L) {
                    FloatVector p = FloatVector.fromArray(S, ea, i).mul(scaleT);
                    FloatVector q = FloatVector.fromArray(S, eb, i).mul(scaleS);
                    acc = acc.add(p.sub(q).abs());
                }
                total += acc.reduceLanes(VectorOperators.ADD);
            }
            for (int i = bound; i < n; i++) {
                total += Math.abs(ea[i] * scaleT - eb[i] * scaleS);
            }
            return total / 2;
        }
        // mixtures: value = wP sum p (log p - log M) + wQ sum q (log q - log M), M = beta p + (1 - beta) q
        float beta;
        float wP;
        float wQ;
        switch (kind) {
            case JSD -> {
                beta = (float) parameter;
                wP = beta;
                wQ = 1 - beta;
            }
            case SKEW_KL -> {
                beta = (float) parameter;
                wP = 1;
                wQ = 0;
            }
            case SKEW_REVERSE_KL -> {
                beta = (float) (1 - parameter);
                wP = 0;
                wQ = 1;
            }
            default -> throw new IllegalStateException("not a fused float kind: " + kind);
        }
        float offT = (float) (mT * (double) invT + logSumT); // log p = t/T - offT
        float offS = (float) (mS * (double) invT + logSumS);
        float betaQ = 1 - beta;
        double total = 0;
        for (int start = 0; start < bound; start += BLOCK) {
            int end = Math.min(bound, start + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (int i = start; i < end; i += L) {
                FloatVector p = FloatVector.fromArray(S, ea, i).mul(scaleT);
                FloatVector q = FloatVector.fromArray(S, eb, i).mul(scaleS);
                FloatVector logP = FloatVector.fromArray(S, t, base + i).mul(invT).sub(offT);
                FloatVector logQ = FloatVector.fromArray(S, s, base + i).mul(invT).sub(offS);
                // M is clamped so that cells where both probabilities underflow give 0 * finite, not NaN
                FloatVector logM = p.mul(beta).add(q.mul(betaQ)).max(Float.MIN_NORMAL).lanewise(VectorOperators.LOG);
                acc = p.mul(wP).fma(logP.sub(logM), acc);
                acc = q.mul(wQ).fma(logQ.sub(logM), acc);
            }
            total += acc.reduceLanes(VectorOperators.ADD);
        }
        for (int i = bound; i < n; i++) {
            double p = ea[i] * (double) scaleT;
            double q = eb[i] * (double) scaleS;
            double logP = t[base + i] * (double) invT - offT;
            double logQ = s[base + i] * (double) invT - offS;
            double logM = Math.log(Math.max(beta * p + betaQ * q, Float.MIN_NORMAL));
            total += wP * p * (logP - logM) + wQ * q * (logQ - logM);
        }
        return total;
    }
}
