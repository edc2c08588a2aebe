import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const source = join(import.meta.dirname, '..', 'tools', 'promcheck');

/** One sample as Prometheus' text parser read it. */
export interface ParsedSample {
  labels: Record<string, string>;
  value?: number;
  /** Histograms: cumulative counts by upper bound as the text spells it ("0.5", "+Inf"). */
  buckets?: { le: string; count: number }[];
  count?: number;
  sum?: number;
}

/** One metric family as Prometheus' text parser read it; type is GAUGE, COUNTER, HISTOGRAM... */
export interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  samples: ParsedSample[];
}

/** What Prometheus' parser and linter make of a /metrics body. */
export interface PromCheck {
  families: ParsedFamily[];
  /** promlint's findings (`promtool check metrics`): naming, units, missing HELP. */
  problems: { metric: string; text: string }[];
}

/** Why promcheck cannot run here, or undefined when it can (it needs a Go toolchain). */
export function promcheckUnavailable(): string | undefined {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  return go.status === 0 ? undefined : 'no Go toolchain to build test/tools/promcheck';
}

let built: Promise<string> | undefined;

/**
 * Builds test/tools/promcheck once per source version into the temp dir (about 20 s cold,
 * modules from the Go module proxy) and returns the binary's path.
 */
function binary(): Promise<string> {
  return (built ??= (async () => {
    const hash = createHash('sha256');
    for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(await readFile(join(source, f)));
    const dir = join(tmpdir(), `dbops-promcheck-${hash.digest('hex').slice(0, 16)}`);
    const bin = join(dir, 'promcheck');
    if (await stat(bin).catch(() => undefined)) return bin;
    await mkdir(dir, { recursive: true });
    const partial = `${bin}.${process.pid}`;
    const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-modcacherw', CGO_ENABLED: '0' };
    await run('go', ['build', '-trimpath', '-o', partial, '.'], { cwd: source, env });
    await rename(partial, bin);
    return bin;
  })());
}

/**
 * Parses a /metrics body with Prometheus' own text parser (prometheus/common expfmt) and lints
 * it with promlint; rejects with the parser's message when the body is not valid exposition.
 */
export async function promcheck(body: string): Promise<PromCheck> {
  const bin = await binary();
  return new Promise((resolve, reject) => {
    const child = execFile(bin, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`promcheck: ${stderr.trim() || err.message}`));
      else resolve(JSON.parse(stdout) as PromCheck);
    });
    child.stdin?.end(body);
  });
}
