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
  const width = svg.viewBox.baseVal?.width || svg.clientWidth;
  const height = svg.viewBox.baseVal?.height || svg.clientHeight;
  const text = new XMLSerializer().serializeToString(clone).replaceAll('currentColor', style.color).replaceAll('var(--text)', style.color);
  return { text, width, height };
}

export function downloadSvg(name: string, container: HTMLElement | null): void {
  const svg = container && standaloneSvg(container);
  if (svg) download(name, new Blob([svg.text], { type: 'image/svg+xml' }));
}

export async function downloadPng(name: string, container: HTMLElement | null, scale = 2): Promise<void> {
  const svg = container && standaloneSvg(container);
  if (!svg) return;
  const image = new Image();
  const url = URL.createObjectURL(new Blob([svg.text], { type: 'image/svg+xml' }));
  try {
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('The plot could not be rendered to PNG.'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(svg.width * scale);
    canvas.height = Math.ceil(svg.height * scale);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = getComputedStyle(document.body).backgroundColor || '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (blob) download(name, blob);
  } finally {
    URL.revokeObjectURL(url);
  }
}
