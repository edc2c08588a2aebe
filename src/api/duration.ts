/** Go-style durations (`30s`, `5m`, `1h30m`, `500ms`) parsed exactly into milliseconds. */

/** The outcome of parsing a duration: whole milliseconds, or why not. */
export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

// Nanoseconds per unit, as in Go's time.ParseDuration.
const unitNs: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const part = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;
const example = 'write it like 30s, 5m, 1h30m or 500ms';

/** Parses a Go duration into whole milliseconds; fails on negatives, missing units and sub-ms remainders. */
export function parseDuration(text: string): DurationResult {
  const s = text.trim();
  if (s === '') return { ok: false, message: `the duration is empty: ${example}` };
  if (s.startsWith('-'))
    return { ok: false, message: `"${s}" is negative: durations must be positive` };
  const body = s.startsWith('+') ? s.slice(1) : s;
  if (body === '0') return { ok: true, ms: 0 };
  if (body.length > 64)
    return { ok: false, message: `"${s.slice(0, 20)}..." is too long: ${example}` };
  let ns = 0n;
  part.lastIndex = 0;
  while (part.lastIndex < body.length) {
    const at = part.lastIndex;
    const m = part.exec(body);
    if (!m || m.index !== at) return { ok: false, message: `"${s}" is not a duration: ${example}` };
    const [, int = '', frac = '', unit = ''] = m;
    if (int === '' && frac === '')
      return { ok: false, message: `"${s}" has a unit without a number: ${example}` };
    const scale = unitNs[unit] ?? 0n;
    ns += (BigInt(int + frac || '0') * scale) / 10n ** BigInt(frac.length);
  }
  if (ns % 1_000_000n !== 0n)
    return { ok: false, message: `"${s}" is not a whole number of milliseconds` };
  const ms = ns / 1_000_000n;
  if (ms > BigInt(Number.MAX_SAFE_INTEGER))
    return { ok: false, message: `"${s}" is too long a duration` };
  return { ok: true, ms: Number(ms) };
}
