/**
 * Redis `maxmemory` against the memory limit of its pod template: a maxmemory at or above the
 * limit means the server is killed for memory before it evicts (or refuses writes), so it is
 * refused, in the spec and in a Reconfigure of it. The memory a server needs beyond its data
 * (buffers, a fork for saves) is why 75 % is the advice.
 */
import { formatBytes, parseQuantity } from '../../api/quantity.js';
import { codes } from '../../errors.js';
import { errorAt, referredSpec } from './rule.js';
import type { Rule } from './rule.js';

const units: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
};

/** A Redis memory value (`64mb`, `1gb`, `100000`, `2G`) in bytes; undefined when it is none. */
export function redisMemoryBytes(value: string): number | undefined {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? units[m[2]!.toLowerCase()] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : undefined;
}

function limitOf(spec: ReturnType<typeof referredSpec>): number | undefined {
  const memory = spec?.kind === 'Redis' ? spec.resources?.limits?.memory : undefined;
  if (memory === undefined) return undefined;
  const q = parseQuantity(memory);
  return q.ok && q.bytes > 0 ? q.bytes : undefined;
}

/** The value of `maxmemory` among settings (directive names are case-insensitive). */
const maxmemoryOf = (config: Record<string, string>) =>
  Object.entries(config).find(([k]) => k.toLowerCase() === 'maxmemory')?.[1];

function problem(maxmemory: string, limit: number): string | undefined {
  const bytes = redisMemoryBytes(maxmemory);
  if (bytes === undefined || bytes === 0 || bytes < limit) return undefined;
  const advice = Math.floor((limit * 0.75) / 1024 ** 2);
  return `maxmemory ${maxmemory} is not below the memory limit ${formatBytes(limit)} (podTemplate resources.limits.memory): Redis would be killed for memory before maxmemory applies; set maxmemory to about 75% of the limit, such as ${advice}mb, or raise the limit`;
}

/** Refuses a Redis maxmemory that leaves no headroom under its memory limit. */
export const redisMemoryHeadroom: Rule = (entries, ctx) =>
  entries.flatMap((e) => {
    if (e.spec?.kind === 'Redis') {
      const limit = limitOf(e.spec);
      const set = maxmemoryOf(e.spec.config);
      const why = limit && set && problem(set, limit);
      return why
        ? [errorAt(e, ['spec', 'configuration', 'inline', 'redis.conf'], codes.invalidField, why)]
        : [];
    }
    const set = e.op?.configuration && maxmemoryOf(e.op.configuration.applyConfig);
    if (set === undefined) return [];
    const limit = limitOf(referredSpec(e, ctx));
    const why = limit && problem(set, limit);
    return why
      ? [
          errorAt(
            e,
            ['spec', 'configuration', 'applyConfig', 'redis.conf'],
            codes.invalidField,
            why,
          ),
        ]
      : [];
  });
