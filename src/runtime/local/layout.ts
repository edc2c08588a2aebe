import { readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { DatabaseKind, DatabaseSpec } from '../../api/desired.js';
import { codes, stalled } from '../../errors.js';
import { readJson, writeJsonAtomic } from '../../platform/files.js';
import type { PlannedRole } from '../runtime.js';

/** `<stateDir>/runtime/<db>/db.json`: what the runtime last applied to a database. */
export interface DbFile {
  name: string;
  kind: DatabaseKind;
  halted: boolean;
  lastSpec?: DatabaseSpec;
  notes: string[];
}

/** How a member's data is stored: a plain directory, or a loop-mounted filesystem image. */
export type VolumeType = 'directory' | 'loop';

/** `members/<member>/member.json`: one member's port, process and history. */
export interface MemberFile {
  name: string;
  shard: number;
  ordinal: number;
  role: PlannedRole;
  port: number;
  /** Cluster bus port (Redis Cluster members only). */
  busPort?: number;
  pid?: number;
  startedAt?: number;
  binary?: string;
  version?: string;
  /** False once the member was stopped on purpose (not in the plan): never restarted. */
  wanted: boolean;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; at: number };
  /** Chosen at creation; absent on members made before loop volumes: a directory. */
  volumeType?: VolumeType;
  /** Directory: the accounted capacity. Loop: the filesystem size last measured. */
  capacityBytes?: number;
  /** Stopped by stopMember: the supervisor leaves it down until startMember/ensureMembers. */
  stoppedForOperation?: boolean;
}

/** Paths of one state directory; every path is checked to stay inside it. */
export class Layout {
  readonly root: string;

  constructor(stateDir: string) {
    this.root = resolve(stateDir, 'runtime');
  }

  private inside(...segments: string[]): string {
    const p = resolve(this.root, ...segments);
    const rel = relative(this.root, p);
    if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..')) {
      throw stalled(codes.internal, `path ${p} escapes the state directory ${this.root}`);
    }
    return p;
  }

  /** `<root>/<db>`. */
  dbDir(db: string): string {
    return this.inside(name(db));
  }
  /** `<root>/<db>/db.json`. */
  dbFile(db: string): string {
    return this.inside(name(db), 'db.json');
  }
  /** `<root>/<db>/credentials.json`. */
  credentialsFile(db: string): string {
    return this.inside(name(db), 'credentials.json');
  }
  /** `<root>/<db>/members`. */
  membersDir(db: string): string {
    return this.inside(name(db), 'members');
  }
  /** `<root>/<db>/members/<member>`. */
  memberDir(db: string, member: string): string {
    return this.inside(name(db), 'members', name(member));
  }
  /** The member's data directory (Redis `dir`, Postgres `-D`); inside the mount for loop. */
  dataDir(db: string, member: string, volume: VolumeType = 'directory'): string {
    const base = this.memberDir(db, member);
    return volume === 'loop' ? join(base, 'volume', 'data') : join(base, 'data');
  }
  /** Where a loop volume's image is mounted. */
  mountPoint(db: string, member: string): string {
    return join(this.memberDir(db, member), 'volume');
  }
  /** A loop volume's filesystem image. */
  volumeImage(db: string, member: string): string {
    return join(this.memberDir(db, member), 'volume.img');
  }
  /** Scratch space (validation servers, the loop probe); hidden from `databases()`. */
  scratchDir(): string {
    return join(this.root, '.scratch');
  }
  /** `member.json` of a member. */
  memberFile(db: string, member: string): string {
    return join(this.memberDir(db, member), 'member.json');
  }
  /** Where stdout and stderr of the member's process are appended. */
  logFile(db: string, member: string): string {
    return join(this.memberDir(db, member), 'server.log');
  }
  /** Redis: the generated redis.conf. Postgres: dbops.conf inside the data dir. */
  configFile(kind: DatabaseKind, db: string, member: string, volume?: VolumeType): string {
    return kind === 'Redis'
      ? join(this.memberDir(db, member), 'redis.conf')
      : join(this.dataDir(db, member, volume), 'dbops.conf');
  }
  /** What /proc/<pid>/cmdline of this member's process contains (pid-reuse guard). */
  processMarker(kind: DatabaseKind, db: string, member: string, volume?: VolumeType): string {
    return kind === 'Redis' ? this.configFile(kind, db, member) : this.dataDir(db, member, volume);
  }

  /** Database names with a directory under the runtime root. */
  async databases(): Promise<string[]> {
    return listDirs(this.root);
  }
  /** Member names with a directory under the database. */
  async members(db: string): Promise<string[]> {
    return listDirs(this.membersDir(db));
  }

  /** Reads db.json; undefined when the database has none. */
  readDb(db: string): Promise<DbFile | undefined> {
    return readJson<DbFile>(this.dbFile(db));
  }
  /** Writes db.json atomically. */
  writeDb(file: DbFile): Promise<void> {
    return writeJsonAtomic(this.dbFile(file.name), file);
  }
  /** Reads member.json; undefined when the member has none. */
  readMember(db: string, member: string): Promise<MemberFile | undefined> {
    return readJson<MemberFile>(this.memberFile(db, member));
  }
  /** Writes member.json atomically. */
  writeMember(db: string, file: MemberFile): Promise<void> {
    return writeJsonAtomic(this.memberFile(db, file.name), file);
  }
}

// Database and member names are validated DNS labels upstream; this keeps a bad one from
// naming a different level of the tree ("", ".", "..", anything with a slash).
function name(n: string): string {
  if (n === '' || n === '.' || n === '..' || n.includes('/') || n.includes('\0')) {
    throw stalled(codes.internal, `"${n}" cannot be used as a database or member name`);
  }
  return n;
}

async function listDirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
