import { createServer, type Server } from "node:net";

const listening = () =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });

/**
 * Ports free on 127.0.0.1 right now, all different: the kernel's picks for listeners held open
 * together (one picked and released at a time can come back: about half of 100 such picks repeat
 * one), then released.
 */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listening());
    return servers.map((s) => {
      const address = s.address();
      return typeof address === "object" && address ? address.port : 0;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** A port free on 127.0.0.1 right now (the kernel's pick for a listener, released at once). */
export const freeLoopbackPort = async () => (await freeLoopbackPorts(1))[0] as number;
