/**
 * Leader election on a coordination.k8s.io/v1 Lease, as Kubernetes' own controllers do it: the
 * holder renews `renewTime` well within `leaseDurationSeconds`; a standby takes the Lease over
 * once a renewal is overdue. Every write carries the resourceVersion it read, so two
 * candidates can never both win (the API server answers the second with 409 Conflict).
 *
 * Expiry is judged as client-go's leader election judges it, on the candidate's own clock: a
 * standby notes when it first saw the Lease's current record, and takes over when that record
 * has not changed for a lease duration. The clocks need not agree on the time of day.
 *
 * Fencing: a holder that has not renewed for a lease duration minus one retry period (measured
 * from its last successful renewal, on its own clock) gives up first: `lost` aborts before any
 * standby can take over, as long as the clocks tick at about the same rate.
 */
import type { CoordinationV1Api } from '@kubernetes/client-node';
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { codes, transient } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { LeaderLock, Leadership } from '../../reconcile/persistence.js';
import { apiStatus } from './kube-config.js';

export interface LeaseLockOptions {
  api: CoordinationV1Api;
  namespace: string;
  /** The Lease's name, e.g. `dbops-controller`. */
  name: string;
  /** This candidate, unique among them: the pod name and a random suffix. */
  identity: string;
  clock: Clock;
  log: Logger;
  /** How long a holder's claim lasts without renewal (default 15 s, as kube-controller-manager). */
  leaseDurationMs?: number;
  /** How often the holder renews, and a standby looks (default 2 s). */
  retryMs?: number;
}

export function leaseLock(o: LeaseLockOptions): LeaderLock {
  const durationMs = o.leaseDurationMs ?? 15_000;
  const retryMs = o.retryMs ?? 2_000;
  const seconds = Math.max(1, Math.round(durationMs / 1000));
  const { api, namespace, name } = o;

  const claim = (lease: V1Lease | undefined, now: number): V1Lease => {
    const taken = lease?.spec?.holderIdentity !== o.identity;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace,
        ...(lease?.metadata?.resourceVersion
          ? { resourceVersion: lease.metadata.resourceVersion }
          : {}),
        labels: { 'app.kubernetes.io/managed-by': 'dbops' },
      },
      spec: {
        holderIdentity: o.identity,
        leaseDurationSeconds: seconds,
        acquireTime: taken ? new V1MicroTime(now) : lease?.spec?.acquireTime,
        renewTime: new V1MicroTime(now),
        leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (taken && lease ? 1 : 0),
      },
    };
  };

  // The Lease's record as last seen, and when (our clock) it was first seen like that.
  let seen: { record: string; at: number } | undefined;

  /** True when `lease` is free for us: ours, released, or unchanged for its whole duration. */
  const free = (lease: V1Lease, now: number) => {
    const holder = lease.spec?.holderIdentity;
    if (!holder || holder === o.identity) return true;
    const record = JSON.stringify([holder, lease.spec?.renewTime, lease.metadata?.resourceVersion]);
    if (seen?.record !== record) seen = { record, at: now };
    return now - seen.at > (lease.spec?.leaseDurationSeconds ?? seconds) * 1000;
  };

  /** One attempt to hold the Lease: true when we hold it now. Conflicts mean someone else won. */
  const tryHold = async (): Promise<boolean> => {
    const now = o.clock.now();
    let lease: V1Lease | undefined;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (apiStatus(err) !== 404) throw err;
    }
    if (lease && !free(lease, now)) return false;
    try {
      if (lease) await api.replaceNamespacedLease({ name, namespace, body: claim(lease, now) });
      else await api.createNamespacedLease({ namespace, body: claim(undefined, now) });
      return true;
    } catch (err) {
      if (apiStatus(err) === 409) return false;
      throw err;
    }
  };

  return {
    async acquire(signal?: AbortSignal): Promise<Leadership> {
      // Said when standing by begins, then again every five lease durations.
      let announced: number | undefined;
      for (;;) {
        signal?.throwIfAborted();
        let held: boolean | undefined;
        try {
          held = await tryHold();
        } catch (err) {
          o.log.warn({ err: String(err), lease: name }, 'cannot read the leader Lease; retrying');
        }
        if (held) break;
        if (
          held === false &&
          (announced === undefined || o.clock.now() - announced > 5 * durationMs)
        ) {
          o.log.info(
            { lease: name, identity: o.identity },
            'standing by: another controller leads',
          );
          announced = o.clock.now();
        }
        await o.clock.sleep(retryMs, signal);
      }
      o.log.info({ lease: name, identity: o.identity }, 'leading');
      const lost = new AbortController();
      const stopRenewing = new AbortController();
      let renewedAt = o.clock.now();
      const renewing = (async () => {
        while (!stopRenewing.signal.aborted) {
          await o.clock.sleep(retryMs, stopRenewing.signal).catch(() => undefined);
          if (stopRenewing.signal.aborted) return;
          const held = await tryHold().catch(() => undefined);
          if (held) renewedAt = o.clock.now();
          // Taken over, or no renewal for longer than a standby waits: stop acting first.
          if (held === false || o.clock.now() - renewedAt >= durationMs - retryMs) {
            o.log.warn({ lease: name, identity: o.identity }, 'leadership lost');
            lost.abort(
              transient(codes.stateLocked, `lost the leader Lease ${namespace}/${name}`, {
                hint: 'another dbops controller leads now; this one stops acting',
              }),
            );
            return;
          }
        }
      })();
      return {
        lost: lost.signal,
        async release() {
          stopRenewing.abort();
          await renewing;
          if (lost.signal.aborted) return;
          // Handed back at once: a standby need not wait out the lease.
          try {
            const lease = await api.readNamespacedLease({ name, namespace });
            if (lease.spec?.holderIdentity !== o.identity) return;
            const body: V1Lease = {
              ...lease,
              spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
            };
            await api.replaceNamespacedLease({ name, namespace, body });
          } catch (err) {
            o.log.warn(
              { err: String(err), lease: name },
              'could not hand the Lease back; it expires',
            );
          }
        },
      };
    },
  };
}
