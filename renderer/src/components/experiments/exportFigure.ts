/**
 * Saving what the page shows: the artifact as JSON, and a plot as SVG or PNG (the figure's SVG
 * with the theme's text colour and background filled in, since CSS variables do not travel with
 * a standalone file).
 */
export function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadJson(name: string, value: unknown): void {
  download(name, new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: 'application/json' }));
}

function standaloneSvg(container: HTMLElement): { text: string; width: number; height: number } | null {
  const svg = container.querySelector('svg');
  if (!svg) return null;
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const style = getComputedStyle(svg);
  const background = getComputedStyle(document.body).backgroundColor || '#ffffff';
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.style.color = style.color;
  clone.style.background = background;
  // The page's font does not travel with the file either.
  clone.style.fontFamily = style.fontFamily;
  clone.style.fontSize = style.fontSize;
  const width = svg.viewBox.baseVal?.width || svg.clientWidth;
  const height = svg.viewBox.baseVal?.height || svg.clientHeight;
  const text = new XMLSerializer().serializeToString(clone).replaceAll('currentColor', style.color).replaceAll('var(--text)', style.color);
  return { text, width, height };
}

/** Why a plot could not be saved, in words for the page (the export buttons show it). */
export class FigureExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FigureExportError';
  }
}

function requireSvg(container: HTMLElement | null): { text: string; width: number; height: number } {
  const svg = container && standaloneSvg(container);
  if (!svg) throw new FigureExportError('There is no plot here to save yet.');
  if (!(svg.width > 0 && svg.height > 0)) throw new FigureExportError('The plot has no size yet (is it hidden?); show it, then save it.');
  return svg;
}

export function downloadSvg(name: string, container: HTMLElement | null): void {
  download(name, new Blob([requireSvg(container).text], { type: 'image/svg+xml' }));
}

/**
 * The SVG drawn onto a canvas and saved as PNG. The SVG goes to the <img> as a data: URL: the
 * page's Content-Security-Policy allows images from 'self' and data: only (a blob: image, as
 * before, was refused, and the PNG silently never came). A data: SVG image does not taint the
 * canvas, so toBlob can read it back.
 */
export async function downloadPng(name: string, container: HTMLElement | null, scale = 2): Promise<void> {
  download(name, await renderPng(requireSvg(container), scale));
}

export async function renderPng(svg: { text: string; width: number; height: number }, scale = 2): Promise<Blob> {
  const image = new Image();
  await new Promise<void>((resolve, reject) => {
    image.onload = () => resolve();
    image.onerror = () => reject(new FigureExportError('The plot could not be drawn as an image, so no PNG was made; save it as SVG instead.'));
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg.text)}`;
  });
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(svg.width * scale);
  canvas.height = Math.ceil(svg.height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new FigureExportError('This browser gave no 2D canvas to draw the PNG on; save the plot as SVG instead.');
  ctx.fillStyle = getComputedStyle(document.body).backgroundColor || '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  let blob: Blob | null;
  try {
    blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  } catch (err) {
    throw new FigureExportError(`The browser would not read the drawn plot back (${(err as Error).message}); save it as SVG instead.`);
  }
  if (!blob) throw new FigureExportError('The browser made no PNG from the plot (it may be too large to draw); save it as SVG instead.');
  return blob;
}
