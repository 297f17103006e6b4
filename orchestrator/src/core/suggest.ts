/** "Did you mean" for misspelt names: keys of a profile, board names, commands. */
import { closest, distance } from 'fastest-levenshtein';

/**
 * The name of `known` that `given` most likely means, compared without
 * case: the only one it begins or that begins it (imx6 → imx6-sabrelite,
 * mem → memory), else the closest by Levenshtein distance when at most 2
 * edits (or a third of its length) away; else undefined. Pure.
 */
export function didYouMean(given: string, known: readonly string[]): string | undefined {
  const g = given.toLowerCase();
  const names = known.filter((k) => k !== given);
  if (names.length === 0 || g === '') return undefined;
  const same = names.find((k) => k.toLowerCase() === g);
  if (same !== undefined) return same;
  const prefixed = names.filter((k) => k.toLowerCase().startsWith(g) || g.startsWith(k.toLowerCase()));
  if (prefixed.length === 1) return prefixed[0];
  // several begin so (hot: hot_remove_waits, hot_unplug_qmp…): no one of them is meant more than the others
  if (prefixed.length > 1) return undefined;
  const lower = names.map((k) => k.toLowerCase());
  const c = closest(g, lower);
  const d = distance(g, c);
  // a name no longer than the edits it takes (dma → dt) is no likelier than any other
  return d <= Math.max(2, Math.floor(g.length / 3)) && d < c.length ? names[lower.indexOf(c)] : undefined;
}

/** `, did you mean "x"?` or the empty string. Pure. */
export function didYouMeanText(given: string, known: readonly string[]): string {
  const s = didYouMean(given, known);
  return s === undefined ? '' : `, did you mean "${s}"?`;
}
