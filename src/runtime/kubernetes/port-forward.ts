/**
 * Reaching pods from outside the cluster: a local listener per pod port, each connection
 * carried to the pod through the API server's port-forward (pods/portforward, one WebSocket
 * per connection). The listener names the pod, not an instance: a pod that is replaced is
 * reached again by the next connection. In the cluster the runtime dials pod addresses
 * instead and none of this runs.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../platform/logger.js';
import type { Endpoint } from '../runtime.js';

/** What this file uses of the WebSocket that client-node returns (isomorphic-ws, untyped here). */
interface Tunnel {
  on(event: 'close' | 'error', listener: () => void): void;
  close(): void;
}

interface Listener {
  server: Server;
  sockets: Set<Socket>;
  endpoint: Promise<Endpoint>;
}

export class PortForwards {
  private readonly forward: PortForward;
  private readonly listeners = new Map<string, Listener>();

  constructor(
    config: KubeConfig,
    private readonly log: Logger,
  ) {
    this.forward = new PortForward(config, true);
  }

  /** The local address that reaches `port` of pod `pod` (opened on first use, then kept). */
  endpoint(namespace: string, pod: string, port: number): Promise<Endpoint> {
    const key = `${namespace}/${pod}:${port}`;
    const known = this.listeners.get(key);
    if (known) return known.endpoint;
    const sockets = new Set<Socket>();
    const server = createServer((socket) => this.carry(namespace, pod, port, socket, sockets));
    const endpoint = new Promise<Endpoint>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        if (a && typeof a === 'object') resolve({ host: '127.0.0.1', port: a.port });
        else reject(new Error(`no local address for ${key}`));
      });
    });
    const listener = { server, sockets, endpoint };
    this.listeners.set(key, listener);
    endpoint.catch(() => this.listeners.delete(key));
    return endpoint;
  }

  private carry(namespace: string, pod: string, port: number, socket: Socket, all: Set<Socket>) {
    all.add(socket);
    socket.once('close', () => all.delete(socket));
    socket.on('error', () => socket.destroy());
    this.forward
      .portForward(namespace, pod, [port], socket, null, socket)
      .then((opened) => {
        if (typeof opened === 'function') return;
        const ws = opened as unknown as Tunnel;
        ws.on('close', () => socket.destroy());
        ws.on('error', () => socket.destroy());
        socket.once('close', () => ws.close());
      })
      .catch((err: Error) => {
        this.log.debug({ pod, port, err: err.message }, 'port-forward failed');
        socket.destroy();
      });
  }

  /** Closes the listeners of `pod` (a database wiped or halted). */
  async forget(namespace: string, pod: string): Promise<void> {
    for (const [key, l] of this.listeners) {
      if (key.startsWith(`${namespace}/${pod}:`)) await this.shut(key, l);
    }
  }

  /** Closes every listener and every connection they carry. */
  async close(): Promise<void> {
    for (const [key, l] of this.listeners) await this.shut(key, l);
  }

  private async shut(key: string, l: Listener) {
    this.listeners.delete(key);
    for (const s of l.sockets) s.destroy();
    await new Promise<void>((resolve) => l.server.close(() => resolve()));
  }
}
