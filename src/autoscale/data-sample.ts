/**
 * Database-reported sizes for the autoscaler's samples (Postgres databases plus WAL, Redis
 * AOF): extra signals shown in status and metrics, never the trigger, which stays the
 * filesystem's usage.
 */
import type { DatabaseKind } from '../api/desired.js';
import type { AutoscalerStatus } from '../api/status.js';
import { formatError } from '../errors.js';
import type { Logger } from '../platform/logger.js';
import type { Credentials, Endpoint, Runtime } from '../runtime/runtime.js';

/** What one member's server reports its data takes, in bytes; undefined when it does not say. */
export type DataBytes = (
  kind: DatabaseKind,
  endpoint: Endpoint,
  credentials: Credentials,
) => Promise<number | undefined>;

/** How often a database's sizes are read at most, by default: probes cost more than statfs. */
export const defaultDataIntervalMs = 30_000;

/** The sizes of one sample: when they were read (undefined: never) and bytes by member. */
export interface DataSample {
  at: string | undefined;
  bytes: Map<string, number>;
}

/**
 * The database sizes for a sample taken at `now`. Returns the previous sample's values when
 * the last read is less than `intervalMs` old; otherwise reads every running member of the
 * database at once. A member that does not answer has no value: a failure is logged at debug
 * and never thrown.
 */
export async function dataSample(input: {
  previous: AutoscalerStatus['usage'];
  database: string;
  now: number;
  intervalMs: number;
  runtime: Runtime;
  read: DataBytes;
  log: Logger;
}): Promise<DataSample> {
  const { previous, database, now, log } = input;
  const last = previous?.dataSampledAt ? Date.parse(previous.dataSampledAt) : NaN;
  // A clock that went back makes the last read look future: read again rather than wait.
  if (now >= last && now - last < input.intervalMs) {
    const bytes = new Map<string, number>();
    for (const m of previous?.members ?? []) {
      if (m.dataBytes !== undefined) bytes.set(m.member, m.dataBytes);
    }
    return { at: previous?.dataSampledAt, bytes };
  }
  const bytes = new Map<string, number>();
  const at = new Date(now).toISOString();
  try {
    const [observed, credentials] = await Promise.all([
      input.runtime.observe(database),
      input.runtime.credentials(database),
    ]);
    if (!observed || !credentials) return { at, bytes };
    const running = observed.members.filter((m) => m.running);
    await Promise.all(
      running.map(async (m) => {
        try {
          const n = await input.read(observed.kind, m.endpoint, credentials);
          if (n !== undefined) bytes.set(m.name, n);
        } catch (err) {
          log.debug({ database, member: m.name, err: formatError(err) }, 'database size unread');
        }
      }),
    );
  } catch (err) {
    log.debug({ database, err: formatError(err) }, 'database sizes unread');
  }
  return { at, bytes };
}
