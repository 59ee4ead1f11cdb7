import { describe, expect, it } from 'vitest';
import {
  bf16BitsToNumber,
  decodeBF16,
  decodeF16,
  f16BitsToNumber,
  f8e4m3BitsToNumber,
  f8e5m2BitsToNumber,
  numberToBF16Bits,
  numberToF16Bits,
} from './halfFloat';

// Known bit patterns (IEEE 754-2008 binary16 table; bfloat16 is the top half of binary32).
const F16_CASES: [number, number][] = [
  [0x0000, 0],
  [0x3c00, 1],
  [0xc000, -2],
  [0x3555, 0.333251953125],
  [0x7bff, 65504],
  [0x0400, 2 ** -14],
  [0x0001, 2 ** -24],
  [0x03ff, 1023 * 2 ** -24],
  [0x7c00, Infinity],
  [0xfc00, -Infinity],
  [0x3800, 0.5],
  [0x4248, 3.140625],
];

const BF16_CASES: [number, number][] = [
  [0x0000, 0],
  [0x3f80, 1],
  [0xc000, -2],
  [0x4049, 3.140625],
  [0x7f7f, 3.3895313892515355e38],
  [0x0080, 2 ** -126],
  [0x0001, 2 ** -133],
  [0x7f80, Infinity],
  [0xff80, -Infinity],
];

describe('F16', () => {
  it('decodes known bit patterns exactly', () => {
    for (const [bits, value] of F16_CASES) expect(f16BitsToNumber(bits)).toBe(value);
    expect(Object.is(f16BitsToNumber(0x8000), -0)).toBe(true);
    expect(f16BitsToNumber(0x7e00)).toBeNaN();
    const decoded = decodeF16(Uint16Array.from(F16_CASES.map((c) => c[0])));
    expect(Array.from(decoded)).toEqual(F16_CASES.map((c) => Math.fround(c[1])));
  });

  it('encodes every finite F16 back to its own bits', () => {
    for (let h = 0; h < 0x10000; h++) {
      const exp = (h >> 10) & 0x1f;
      if (exp === 0x1f && (h & 0x3ff)) continue; // NaN
      expect(numberToF16Bits(f16BitsToNumber(h))).toBe(h);
    }
  });

  it('rounds to nearest even, overflows to infinity, underflows gradually', () => {
    expect(numberToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even (down)
    expect(numberToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(numberToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(numberToF16Bits(65520)).toBe(0x7c00);
    expect(numberToF16Bits(65519)).toBe(0x7bff);
    expect(numberToF16Bits(2 ** -25)).toBe(0x0000); // tie with 0 -> even
    expect(numberToF16Bits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(numberToF16Bits(3 * 2 ** -25)).toBe(0x0002); // tie 1.5 ulp -> 2
    expect(numberToF16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the normals
    expect(numberToF16Bits(-0)).toBe(0x8000);
    expect(numberToF16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(numberToF16Bits(NaN) & 0x3ff).not.toBe(0);
  });
});

describe('BF16', () => {
  it('decodes known bit patterns exactly', () => {
    for (const [bits, value] of BF16_CASES) expect(bf16BitsToNumber(bits)).toBe(value);
    expect(bf16BitsToNumber(0x7fc0)).toBeNaN();
    expect(Array.from(decodeBF16(Uint16Array.from(BF16_CASES.map((c) => c[0]))))).toEqual(BF16_CASES.map((c) => c[1]));
  });

  it('encodes with round to nearest even', () => {
    for (const [bits, value] of BF16_CASES) expect(numberToBF16Bits(value)).toBe(bits);
    expect(numberToBF16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie -> even
    expect(numberToBF16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(numberToBF16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(numberToBF16Bits(NaN) & 0x7fc0).toBe(0x7fc0);
  });
});

describe('FP8', () => {
  it('decodes E4M3 (fn) and E5M2 known patterns', () => {
    expect(f8e4m3BitsToNumber(0x38)).toBe(1);
    expect(f8e4m3BitsToNumber(0x7e)).toBe(448);
    expect(f8e4m3BitsToNumber(0x01)).toBe(2 ** -9);
    expect(f8e4m3BitsToNumber(0xc0)).toBe(-2);
    expect(f8e4m3BitsToNumber(0x7f)).toBeNaN();
    expect(f8e5m2BitsToNumber(0x3c)).toBe(1);
    expect(f8e5m2BitsToNumber(0x7b)).toBe(57344);
    expect(f8e5m2BitsToNumber(0x7c)).toBe(Infinity);
  });
});
