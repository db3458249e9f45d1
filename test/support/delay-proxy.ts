/**
 * A TCP proxy on loopback that holds every chunk for a fixed time in each direction: a WAN link of
 * known one-way delay between the API and a site's agent, without root or netem. Chunks keep their
 * order (timers of equal duration fire in the order they were set). The target may be set after the
 * proxy listens, so its URL can be advertised before the process behind it has a port.
 */
import { createServer, connect, type Socket } from 'node:net';

export interface DelayProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly delayMs: number;
  /** where connections go from now on (an http:// URL on loopback) */
  forwardTo(url: string): void;
  close(): Promise<void>;
}

export async function startDelayProxy(delayMs: number): Promise<DelayProxy> {
  let target: { host: string; port: number } | undefined;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const delayed = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => setTimeout(() => to.destroyed || to.write(chunk), delayMs));
    // the end travels as late as the data before it
    from.on('end', () => setTimeout(() => to.end(), delayMs));
    // a reset travels too; a clean close is the end above (both sides half-close on their own)
    from.on('close', (hadError) => hadError && setTimeout(() => to.destroy(), delayMs));
  };
  // half-open: one side's end must not cut the other direction's data still held in timers
  const server = createServer({ allowHalfOpen: true }, (client) => {
    track(client);
    if (!target) return void client.destroy();
    const upstream = connect({ port: target.port, host: target.host, allowHalfOpen: true });
    track(upstream);
    delayed(client, upstream);
    delayed(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the delay proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    delayMs,
    forwardTo(url) {
      const parsed = new URL(url);
      target = { host: parsed.hostname, port: Number(parsed.port) };
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
