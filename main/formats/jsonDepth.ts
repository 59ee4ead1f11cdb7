/**
 * How deep a JSON text nests its arrays and objects, read from the text without parsing it.
 * JSON.parse takes any depth, but what then handles the value recurses: the browser transport's
 * JSON.stringify (a RangeError at ~5,000 levels, answered as INTERNAL), Electron's structured
 * clone, the renderer's tree views. Readers of user files check the depth first.
 */

/** Nesting depth of `text` (0 for a scalar), counting up to `limit + 1` and stopping there. */
export function jsonNestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}
