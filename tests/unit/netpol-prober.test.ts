import { type ChildProcess, spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { type AddressInfo, connect, createServer, type Server } from "node:net";
import { execa } from "execa";
import { afterEach, describe, expect, it, vi } from "vitest";
import { proberArguments } from "../../src/netpol/live-probe.ts";
import { main, probeTargets, type Target } from "../../src/netpol/prober.ts";

// The prober in this process, against listeners of the test's own on loopback: every outcome it
// can report is made here for real (an accepting port, a closed one, a listener that never
// completes the handshake, an echoing and a silent UDP port).

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  vi.restoreAllMocks();
});

async function tcpListener(): Promise<number> {
  const server: Server = createServer((socket) => socket.destroy());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

/** A port that was just free: nothing listens there, so the kernel answers with a reset. */
async function closedTcpPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A listener whose handshakes never complete, as a dropped SYN looks: a stopped process whose
 * small backlog is full, so the kernel drops further SYNs instead of answering them.
 */
async function blackholeTcpPort(): Promise<number> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "-e",
      `const s = require("node:net").createServer();
       s.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => console.log(s.address().port));`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  cleanups.push(() => child.kill("SIGKILL"));
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
  const port = Number(line.toString().trim());
  child.kill("SIGSTOP");
  // Stopped for sure (state T) before the queue is filled: a running listener would drain it.
  while (!/^\d+ \(.*\) T/.test(readFileSync(`/proc/${child.pid}/stat`, "utf8")))
    await new Promise((resolve) => setTimeout(resolve, 10));
  // The accept queue holds one more than the backlog: two handshakes completed and left there.
  for (let i = 0; i < 2; i++) {
    const filler = connect({ host: "127.0.0.1", port });
    cleanups.push(() => filler.destroy());
    await once(filler, "connect");
  }
  return port;
}

/** A UDP port that answers datagram number `answerFrom` (1-based) and later ones, not those before. */
async function udpEcho(answerFrom = 1): Promise<number> {
  const socket: Socket = createSocket("udp4");
  let seen = 0;
  socket.on("message", (message, from) => {
    seen++;
    if (seen >= answerFrom) socket.send(message, from.port, from.address);
  });
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  cleanups.push(() => socket.close());
  return socket.address().port;
}

const at = (protocol: Target["protocol"], port: number): Target => ({ ip: "127.0.0.1", protocol, port });

describe("the prober", () => {
  it("reports an accepting TCP port open and a closed one refused, without waiting for the timeout", async () => {
    const [open, closed] = [await tcpListener(), await closedTcpPort()];
    const started = Date.now();
    expect(await probeTargets([at("TCP", open), at("TCP", closed)], 20_000)).toEqual(["open", "refused"]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("reports a handshake that never completes as a timeout, when the timeout ends", async () => {
    const port = await blackholeTcpPort();
    const started = Date.now();
    expect(await probeTargets([at("TCP", port)], 600)).toEqual(["timeout"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
  });

  it("reports a TCP connection the kernel will not make as an error", async () => {
    // A broadcast address: the kernel refuses a TCP connect to it before any packet is sent.
    expect(await probeTargets([{ ip: "255.255.255.255", protocol: "TCP", port: 80 }], 5_000)).toEqual([
      "error",
    ]);
  });

  it("reports a UDP port that echoes open, and one that stays silent as a timeout", async () => {
    const [echo, silent] = [await udpEcho(), await udpEcho(Number.POSITIVE_INFINITY)];
    expect(await probeTargets([at("UDP", echo), at("UDP", silent)], 1_500)).toEqual(["open", "timeout"]);
  });

  it("resends the UDP datagram, so one lost on the way does not read as a denial", async () => {
    const port = await udpEcho(3);
    expect(await probeTargets([at("UDP", port)], 5_000)).toEqual(["open"]);
  });

  it("runs as a program: targets and timeout from its last two arguments, outcomes as JSON on stdout", async () => {
    const [open, closed] = [await tcpListener(), await closedTcpPort()];
    const written: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    // process.argv under `node --input-type=module -e SCRIPT TARGETS TIMEOUT`.
    await main([process.execPath, JSON.stringify([at("TCP", closed), at("TCP", open)]), "5000"]);
    expect(written).toEqual(['["refused","open"]']);
  });

  it("runs as a program from proberArguments, as the runners start it inside a pod's namespace", async () => {
    const [open, closed] = [await tcpListener(), await closedTcpPort()];
    const { stdout } = await execa(
      process.execPath,
      proberArguments([at("TCP", open), at("TCP", closed)], 5_000),
    );
    expect(JSON.parse(stdout)).toEqual(["open", "refused"]);
  });
});
