/** Raw autoscalers -> normalised Autoscaler: defaults, sizes in bytes, rule thresholds. */
import type { Autoscaler, ScalingRule } from '../api/desired.js';
import { parseDuration } from '../api/duration.js';
import { parseQuantity } from '../api/quantity.js';
import type { RawStorageAutoscaling } from '../api/schemas/autoscaler.js';
import { codes } from '../errors.js';
import { error, warning } from './problem.js';
import type { PathSegment, Problem } from './problem.js';

/** Which storage section an autoscaler used: it must match the database's mode. */
export type StorageSection = 'standalone' | 'cluster' | 'postgres';

/** A raw autoscaler after schema validation. */
export interface RawAutoscaler {
  kind: 'RedisAutoscaler' | 'PostgresAutoscaler';
  metadata: { name: string };
  spec: {
    databaseRef: { name: string };
    storage?: Partial<Record<StorageSection | 'sentinel', unknown>>;
    opsRequestOptions?: { timeout?: string; apply?: 'IfReady' | 'Always' };
  };
}

/** Normalises a validated autoscaler; undefined (with a warning) when it has no storage section. */
export function normaliseAutoscaler(raw: RawAutoscaler): {
  autoscaler: Omit<Autoscaler, 'origin'> | undefined;
  section: StorageSection | undefined;
  problems: Problem[];
} {
  const problems: Problem[] = [];
  const storage = raw.spec.storage ?? {};
  if (storage.sentinel !== undefined) {
    problems.push({
      ...error(
        codes.unsupported,
        ['spec', 'storage', 'sentinel'],
        'Sentinel mode is not supported yet: use storage.standalone or storage.cluster',
      ),
      atKey: true,
    });
  }
  const present = (['standalone', 'cluster', 'postgres'] as const).filter(
    (k) => storage[k] !== undefined,
  );
  if (present.length > 1) {
    problems.push(
      error(
        codes.invalidField,
        ['spec', 'storage'],
        `has both ${present.join(' and ')}: keep the one that matches the database's mode`,
      ),
    );
  }
  const section = present[0];
  if (section === undefined) {
    if (problems.length === 0)
      problems.push(
        warning(
          codes.invalidField,
          ['spec'],
          'has no storage section, so it does nothing: dbops autoscales storage only',
        ),
      );
    return { autoscaler: undefined, section, problems };
  }
  const base: PathSegment[] = ['spec', 'storage', section];
  const s = storage[section] as RawStorageAutoscaling;
  const rules: ScalingRule[] = (s.scalingRules ?? []).map((r, i) => {
    const upto = r.appliesUpto === '' ? null : bytesOf(r.appliesUpto);
    return {
      appliesUptoBytes: upto,
      threshold: threshold(r.threshold, [...base, 'scalingRules', i, 'threshold'], problems),
    };
  });
  const upper = s.upperBound === undefined ? undefined : bytesOf(s.upperBound);
  const opts = raw.spec.opsRequestOptions;
  const timeout = opts?.timeout === undefined ? undefined : parseDuration(opts.timeout);
  const autoscaler: Omit<Autoscaler, 'origin'> = {
    kind: raw.kind,
    name: raw.metadata.name,
    database: raw.spec.databaseRef.name,
    storage: {
      trigger: s.trigger === 'On',
      usageThreshold: s.usageThreshold ?? 80,
      scalingThreshold: s.scalingThreshold ?? 50,
      scalingRules: rules,
      ...(upper === undefined ? {} : { upperBoundBytes: upper }),
      expansionMode: s.expansionMode ?? 'Online',
    },
    opsRequestOptions: {
      ...(timeout?.ok ? { timeoutMs: timeout.ms } : {}),
      apply: opts?.apply ?? 'IfReady',
    },
  };
  const failed = problems.some((p) => p.severity === 'error');
  return { autoscaler: failed ? undefined : autoscaler, section, problems };
}

// Schema validation already rejected malformed quantities; this only converts.
function bytesOf(q: string | number): number {
  const r = parseQuantity(String(q));
  return r.ok ? r.bytes : 0;
}

function threshold(
  raw: string | number,
  path: PathSegment[],
  problems: Problem[],
): ScalingRule['threshold'] {
  const text = String(raw).trim();
  const pc = /^(\d+)pc$/.exec(text);
  if (pc) {
    const percent = Number(pc[1]);
    if (percent >= 1 && percent <= 1000) return { percent };
    problems.push(error(codes.invalidField, path, `${text} is out of range: use 1pc to 1000pc`));
    return { percent: 0 };
  }
  const q = parseQuantity(text);
  if (q.ok && q.bytes > 0) return { bytes: q.bytes };
  problems.push(
    error(
      codes.invalidField,
      path,
      `"${text}" must be a percentage such as 50pc or a size to add such as 10Gi`,
    ),
  );
  return { percent: 0 };
}
