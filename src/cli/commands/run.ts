import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { parseDuration } from '../../api/duration.js';
import { serveHttp } from '../../http/serve.js';
import { systemClock } from '../../platform/clock.js';
import { codes, stalled } from '../../errors.js';
import { parseAuthor } from '../../autoscale/commit-message.js';
import { assemble, defaultAutoscale, type AutoscaleConfig, type RunConfig } from '../../main.js';
import { createLogger } from '../../platform/logger.js';
import {
  badValue,
  branchOf,
  oneOf,
  parseCommand,
  runtimeOptions,
  runtimeTargetOf,
  stateDirOf,
  subPathOf,
} from '../args.js';
import type { CommandContext } from '../context.js';
import { listenForStop } from '../stop-signals.js';

export const runHelp = `Usage: dbops run --repo <url|path> [options]

Runs the controller: fetch -> validate -> plan -> execute, until stopped (SIGINT, SIGTERM,
SIGHUP, or a closed stdout/stderr such as the end of a pipe).
Databases keep running when the controller stops; the next controller adopts them.

Options:
  --repo <url|path>        http(s) Git remote or local repository (required)
  --branch <name>          branch to follow (default: the remote's HEAD, else main)
  --path <dir>             sub-path of the repository holding the manifests (default: root)
  --runtime <kind>         local (default): processes on this machine, state in --state-dir;
                           kubernetes: StatefulSets in --namespace, the state in a ConfigMap
                           and leadership in a Lease there (what it does not do yet: see the
                           README)
  --kubeconfig <file>      with --runtime kubernetes: the cluster and credentials (default:
                           in-cluster service account, else KUBECONFIG or ~/.kube/config)
  --context <name>         with --runtime kubernetes: a context of the kubeconfig
  --namespace <name>       with --runtime kubernetes: where the databases, state and Lease
                           live (default: the context's namespace, else default)
  --reach <how>            with --runtime kubernetes: how the controller reaches the servers:
                           pod (their addresses; the default in a pod) or port-forward
                           (through the API server; the default outside the cluster)
  --volumes <kind>         auto | loop | directory: volumes of new members; loop = a real
                           XFS image per member, grown online (needs root, xfsprogs);
                           auto = loop where possible (default), else directory
  --secrets-dir <dir>      local runtime: the Secrets that manifests name (authSecret.name,
                           configuration.secretName), outside the repository (default
                           <state-dir>/secrets, or DBOPS_SECRETS_DIR; README: Secrets)
  --interval <duration>    fetch and repair interval, e.g. 30s, 1m (default 30s)
  --git-timeout <duration> timeout of each request to the Git remote (default 30s, or
                           DBOPS_GIT_TIMEOUT_MS)
  --git-credentials <file> file with "token" or "user:password" (mode 0600); or set
                           DBOPS_GIT_TOKEN, or DBOPS_GIT_USERNAME and DBOPS_GIT_PASSWORD
  --http <host:port>       serve /healthz, /readyz, /metrics, /api/v1/status and webhooks
                           (/hooks/github|gitlab|gitea|generic) on this address
  --webhook-secret <file>  file holding the webhook secret (or DBOPS_WEBHOOK_SECRET);
                           webhooks are refused without one
  --autoscale-interval <d> how often the storage autoscaler samples volumes (default 5s)
  --autoscale-cooldown <d> no new expansion of a database this long after one ended
                           (default 1m)
  --autoscale-branch <pfx> review mode: push each autoscaler decision to its own branch
                           <pfx>/<database>-<time> instead of the watched branch
  --signing-key <file>     armored OpenPGP private key (mode 0600) that signs the
                           autoscaler's commits; a passphrase comes from
                           DBOPS_SIGNING_PASSPHRASE
  --trusted-keys <file>    apply only revisions whose every new commit is signed by a key
                           of this file and stays within that key's paths (README: Trust)
  --bot-author "N <e>"     author of the autoscaler's commits
                           (default "dbops-autoscaler <dbops-autoscaler@localhost>")
  --once                   run one round, wait for it, exit 0 when every database is Ready
  --stop-on-exit           stop the database processes when the controller exits, and
                           unmount their volumes (dbops down does it later)
  --state-dir <dir>        state directory (default .dbops, or DBOPS_STATE_DIR)
  --log-level <level>      trace | debug | info | warn | error (default info)
`;

const options = {
  repo: { type: 'string' },
  branch: { type: 'string' },
  path: { type: 'string' },
  ...runtimeOptions,
  interval: { type: 'string' },
  volumes: { type: 'string' },
  'secrets-dir': { type: 'string' },
  'git-credentials': { type: 'string' },
  'git-timeout': { type: 'string' },
  http: { type: 'string' },
  'webhook-secret': { type: 'string' },
  'autoscale-interval': { type: 'string' },
  'autoscale-cooldown': { type: 'string' },
  'autoscale-branch': { type: 'string' },
  'bot-author': { type: 'string' },
  'signing-key': { type: 'string' },
  'trusted-keys': { type: 'string' },
  once: { type: 'boolean' },
  'stop-on-exit': { type: 'boolean' },
} as const;

function durationFlag(flag: string, value: string | undefined, minMs: number, fallback: number) {
  if (value === undefined) return fallback;
  const d = parseDuration(value);
  if (!d.ok || d.ms < minMs) badValue(flag, value, `a duration of at least ${minMs}ms, e.g. 5s`);
  return d.ms;
}

/** The autoscaler's flags; the defaults are `defaultAutoscale`. */
function autoscaleOf(values: {
  'autoscale-interval'?: string;
  'autoscale-cooldown'?: string;
  'autoscale-branch'?: string;
  'bot-author'?: string;
}): AutoscaleConfig {
  const d = defaultAutoscale;
  const author = values['bot-author'];
  const parsed = author === undefined ? d.author : parseAuthor(author);
  if (!parsed)
    badValue('bot-author', author ?? '', '"Name <email>", e.g. "dbops bot <bot@example.com>"');
  const prefix = values['autoscale-branch'];
  if (
    prefix !== undefined &&
    !/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/.test(prefix)
  ) {
    badValue('autoscale-branch', prefix, 'a branch name prefix such as dbops/autoscale');
  }
  return {
    intervalMs: durationFlag('autoscale-interval', values['autoscale-interval'], 100, d.intervalMs),
    cooldownMs: durationFlag('autoscale-cooldown', values['autoscale-cooldown'], 0, d.cooldownMs),
    author: parsed,
    ...(prefix === undefined ? {} : { branchPrefix: prefix }),
  };
}

/** Validates `dbops run` flags into a RunConfig; every bad value is a usage error. */
export function runConfigOf(argv: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseCommand('run', argv, options, 0);
  if (!values.repo) {
    throw stalled(codes.usage, 'dbops run: --repo is required', {
      hint: 'pass an http(s) Git URL or the path of a local repository, e.g. --repo ./examples-repo',
    });
  }
  let intervalMs = 30_000;
  if (values.interval !== undefined) {
    const d = parseDuration(values.interval);
    if (!d.ok || d.ms < 1000)
      badValue('interval', values.interval, 'a duration of at least 1s, e.g. 30s or 2m');
    intervalMs = d.ms;
  }
  let gitTimeoutMs: number | undefined;
  const timeoutText =
    values['git-timeout'] ??
    (env.DBOPS_GIT_TIMEOUT_MS ? `${env.DBOPS_GIT_TIMEOUT_MS}ms` : undefined);
  if (timeoutText !== undefined) {
    const d = parseDuration(timeoutText);
    if (!d.ok || d.ms < 100)
      badValue('git-timeout', timeoutText, 'a duration of at least 100ms, e.g. 30s');
    gitTimeoutMs = d.ms;
  }
  const target = runtimeTargetOf(values);
  const secretsDir = secretsDirOf(values['secrets-dir'], env, values.repo, target.runtime);
  const config: RunConfig = {
    repo: values.repo,
    branch: branchOf(values.branch),
    path: subPathOf(values.path),
    stateDir: stateDirOf(values['state-dir'], env),
    intervalMs,
    runtime: target.runtime,
    ...(target.runtime === 'kubernetes' ? { kube: target.kube } : {}),
    credentialsFile: values['git-credentials'],
    gitTimeoutMs,
    volumes: oneOf('volumes', values.volumes, ['auto', 'loop', 'directory'] as const, 'auto'),
    ...(secretsDir ? { secretsDir } : {}),
    autoscale: autoscaleOf(values),
    ...(values['signing-key'] ? { signingKeyFile: values['signing-key'] } : {}),
    ...(values['trusted-keys'] ? { trustedKeysFile: values['trusted-keys'] } : {}),
  };
  return { config, values, http: httpAddressOf(values.http) };
}

/**
 * --secrets-dir (else DBOPS_SECRETS_DIR): a local runtime's directory, never inside the
 * repository it watches (Secrets must not reach Git). Kubernetes keeps Secrets in the cluster.
 */
export function secretsDirOf(
  value: string | undefined,
  env: NodeJS.ProcessEnv,
  repo: string,
  runtime: 'local' | 'kubernetes',
): string | undefined {
  if (value !== undefined && runtime === 'kubernetes') {
    throw stalled(codes.usage, 'dbops run: --secrets-dir is for the local runtime', {
      hint: 'the Kubernetes runtime reads the Secrets of its namespace: create them with kubectl',
    });
  }
  const dir = value ?? (runtime === 'local' ? env.DBOPS_SECRETS_DIR : undefined);
  if (dir === undefined) return undefined;
  if (dir.trim() === '' || dir.includes('\0'))
    return badValue('secrets-dir', dir, 'a directory path');
  const inside = relative(resolve(repo), resolve(dir));
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) && !inside.startsWith('..') && !isAbsolute(inside)) {
    return badValue(
      'secrets-dir',
      dir,
      'a directory outside the repository (Secrets stay out of Git)',
    );
  }
  return dir;
}

/** Parses `host:port` for --http; the port may be 0 (any). */
export function httpAddressOf(
  value: string | undefined,
): { host: string; port: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(.*):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) return badValue('http', value, 'host:port, e.g. 127.0.0.1:8080');
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

async function webhookSecret(file: string | undefined, env: NodeJS.ProcessEnv) {
  if (file === undefined) return env.DBOPS_WEBHOOK_SECRET || undefined;
  try {
    const secret = (await readFile(file, 'utf8')).trim();
    if (secret) return secret;
  } catch (err) {
    throw stalled(
      codes.config,
      `cannot read the webhook secret file ${file}: ${(err as Error).message}`,
      {},
    );
  }
  throw stalled(codes.config, `the webhook secret file ${file} is empty`);
}

/** `dbops run`: the controller in the foreground. */
export async function runCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { config, values, http } = runConfigOf(argv, ctx.env);
  const secret = await webhookSecret(values['webhook-secret'], ctx.env);
  const log = createLogger({ level: values['log-level'] ?? ctx.env.DBOPS_LOG_LEVEL });
  const app = await assemble(config, log, ctx.env);
  const endpoint = http
    ? await serveHttp({
        ...http,
        deps: {
          status: () => app.controller.status(),
          refresh: () => app.controller.refresh(),
          ready: () => app.controller.ready(),
          metrics: app.metrics,
          webhook: secret ? { secret, branch: config.branch } : undefined,
          log: log.child({ component: 'http' }),
          clock: systemClock,
        },
      }).catch(async (err: unknown) => {
        await app.close({ stopMembers: false });
        throw err;
      })
    : undefined;
  if (endpoint) log.info({ address: `${http?.host}:${endpoint.port}` }, 'serving http');
  if (values.once) {
    await app.controller.round({ fetch: true });
    await app.controller.idle();
    const doc = app.controller.status();
    await endpoint?.close();
    await app.close({ stopMembers: Boolean(values['stop-on-exit']) });
    const notReady = doc.databases.filter((d) => d.phase !== 'Ready' && d.phase !== 'Halted');
    for (const d of notReady) ctx.stderr.write(`${d.name}: ${d.phase}\n`);
    return notReady.length === 0 && !doc.sourceError ? 0 : 1;
  }
  const stop = listenForStop(
    { signals: process, outputs: { stdout: ctx.stdout, stderr: ctx.stderr } },
    (reason, first) => log.info(`${reason}: ${first ? 'stopping' : 'already stopping'}`),
  );
  log.info(
    { source: config.repo.replace(/\/\/[^@/]*@/, '//'), stateDir: config.stateDir },
    'controller started',
  );
  try {
    await app.run(stop.signal);
    await endpoint?.close();
    await app.close({ stopMembers: Boolean(values['stop-on-exit']) });
  } finally {
    stop.dispose();
  }
  return 0;
}
