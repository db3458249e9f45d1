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

const DASH = 45;
const ZERO = 48;
const NINE = 57;
/** up to this many digits, adding them one by one stays below 2^53: exact, as `Number` is */
const EXACT_DIGITS = 15;

/**
 * The milliseconds part of a stream id: `streamIdParts(id)[0]`, read digit by digit because a
 * settlement run asks it of every record and splitting allocates an array and two strings each time.
 * Anything but up to 15 plain digits and a dash goes the `Number` way, so the answer is the same.
 */
export function streamIdMs(id: string): number {
  let ms = 0;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === DASH) return ms;
    if (c < ZERO || c > NINE || i >= EXACT_DIGITS) return streamIdParts(id)[0];
    ms = ms * 10 + (c - ZERO);
  }
  return streamIdParts(id)[0];
}
