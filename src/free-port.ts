import { createServer } from "node:net";

/** A port free on 127.0.0.1 right now (the kernel's pick for a listener, released at once). */
export const freeLoopbackPort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
