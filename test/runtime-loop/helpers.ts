import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { waitFor, systemClock } from '../../src/platform/clock.js';

const exec = promisify(execFile);
const env = { PATH: '/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin', LANG: 'C' };

/** Runs a system tool directly (tests check the module against the tools' own view). */
export async function tool(file: string, args: string[]): Promise<string> {
  return (await exec(file, args, { env })).stdout;
}

/** Loop devices attached to `image`, as losetup -j lists them. */
export async function loopDevicesOf(image: string): Promise<string[]> {
  const out = await tool('losetup', ['-n', '-O', 'NAME', '-j', image]).catch(() => '');
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** True when something is mounted at `path` (per /proc/self/mountinfo). */
export async function isMounted(path: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((l) => l.split(' ')[4] === path);
}

/**
 * Cleanup that works even after a failed test: unmount (lazily when busy), then detach every
 * loop device still attached to the images. Never throws.
 */
export async function forceCleanup(mounts: string[], images: string[]): Promise<void> {
  for (const m of mounts) {
    if (!(await isMounted(m))) continue;
    await tool('umount', [m]).catch(() => tool('umount', ['-l', m]).catch(() => ''));
  }
  for (const img of images) {
    for (const dev of await loopDevicesOf(img)) await tool('losetup', ['-d', dev]).catch(() => '');
  }
}

/** `df -B1` of a mount point: what a person would see. */
export async function df(path: string): Promise<{ size: number; used: number; avail: number }> {
  const out = await tool('df', ['-B1', '--output=size,used,avail', path]);
  const [size, used, avail] = (out.trim().split('\n')[1] ?? '').trim().split(/\s+/).map(Number);
  return { size: size ?? NaN, used: used ?? NaN, avail: avail ?? NaN };
}

/** Writes `bytes` of random data to `path`; returns its sha256. */
export async function writeRandom(path: string, bytes: number): Promise<string> {
  const data = randomBytes(bytes);
  await writeFile(path, data, { flush: true });
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a file's content. */
export async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

// Appends a counter line every few ms to a file it keeps open, fsyncing as it goes; SIGTERM
// closes the file and exits 0, any write error exits 1.
const WRITER = `
const fs = require('node:fs');
const fd = fs.openSync(process.argv[1], 'a');
let i = 0;
const t = setInterval(() => {
  try { fs.writeSync(fd, i++ + '\\n'); if (i % 10 === 0) fs.fsyncSync(fd); }
  catch (e) { console.error(e.message); process.exit(1); }
}, 3);
process.on('SIGTERM', () => { clearInterval(t); fs.fsyncSync(fd); fs.closeSync(fd); process.exit(0); });
`;

/** A child process that keeps `path` open and appends numbered lines until stopped. */
export function startWriter(path: string): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['-e', WRITER, path], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited };
}

/** Lines written so far by a writer. */
export async function writtenLines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean);
}

/** Waits until the writer has written more than `n` lines; returns the count. */
export function waitLines(path: string, n: number): Promise<number> {
  return waitFor(
    systemClock,
    `more than ${n} lines in ${path}`,
    async () => {
      const c = (await writtenLines(path)).length;
      return c > n ? c : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 20 },
  );
}
