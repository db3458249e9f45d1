/** Redis stream ids (`<ms>-<seq>`) compared as numbers, not as strings. */
export function streamIdParts(id: string): [number, number] {
  const [ms, seq] = id.split('-');
  return [Number(ms), Number(seq ?? 0)];
}

export function compareStreamIds(a: string, b: string): number {
  const [am, as] = streamIdParts(a);
  const [bm, bs] = streamIdParts(b);
  return am - bm || as - bs;
}

export const streamIdMs = (id: string) => streamIdParts(id)[0];
