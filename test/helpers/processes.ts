import { readdir, readFile } from 'node:fs/promises';

/** Pids of processes whose command line contains `needle` (e.g. a state dir). */
export async function pidsMatching(needle: string, program?: string): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmd.split('\0');
    if (!cmd.includes(needle)) continue;
    if (program && !(args[0] ?? '').endsWith(program)) continue;
    out.push(Number(entry));
  }
  return out;
}

/** Sends SIGKILL to every process whose command line contains `needle` (test cleanup). */
export async function killAllMatching(needle: string): Promise<void> {
  for (const pid of await pidsMatching(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
