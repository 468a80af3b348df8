/**
 * Pure Java math shared by every service: f-divergences, optimal transport, calibration and
 * diversity metrics. Depends on no framework.
 */
package dev.divergence.math;
