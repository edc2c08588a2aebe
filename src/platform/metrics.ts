/**
 * Events the controller reports for its metrics, as an injected dependency: core code says
 * what happened and how long it took; how it is counted (prom-client, in src/http/) is the
 * composition root's choice.
 */
export interface Metrics {
  /**
   * One reconcile of a database ended: `success`, `retry` (a step failed with a transient or
   * waiting error; the controller tries again) or `stalled` (a human must act).
   */
  reconcileDone(database: string, result: ReconcileResult, seconds: number): void;
  /** One fetch of the Git source ended: `success`, or `error` (the last good revision stays). */
  fetchDone(result: FetchResult, seconds: number): void;
  /**
   * One operation that ran reached its final phase (`Successful`, `Failed`); `seconds` from its
   * start to its end, across controller restarts.
   */
  operationDone(type: string, result: string, seconds: number): void;
}

/** How a reconcile of one database ended. */
export type ReconcileResult = 'success' | 'retry' | 'stalled';

/** How a fetch of the source ended. */
export type FetchResult = 'success' | 'error';

/** Metrics that count nothing: the default where no recorder is passed in (tests, CLI one-offs). */
export const noMetrics: Metrics = {
  reconcileDone: () => undefined,
  fetchDone: () => undefined,
  operationDone: () => undefined,
};
