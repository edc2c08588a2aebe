/** The signals that stop a foreground command cleanly: Ctrl-C, kill, a closed terminal. */
export const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Where stop requests come from: the process's signals and the command's output streams. */
export interface StopSources {
  /** Emits the signals: `process` in the CLI, an EventEmitter in tests. */
  signals: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  /** Output streams by name; an error on one (EPIPE: its reader is gone) is a stop request. */
  outputs: Record<string, NodeJS.WritableStream>;
}

/** A stop request being listened for; `dispose` when the command has stopped. */
export interface StopRequests {
  /** Aborted, with the reason as an Error, at the first request. */
  signal: AbortSignal;
  dispose(): void;
}

/**
 * Listens for the requests that stop a foreground command: SIGINT, SIGTERM, SIGHUP, and an
 * error on an output stream (`npm start | tee log` loses tee to Ctrl-C, and the next write
 * fails with EPIPE). The first aborts `signal`; every one, also those that come while the
 * command stops (no longer fatal, as a default signal action would be), is told to
 * `onRequest`. A failed output stays silenced for the rest of the process: Node emits an
 * error for every later write to it, and nobody reads it anymore.
 */
export function listenForStop(
  sources: StopSources,
  onRequest: (reason: string, first: boolean) => void,
): StopRequests {
  const abort = new AbortController();
  const request = (reason: string) => {
    const first = !abort.signal.aborted;
    if (first) abort.abort(new Error(reason));
    onRequest(reason, first);
  };
  const handlers = stopSignals.map((sig) => [sig, () => request(sig)] as const);
  for (const [sig, handler] of handlers) sources.signals.on(sig, handler);
  let disposed = false;
  for (const [name, stream] of Object.entries(sources.outputs)) {
    // Never removed. Only the first error is a request: telling it may write to the same
    // broken stream, whose next error must not come back here.
    let failed = false;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (failed || disposed) return;
      failed = true;
      request(`${name} closed (${err.code ?? err.message})`);
    });
  }
  return {
    signal: abort.signal,
    dispose() {
      disposed = true;
      for (const [sig, handler] of handlers) sources.signals.off(sig, handler);
    },
  };
}
