/** The bot's commit for a decision: message with trailers, and the OpsRequest it adds. Pure. */
import type { Autoscaler, DatabaseKind } from '../api/desired.js';
import { formatBytes } from '../api/quantity.js';
import { renderOpsRequest, type RenderedOps } from '../manifests/render-ops.js';
import { describeDecision, type Decision } from './decide.js';

/** The annotation naming the autoscaler that wrote an OpsRequest. */
export const autoscalerAnnotation = 'dbops.dev/autoscaler';

type Expand = Extract<Decision, { action: 'expand' }>;

/** The OpsRequest file of a decision made at `at` (the name is the idempotency key). */
export function decisionFile(
  decision: Expand,
  autoscaler: Autoscaler,
  kind: DatabaseKind,
  at: number,
): RenderedOps {
  const { timeoutMs, apply } = autoscaler.opsRequestOptions;
  return renderOpsRequest({
    databaseKind: kind,
    database: autoscaler.database,
    type: 'VolumeExpansion',
    at,
    volumeExpansion: { mode: autoscaler.storage.expansionMode, bytes: decision.toBytes },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    apply,
    annotations: { [autoscalerAnnotation]: autoscaler.name },
    comment: `Written by the storage autoscaler ${autoscaler.name}: ${decision.message}.`,
  });
}

/**
 * The commit message: a subject a person can read, a body that says why, and trailers
 * (`git interpret-trailers --parse` reads them) that scripts can rely on.
 */
export function commitMessage(decision: Expand, autoscaler: Autoscaler): string {
  const { subject, trailers } = describeDecision(decision, autoscaler.database);
  const body = [
    `The volume of ${decision.member} is ${decision.usedPercent}% used, above the threshold of`,
    `${decision.thresholdPercent}% set by ${autoscaler.name} (${autoscaler.origin.file}).`,
    `New size: ${formatBytes(decision.toBytes)} (${decision.rule}${decision.cappedAtUpperBound ? ', capped at the upper bound' : ''}).`,
    `Undo with git revert: volumes never shrink, and the autoscaler does not expand again`,
    `until usage of the volume as it is then rises above the threshold.`,
  ];
  const all = { ...trailers, 'Dbops-Autoscaler': autoscaler.name };
  const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}`);
  return `${subject}\n\n${body.join('\n')}\n\n${lines.join('\n')}\n`;
}

/** Parses `Name <email>` (the --bot-author flag); undefined when it is not that shape. */
export function parseAuthor(text: string): { name: string; email: string } | undefined {
  const m = /^\s*([^<>\n]+?)\s*<([^<>\s@]+@[^<>\s@]+)>\s*$/.exec(text);
  return m ? { name: m[1]!, email: m[2]! } : undefined;
}
