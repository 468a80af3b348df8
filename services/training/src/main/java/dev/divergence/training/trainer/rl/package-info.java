/**
 * Pure, side-effect-free pieces of the reinforcement-learning style objectives (issue 13): f-DPG's
 * pseudo-rewards, baselines, partition estimate, importance-sampled divergences and moment matching,
 * and RLVR's group-normalised advantages, clipped policy loss, KL penalties and f-divergence
 * rehearsal terms. Trainers compose them; each is tested against a direct computation. Formulas:
 * ALGORITHMS.md (f-DPG / GDC, DPH-RL).
 */
package dev.divergence.training.trainer.rl;
