/**
 * Global setup of the `kubernetes` test project: finds the control-plane binaries in their
 * cache or builds them (test/k8s/build-control-plane.sh: seconds when cached, ~6 minutes
 * cold), and hands their directory to the tests. When they cannot be built here (no Go, or
 * Go too old) or DBOPS_KUBE_TESTS=skip, the tests skip and this says so loudly;
 * DBOPS_KUBE_TESTS=require (CI) makes that a failure instead.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The control plane's bin directory; '' when the Kubernetes tests skip. */
    kubeBin: string;
    /** Why the Kubernetes tests skip; '' when they run. */
    kubeSkip: string;
  }
}

const script = fileURLToPath(new URL('../k8s/build-control-plane.sh', import.meta.url));

function build(): Promise<{ bin: string } | { skip: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      // Progress lines only; go's own chatter stays in `err` for a failure message.
      for (const line of d.toString().split('\n')) {
        if (line.startsWith('build-control-plane:')) process.stderr.write(`${line}\n`);
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve({ bin: out.trim().split('\n').at(-1)! });
      else if (code === 3) resolve({ skip: err.trim().split('\n').at(-1)! });
      else
        reject(new Error(`test/k8s/build-control-plane.sh failed (${code}):\n${err.slice(-4000)}`));
    });
  });
}

export default async function setup(project: TestProject): Promise<void> {
  const r =
    process.env.DBOPS_KUBE_TESTS === 'skip' ? { skip: 'DBOPS_KUBE_TESTS=skip' } : await build();
  project.provide('kubeBin', 'bin' in r ? r.bin : '');
  project.provide('kubeSkip', 'skip' in r ? r.skip : '');
  if ('skip' in r && process.env.DBOPS_KUBE_TESTS === 'require') {
    throw new Error(`the Kubernetes tests cannot run (DBOPS_KUBE_TESTS=require): ${r.skip}`);
  }
  if ('skip' in r) {
    const bar = '!'.repeat(78);
    process.stderr.write(`\n${bar}\n!! KUBERNETES TESTS SKIPPED: ${r.skip}\n${bar}\n\n`);
  }
}
