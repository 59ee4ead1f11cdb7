/**
 * GPT-2's byte-level alphabet: every byte maps to a printable code point (the printable Latin-1
 * bytes to themselves, the rest to U+0100...), so BPE tokens are strings even for partial UTF-8.
 */
let byteToChar: string[] | null = null;
let charToByte: Map<string, number> | null = null;

function build(): void {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const points = [...bytes];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      points.push(256 + extra++);
    }
  }
  byteToChar = new Array<string>(256);
  charToByte = new Map();
  bytes.forEach((b, i) => {
    const ch = String.fromCharCode(points[i]);
    byteToChar![b] = ch;
    charToByte!.set(ch, b);
  });
}

export function byteLevelChar(byte: number): string {
  if (!byteToChar) build();
  return byteToChar![byte];
}

/** The raw bytes behind a byte-level token string, or null if it has characters outside the alphabet. */
export function byteLevelBytes(token: string): Uint8Array | null {
  if (!charToByte) build();
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = charToByte!.get(token[i]);
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}
