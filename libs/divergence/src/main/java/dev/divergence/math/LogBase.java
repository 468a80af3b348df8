package dev.divergence.math;

/** Unit of information-theoretic results. The platform computes in nats and converts on request. */
public enum LogBase {
    NATS(1.0),
    BITS(Math.log(2.0));

    private final double lnOfBase;

    LogBase(double lnOfBase) {
        this.lnOfBase = lnOfBase;
    }

    /** Converts a value in nats to this unit. */
    public double fromNats(double nats) {
        return nats / lnOfBase;
    }
}
