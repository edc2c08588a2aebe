/**
 * Kubernetes quantities (`1Gi`, `1536Mi`, `500M`, `1.5Gi`) parsed exactly into bytes. The
 * arithmetic is done on bigints so that no size is ever rounded through a float.
 */

/** The outcome of parsing a quantity: whole bytes as a safe integer, or why not. */
export type QuantityResult = { ok: true; bytes: number } | { ok: false; message: string };

const binary: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const decimalExp: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

// Sign, integer part, fraction, then one suffix: binary SI, decimal SI, or a decimal exponent.
const grammar = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
const example = 'write it like 1Gi, 1536Mi, 500M or 1073741824';
// Long inputs and huge exponents would make bigint work grow without bound.
const maxLength = 64;
const maxExponent = 40;

/** Parses a quantity into whole bytes; fails on negatives, fractions of a byte and sizes above 2^53-1. */
export function parseQuantity(text: string): QuantityResult {
  const s = text.trim();
  if (s === '') return { ok: false, message: `the size is empty: ${example}` };
  if (s.length > maxLength)
    return { ok: false, message: `"${s.slice(0, 20)}..." is too long to be a size: ${example}` };
  const m = grammar.exec(s);
  if (!m) return { ok: false, message: `"${s}" is not a Kubernetes quantity: ${example}` };
  const [, sign, int = '', frac = '', suffix = ''] = m;
  if (int === '' && frac === '') return { ok: false, message: `"${s}" has no digits: ${example}` };
  if (sign === '-' && /[1-9]/.test(int + frac))
    return { ok: false, message: `"${s}" is negative: sizes must be positive` };
  let numerator = BigInt(int + frac || '0');
  let denominator = 10n ** BigInt(frac.length);
  const bin = binary[suffix];
  if (bin !== undefined) numerator *= bin;
  else if (suffix !== '') {
    const exp =
      suffix.startsWith('e') || suffix.startsWith('E')
        ? Number(suffix.slice(1))
        : (decimalExp[suffix] ?? 0);
    if (Math.abs(exp) > maxExponent)
      return { ok: false, message: `"${s}" is out of range: ${example}` };
    if (exp >= 0) numerator *= 10n ** BigInt(exp);
    else denominator *= 10n ** BigInt(-exp);
  }
  if (numerator % denominator !== 0n) {
    return {
      ok: false,
      message: `"${s}" is not a whole number of bytes: use a smaller unit (for example 1536Mi instead of 1.4Gi)`,
    };
  }
  const bytes = numerator / denominator;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    return {
      ok: false,
      message: `"${s}" is too large: the maximum is ${Number.MAX_SAFE_INTEGER} bytes (about 7Pi)`,
    };
  }
  return { ok: true, bytes: Number(bytes) };
}

const units: [string, number][] = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];

/** Renders bytes with the largest binary unit that divides them exactly: 1610612736 -> "1536Mi". */
export function formatBytes(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return String(bytes);
  for (const [unit, size] of units) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
