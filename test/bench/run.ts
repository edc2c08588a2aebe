// Runs the benchmarks one after another and prints their figures. Timing is never asserted:
// each benchmark reports ratios against a baseline measured in the same run.
import { argv, stdout } from 'node:process';

interface Bench {
  run(): Promise<{ title: string; rows: { label: string; value: string }[] }>;
}

const all: Record<string, () => Promise<Bench>> = {
  'cluster-create': () => import('./cluster-create.js'),
  validate: () => import('./validate.js'),
  plan: () => import('./plan.js'),
  operations: () => import('./operations.js'),
  'validate-cli': () => import('./validate-cli.js'),
  autoscale: () => import('./autoscale.js'),
  'push-latency': () => import('./push-latency.js'),
  'kube-noop': () => import('./kube-noop.js'),
  'validate-cli-10k': async () => {
    const { run } = await import('./validate-cli.js');
    return { run: () => run({ databases: 10_000 }) };
  },
};

const wanted = argv.slice(2);
for (const [name, load] of Object.entries(all)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const bench = await load();
  const result = await bench.run();
  stdout.write(`\n## ${result.title}\n`);
  const width = Math.max(...result.rows.map((r) => r.label.length));
  for (const r of result.rows) stdout.write(`  ${r.label.padEnd(width)}  ${r.value}\n`);
}
