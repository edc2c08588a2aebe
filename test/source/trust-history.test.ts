import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedPaths, commitsBetween, historyReader } from '../../src/source/trust-history.js';
import type { HistoryReader } from '../../src/source/trust-history.js';
import { git, writeTree } from './helpers.js';

// Native git builds the history; the reader under test sees it as the controller's cache.
describe('trust history on a repository built by native git', () => {
  let tmp: string;
  let dir: string;
  let reader: HistoryReader;
  let tick = 0;

  /** Applies a change in the work tree and commits it at a later time than the last one. */
  async function commit(change: () => Promise<void>): Promise<string> {
    await change();
    await git(['add', '--all'], dir);
    const date = `${1767225600 + 60 * ++tick} +0000`;
    await git(['commit', '--quiet', '--allow-empty', '-m', `c${tick}`, '--date', date], dir);
    return git(['rev-parse', 'HEAD'], dir);
  }
  const changesOf = async (oid: string, subPath = '') =>
    changedPaths(reader, await reader.commit(oid), subPath);

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dbops-trust-history-'));
    dir = join(tmp, 'repo');
    await git(['init', '--quiet', '--initial-branch=main', dir]);
    reader = historyReader(join(dir, '.git'), () =>
      Promise.reject(new Error('a full clone never needs to deepen')),
    );
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('lists what each commit adds, modifies and deletes against its first parent', async () => {
    const root = await commit(() =>
      writeTree(dir, { 'a.txt': 'a\n', 'd/x.yaml': 'x\n', 'd/e/y.yaml': 'y\n', f: 'f\n' }),
    );
    expect(await changesOf(root)).toEqual([
      { path: 'a.txt', change: 'add' },
      { path: 'd/e/y.yaml', change: 'add' },
      { path: 'd/x.yaml', change: 'add' },
      { path: 'f', change: 'add' },
    ]);
    const second = await commit(async () => {
      await writeTree(dir, { 'd/x.yaml': 'x2\n', 'new/n.txt': 'n\n' });
      await rm(join(dir, 'd/e'), { recursive: true });
      await chmod(join(dir, 'a.txt'), 0o755);
      await rm(join(dir, 'f'));
      await writeTree(dir, { 'f/inside.txt': 'now a directory\n' });
    });
    expect(await changesOf(second)).toEqual([
      { path: 'a.txt', change: 'modify' },
      { path: 'd/e/y.yaml', change: 'delete' },
      { path: 'd/x.yaml', change: 'modify' },
      { path: 'f/inside.txt', change: 'add' },
      { path: 'f', change: 'delete' },
      { path: 'new/n.txt', change: 'add' },
    ]);
    expect(await changesOf(second, 'd')).toEqual([
      { path: 'e/y.yaml', change: 'delete' },
      { path: 'x.yaml', change: 'modify' },
    ]);
    expect(await changesOf(second, 'missing/dir')).toEqual([]);
    const renamed = await commit(() => git(['mv', 'new/n.txt', 'new/m.txt'], dir).then(() => {}));
    expect(await changesOf(renamed)).toEqual([
      { path: 'new/m.txt', change: 'add' },
      { path: 'new/n.txt', change: 'delete' },
    ]);
  });

  it('walks the commits reachable from the new head and not from the old one', async () => {
    const from = await commit(() => writeTree(dir, { 'w/0': '0\n' }));
    await git(['checkout', '--quiet', '-b', 'side'], dir);
    const side = await commit(() => writeTree(dir, { 'w/side': 's\n' }));
    await git(['checkout', '--quiet', 'main'], dir);
    const one = await commit(() => writeTree(dir, { 'w/1': '1\n' }));
    await git(['merge', '--quiet', '--no-ff', '-m', 'merge', 'side'], dir);
    const merge = await git(['rev-parse', 'HEAD'], dir);
    const two = await commit(() => writeTree(dir, { 'w/2': '2\n' }));
    const oids = async (f: string | undefined, t: string, max = 100) =>
      (await commitsBetween(reader, f, t, max))?.map((c) => c.oid);
    const want = (await git(['rev-list', '--reverse', `${from}..${two}`], dir)).split('\n');
    expect(new Set(want)).toEqual(new Set([side, one, merge, two]));
    expect(new Set(await oids(from, two))).toEqual(new Set(want));
    expect((await oids(from, two))?.at(-1)).toBe(two);
    expect(await oids(side, two)).toEqual([one, merge, two]);
    expect(await oids(merge, two)).toEqual([two]);
    expect(await oids(undefined, two)).toEqual([two]);
    expect(await oids(two, two)).toEqual([]);
    expect(await oids(from, two, 3)).toBeUndefined();
  });
});
