import type { Page } from 'playwright-core';

/**
 * Decode a PNG screenshot in the page itself (a canvas) and count distinct colours, so a blank
 * or single-colour render fails the test. No image library needed on the Node side.
 */
export async function distinctColours(page: Page, png: Buffer): Promise<number> {
  const dataUrl = `data:image/png;base64,${png.toString('base64')}`;
  // A string, so this Node-side file needs no DOM typings; it runs in the page.
  const countInPage = `(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.width, img.height).data;
    const seen = new Set();
    for (let i = 0; i < data.length; i += 4 * 7) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size;
  })(${JSON.stringify(dataUrl)})`;
  return (await page.evaluate(countInPage)) as number;
}
