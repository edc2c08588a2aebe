import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { listenForStop } from './stop-signals.js';

function setup() {
  const signals = new EventEmitter();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const heard: [string, boolean][] = [];
  const stop = listenForStop({ signals, outputs: { stdout, stderr } }, (reason, first) =>
    heard.push([reason, first]),
  );
  return { signals, stdout, stderr, heard, stop };
}

const epipe = () => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });

describe('listenForStop', () => {
  it.each([
    ['SIGINT', (s: ReturnType<typeof setup>) => s.signals.emit('SIGINT'), 'SIGINT'],
    ['SIGTERM', (s: ReturnType<typeof setup>) => s.signals.emit('SIGTERM'), 'SIGTERM'],
    ['SIGHUP', (s: ReturnType<typeof setup>) => s.signals.emit('SIGHUP'), 'SIGHUP'],
    [
      'EPIPE on stdout',
      (s: ReturnType<typeof setup>) => s.stdout.emit('error', epipe()),
      'stdout closed (EPIPE)',
    ],
    [
      'EIO on stderr',
      (s: ReturnType<typeof setup>) =>
        s.stderr.emit('error', Object.assign(new Error('EIO'), { code: 'EIO' })),
      'stderr closed (EIO)',
    ],
  ])('%s aborts the signal with its reason', (_, send, reason) => {
    const s = setup();
    expect(s.stop.signal.aborted).toBe(false);
    send(s);
    expect(s.stop.signal.aborted).toBe(true);
    expect((s.stop.signal.reason as Error).message).toBe(reason);
    expect(s.heard).toEqual([[reason, true]]);
  });

  it('hears later requests while stopping, without aborting again', () => {
    const s = setup();
    s.signals.emit('SIGINT');
    s.signals.emit('SIGINT');
    s.signals.emit('SIGHUP');
    expect((s.stop.signal.reason as Error).message).toBe('SIGINT');
    expect(s.heard).toEqual([
      ['SIGINT', true],
      ['SIGINT', false],
      ['SIGHUP', false],
    ]);
  });

  it('takes only the first error of a broken output, and keeps swallowing its errors', () => {
    const s = setup();
    for (let i = 0; i < 3; i++) s.stdout.emit('error', epipe());
    expect(s.heard).toEqual([['stdout closed (EPIPE)', true]]);
    s.stop.dispose();
    // An error without a listener would throw here.
    expect(() => s.stderr.emit('error', epipe())).not.toThrow();
    expect(s.heard).toHaveLength(1);
  });

  it('dispose removes the signal listeners', () => {
    const s = setup();
    expect(s.signals.listenerCount('SIGHUP')).toBe(1);
    s.stop.dispose();
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) expect(s.signals.listenerCount(sig)).toBe(0);
    expect(s.stop.signal.aborted).toBe(false);
  });
});
