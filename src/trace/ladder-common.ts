import type { LadderArrow, LadderInput } from './ladder-types.js';

export type TimeMode = 'relative' | 'absolute';

/**
 * Parties in header order. Arrows naming a party missing from the list get a column of their own
 * instead of an exception: the ladder is drawn while reporting some other failure and must not
 * hide it.
 */
export function resolveParties(input: LadderInput): string[] {
  const parties = [...new Set(input.parties)];
  const known = new Set(parties);
  for (const a of input.arrows) {
    for (const p of [a.from, a.to]) {
      if (!known.has(p)) {
        known.add(p);
        parties.push(p);
      }
    }
  }
  return parties;
}

/** "+1.234s" from t0, or UTC "12:34:56.789"; "?" for a time that is not a number. */
export function formatTime(time: number, t0: number, mode: TimeMode): string {
  if (!Number.isFinite(time)) return '?';
  if (mode === 'absolute') {
    const d = new Date(time * 1000);
    return Number.isNaN(d.getTime()) ? '?' : d.toISOString().slice(11, 23);
  }
  // Round once in milliseconds so the sign agrees with the digits ("-0.000s" never appears).
  const ms = Math.round((time - t0) * 1000);
  if (!Number.isFinite(ms)) return '?';
  const abs = Math.abs(ms);
  return `${ms < 0 ? '-' : '+'}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}s`;
}

/** Text beside an arrow; "!!" flags a marked arrow even when it carries no note. */
export function noteText(a: LadderArrow): string {
  if (a.mark) return a.note ? `!! ${a.note}` : '!!';
  return a.note ?? '';
}

/** Math.max over a list without spreading it: a trace can hold more arrows than a call has arguments. */
export function maxOf(values: Iterable<number>, floor = 0): number {
  let max = floor;
  for (const v of values) if (v > max) max = v;
  return max;
}
