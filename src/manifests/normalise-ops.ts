/**
 * Raw OpsRequests -> normalised OpsRequest content: the type's section is required and the
 * others are forbidden, sizes in bytes, config text parsed and checked, defaults applied.
 */
import type { OpsRequest, OpsType } from '../api/desired.js';
import { parseDuration } from '../api/duration.js';
import { parseQuantity } from '../api/quantity.js';
import { supportedOpsTypes } from '../api/schemas/ops.js';
import { codes } from '../errors.js';
import { sectionConfig } from './config-text.js';
import { error } from './problem.js';
import type { Problem } from './problem.js';

/** An OpsRequest without its origin and digest (filled by the loader). */
export type OpsContent = Omit<OpsRequest, 'origin' | 'digest'>;

/** A raw OpsRequest after schema validation. */
export interface RawOps {
  kind: 'RedisOpsRequest' | 'PostgresOpsRequest';
  metadata: { name: string };
  spec: {
    databaseRef: { name: string };
    type: string;
    volumeExpansion?: { mode?: 'Online' | 'Offline'; [engine: string]: unknown };
    configuration?: {
      applyConfig?: Record<string, string>;
      removeCustomConfig?: boolean;
      restart?: 'auto' | 'true' | 'false' | boolean;
    };
    horizontalScaling?: { shards?: number; replicas?: number };
    timeout?: string;
    apply?: 'IfReady' | 'Always';
    [section: string]: unknown;
  };
}

const sectionOf: Record<string, string> = {
  VolumeExpansion: 'volumeExpansion',
  Reconfigure: 'configuration',
  HorizontalScaling: 'horizontalScaling',
  VerticalScaling: 'verticalScaling',
  UpdateVersion: 'updateVersion',
  ReconfigureTLS: 'tls',
};
const sections = [
  'volumeExpansion',
  'configuration',
  'horizontalScaling',
  'verticalScaling',
  'updateVersion',
  'tls',
];

/** Normalises a validated OpsRequest; the content is undefined when a problem is fatal. */
export function normaliseOps(raw: RawOps): { op: OpsContent | undefined; problems: Problem[] } {
  const problems: Problem[] = [];
  const s = raw.spec;
  const type = s.type;
  if (!(supportedOpsTypes as readonly string[]).includes(type)) {
    problems.push(
      error(
        codes.unsupported,
        ['spec', 'type'],
        `${type} is not supported by dbops yet: supported types are ${supportedOpsTypes.join(', ')}`,
      ),
    );
    return { op: undefined, problems };
  }
  const own = sectionOf[type];
  for (const section of sections) {
    if (section !== own && s[section] !== undefined) {
      problems.push({
        ...error(
          codes.invalidField,
          ['spec', section],
          `is only valid with type ${typeFor(section)}: remove it, or change spec.type`,
        ),
        atKey: true,
      });
    }
  }
  if (own !== undefined && s[own] === undefined) {
    problems.push(
      error(codes.missingField, ['spec', own], `spec.${own} is required for type ${type}`),
    );
  }
  const op: OpsContent = {
    kind: raw.kind,
    name: raw.metadata.name,
    database: s.databaseRef.name,
    type: type as OpsType,
    apply: s.apply ?? 'IfReady',
  };
  if (s.timeout !== undefined) {
    const d = parseDuration(s.timeout);
    if (d.ok) op.timeoutMs = d.ms;
  }
  const engine = raw.kind === 'RedisOpsRequest' ? 'redis' : 'postgres';
  if (type === 'VolumeExpansion' && s.volumeExpansion) {
    const size = s.volumeExpansion[engine];
    const q = parseQuantity(
      typeof size === 'number' ? String(size) : typeof size === 'string' ? size : '',
    );
    if (q.ok && q.bytes === 0)
      problems.push(
        error(
          codes.invalidQuantity,
          ['spec', 'volumeExpansion', engine],
          'must be greater than 0, for example 2Gi',
        ),
      );
    op.volumeExpansion = { mode: s.volumeExpansion.mode ?? 'Online', bytes: q.ok ? q.bytes : 0 };
  }
  if (type === 'Reconfigure' && s.configuration) {
    const c = s.configuration;
    const file = engine === 'redis' ? 'redis.conf' : 'user.conf';
    const applyConfig = sectionConfig(
      file,
      c.applyConfig,
      ['spec', 'configuration', 'applyConfig'],
      problems,
    );
    const given = Object.values(c.applyConfig ?? {}).some((t) => t !== undefined);
    if (!given && c.removeCustomConfig !== true) {
      problems.push(
        error(
          codes.missingField,
          ['spec', 'configuration', 'applyConfig'],
          `a Reconfigure needs applyConfig (for example applyConfig: { ${file}: "maxmemory 512mb" }) or removeCustomConfig: true`,
        ),
      );
    }
    const restart =
      c.restart === undefined
        ? 'auto'
        : typeof c.restart === 'boolean'
          ? c.restart
            ? 'true'
            : 'false'
          : c.restart;
    op.configuration = { applyConfig, removeCustomConfig: c.removeCustomConfig ?? false, restart };
  }
  if (type === 'HorizontalScaling' && s.horizontalScaling) {
    const h = s.horizontalScaling;
    if (h.shards === undefined && h.replicas === undefined) {
      const want = engine === 'redis' ? 'shards and/or replicas' : 'replicas';
      problems.push(
        error(
          codes.missingField,
          ['spec', 'horizontalScaling'],
          `needs ${want}, for example horizontalScaling: { replicas: 3 }`,
        ),
      );
    }
    op.horizontalScaling = {
      ...(h.shards === undefined ? {} : { shards: h.shards }),
      ...(h.replicas === undefined ? {} : { replicas: h.replicas }),
    };
  }
  return { op: problems.some((p) => p.severity === 'error') ? undefined : op, problems };
}

function typeFor(section: string): string {
  return Object.entries(sectionOf).find(([, v]) => v === section)?.[0] ?? section;
}
