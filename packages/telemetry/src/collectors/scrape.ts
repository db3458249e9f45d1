/**
 * State collectors run together before each scrape. Each reads what it needs and only then replaces
 * its gauges, so one that fails (Redis away, a bad record) is logged and leaves its last values,
 * and never fails the scrape or the other collectors.
 */
export type Collector = () => Promise<void>;

export function runCollectors(
  collectors: Readonly<Record<string, Collector>>,
  onError: (err: unknown, collector: string) => void,
): () => Promise<void> {
  return async () => {
    await Promise.all(
      Object.entries(collectors).map(async ([name, collect]) => {
        try {
          await collect();
        } catch (err) {
          onError(err, name);
        }
      }),
    );
  };
}
