/**
 * Selects whose chosen option is cut: a <select> shows one line and no ellipsis a test could
 * read, so the chosen text is measured in the select's own font (canvas measureText) against the
 * room the box leaves it (its width less padding and the arrow).
 */
import type { Page } from 'playwright-core';

const CUT_SELECTS = `((selector) => {
  const canvas = document.createElement('canvas').getContext('2d');
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const option = el.options[el.selectedIndex];
    if (!option || el.getClientRects().length === 0) continue;
    const s = getComputedStyle(el);
    canvas.font = s.font || (s.fontSize + ' ' + s.fontFamily);
    const text = canvas.measureText(option.text).width;
    // Padding on both sides and about 20 px for the arrow.
    const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - 20;
    if (text > room) out.push((el.getAttribute('aria-label') || el.name) + ': "' + option.text + '" needs ' + Math.ceil(text) + ' px, has ' + Math.floor(room));
  }
  return out;
})`;

/** "Panel 2 SAE: "demo-adhd/…" needs 310 px, has 180" for each cut select matching `selector`. */
export async function cutSelects(page: Page, selector: string): Promise<string[]> {
  return (await page.evaluate(`${CUT_SELECTS}(${JSON.stringify(selector)})`)) as string[];
}
