/**
 * Histogram buckets, in seconds. Federa's own added latency lives below 50 ms, so the buckets are
 * fine there (a 15 ms target needs 10/15/20 to be visible), then coarse out to the site's timeouts.
 */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5,
  0.75, 1, 2.5, 5, 10, 30,
];

/** Redis round trips (ledger scripts): sub-millisecond on loopback, a few ms across a zone. */
export const REDIS_OP_BUCKETS = [
  0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 1,
];
