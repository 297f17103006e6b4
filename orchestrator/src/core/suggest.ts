/** "Did you mean" for misspelt names: keys of a profile, board names, commands. */
import { closest, distance } from 'fastest-levenshtein';

/**
 * The name of `known` that `given` most likely misspells: the closest by
 * Levenshtein distance, when at most 2 edits (or a third of its length)
 * away; else undefined. Pure.
 */
export function didYouMean(given: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const c = closest(given, [...known]);
  return distance(given, c) <= Math.max(2, Math.floor(given.length / 3)) ? c : undefined;
}

/** `, did you mean "x"?` or the empty string. Pure. */
export function didYouMeanText(given: string, known: readonly string[]): string {
  const s = didYouMean(given, known);
  return s === undefined ? '' : `, did you mean "${s}"?`;
}
