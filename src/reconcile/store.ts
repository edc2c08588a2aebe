import { join } from 'node:path';
import type { Condition } from '../api/conditions.js';
import type { DatabaseSpec } from '../api/desired.js';
import type {
  DatabasePhase,
  DatabaseStatus,
  InitStatus,
  MemberStatus,
  OpsRequestStatus,
  StatusDocument,
} from '../api/status.js';
import { publicAutoscaler, type AutoscalerRecord } from '../autoscale/record.js';
import type { StoredOp } from './derive.js';
import { codes, stalled } from '../errors.js';
import { readJson, writeJsonAtomic } from '../platform/files.js';

/** What the controller remembers about one database across restarts. */
export interface DatabaseRecord {
  name: string;
  kind: 'Redis' | 'Postgres';
  mode: string;
  /** The last valid effective spec (the target), and its revision. */
  lastGood: DatabaseSpec | null;
  lastGoodRevision: string | null;
  /** The spec the database runs at: provisioning and successful operations move it. */
  applied: DatabaseSpec | null;
  /** Effective fields with their provenance (see DatabaseStatus.effective). */
  effective: DatabaseStatus['effective'];
  haltedForRemoval: boolean;
  /** spec.init.script's run (see InitStatus). */
  init?: InitStatus;
  phase: DatabasePhase;
  runningVersion: string | null;
  conditions: Condition[];
  members: MemberStatus[];
  /**
   * When the controller last finished a pass over the database (its operations, then the
   * reconcile steps), ISO time; absent before the first. In status.json only: it tells the
   * work of a controller started later from what the one before left in the file.
   */
  reconciledAt?: string;
}

/** The controller's durable state (status.json under the state dir). */
export interface ControllerState extends Omit<
  StatusDocument,
  'databases' | 'opsRequests' | 'autoscalers'
> {
  databases: Record<string, DatabaseRecord>;
  /** Operations by id: OpsRequests and operations derived from spec changes. */
  operations: Record<string, StoredOp>;
  /** Path -> blob id and the revision it was first seen at (provenance without history). */
  seen: Record<string, { oid: string; revision: string }>;
  /** Storage autoscalers by database (autoscale/record.ts). */
  autoscalers?: Record<string, AutoscalerRecord>;
}

/** An empty state for a fresh state dir. */
export function emptyState(source: string, runtime: string): ControllerState {
  return {
    apiVersion: 'dbops.dev/v1',
    revision: null,
    source,
    runtime,
    updatedAt: new Date(0).toISOString(),
    sourceError: null,
    conditions: [],
    errors: [],
    databases: {},
    operations: {},
    seen: {},
  };
}

/** Path of the status file inside a state dir. */
export function statusPath(stateDir: string): string {
  return join(stateDir, 'status.json');
}

/** Fills what states saved by earlier versions lack, in place; returns `state`. */
export function upgradeState(state: ControllerState): ControllerState {
  // Saved before operations existed: the database runs at its last good spec.
  state.operations ??= {};
  state.conditions ??= [];
  for (const d of Object.values(state.databases)) {
    d.applied ??= d.lastGood;
    d.effective ??= {};
  }
  return state;
}

/** Loads the state, or undefined for a fresh state dir; a corrupt file is a clear error. */
export async function loadState(stateDir: string): Promise<ControllerState | undefined> {
  const path = statusPath(stateDir);
  try {
    const state = await readJson<ControllerState>(path);
    return state ? upgradeState(state) : undefined;
  } catch (err) {
    throw stalled(codes.stateCorrupt, `cannot read ${path}: ${(err as Error).message}`, {
      hint: 'the file is written atomically, so this means it was edited by hand: restore it or move it away (the controller rebuilds it, data is not affected)',
      cause: err,
    });
  }
}

/** Writes the state atomically; writes are serialised so the newest always wins. */
export class StateWriter {
  private chain: Promise<void> = Promise.resolve();
  constructor(private readonly stateDir: string) {}

  /** Queues a write of a snapshot of `state`. */
  save(state: ControllerState): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(state)) as ControllerState;
    this.chain = this.chain.then(() => writeJsonAtomic(statusPath(this.stateDir), snapshot));
    return this.chain;
  }
}

/** The public, documented view of the state (`dbops status --output json`). */
export function toStatusDocument(state: ControllerState): StatusDocument {
  return {
    apiVersion: 'dbops.dev/v1',
    revision: state.revision,
    source: state.source,
    runtime: state.runtime,
    updatedAt: state.updatedAt,
    sourceError: state.sourceError,
    conditions: state.conditions,
    errors: state.errors,
    databases: Object.values(state.databases)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((d) => ({
        name: d.name,
        kind: d.kind,
        mode: d.mode,
        phase: d.phase,
        revision: d.lastGoodRevision,
        version: { desired: d.lastGood?.version ?? '', running: d.runningVersion },
        conditions: d.conditions,
        members: d.members,
        effective: d.effective,
        applied: d.applied,
        haltedForRemoval: d.haltedForRemoval,
        ...(d.init ? { init: d.init } : {}),
      })),
    opsRequests: Object.values(state.operations).map(publicOp),
    autoscalers: Object.values(state.autoscalers ?? {})
      .sort((a, b) => a.database.localeCompare(b.database))
      .map(publicAutoscaler),
  };
}

/** The public view of a stored operation. */
export function publicOp(o: StoredOp): OpsRequestStatus {
  return {
    name: o.id,
    database: o.database,
    type: o.type,
    phase: o.phase,
    file: o.file,
    digest: o.digest,
    origin: o.source,
    revision: o.revision,
    position: o.position,
    reason: o.reason,
    message: o.message,
    createdAt: o.createdAt,
    startedAt: o.startedAt,
    finishedAt: o.finishedAt,
    steps: o.steps,
  };
}
