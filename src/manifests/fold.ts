/**
 * The effective desired state of a database (DESIGN §2): its spec folded with every
 * OpsRequest that refers to it, in the order of their file paths, with the provenance of
 * every field.
 */
import type { DatabaseSpec, OpsRequest, Origin, Provenance } from '../api/desired.js';
import { formatBytes } from '../api/quantity.js';

/** Provenance of every field of a spec as written in its file. */
export function baseProvenance(base: DatabaseSpec, origin: Origin): Provenance {
  const provenance: Provenance = {};
  for (const [key, value] of Object.entries(base)) {
    if (key === 'name' || key === 'kind' || key === 'config' || value === undefined) continue;
    provenance[`spec.${key}`] = origin;
  }
  for (const key of Object.keys(base.config)) provenance[`spec.config.${key}`] = origin;
  return provenance;
}

function byFile(a: OpsRequest, b: OpsRequest): number {
  return a.origin.file < b.origin.file ? -1 : a.origin.file > b.origin.file ? 1 : 0;
}

/**
 * Folds `ops` onto `base`: VolumeExpansion keeps the largest size, Reconfigure drops and/or
 * merges the custom configuration, HorizontalScaling sets shards/replicas (later wins),
 * other types change nothing. Ops of other databases are skipped. Pure.
 */
export function foldDatabase(
  base: DatabaseSpec,
  origin: Origin,
  ops: OpsRequest[],
): { spec: DatabaseSpec; provenance: Provenance; notes: string[] } {
  const spec: DatabaseSpec = { ...base, config: { ...base.config } };
  const provenance = baseProvenance(base, origin);
  const notes: string[] = [];
  // Array.prototype.sort is stable: documents of one file keep their order.
  const ordered = ops.filter((op) => op.database === base.name).sort(byFile);
  for (const op of ordered) {
    const by = `OpsRequest ${op.name} (${op.origin.file})`;
    if (op.type === 'VolumeExpansion' && op.volumeExpansion) {
      const wanted = op.volumeExpansion.bytes;
      if (wanted > spec.storageBytes) {
        spec.storageBytes = wanted;
        provenance['spec.storageBytes'] = op.origin;
      } else if (wanted < spec.storageBytes) {
        notes.push(
          `${by} asks for ${formatBytes(wanted)}, below the current ${formatBytes(spec.storageBytes)}: volumes never shrink, the size stays ${formatBytes(spec.storageBytes)}`,
        );
      }
    } else if (op.type === 'Reconfigure' && op.configuration) {
      if (op.configuration.removeCustomConfig) {
        spec.config = {};
        for (const key of Object.keys(provenance))
          if (key.startsWith('spec.config.')) delete provenance[key];
      }
      for (const [key, value] of Object.entries(op.configuration.applyConfig)) {
        spec.config[key] = value;
        provenance[`spec.config.${key}`] = op.origin;
      }
    } else if (op.type === 'HorizontalScaling' && op.horizontalScaling) {
      const { shards, replicas } = op.horizontalScaling;
      if (shards !== undefined) {
        if (spec.kind === 'Redis' && spec.mode === 'Cluster') {
          spec.shards = shards;
          provenance['spec.shards'] = op.origin;
        } else notes.push(`${by} sets shards, which only a Redis Cluster has: ignored`);
      }
      if (replicas !== undefined) {
        if (spec.kind === 'Postgres' || spec.mode === 'Cluster') {
          spec.replicas = replicas;
          provenance['spec.replicas'] = op.origin;
        } else
          notes.push(`${by} sets replicas on a Standalone Redis, which runs one server: ignored`);
      }
    }
  }
  return { spec, provenance, notes };
}
