import { createServer, type Server } from "node:net";
import { afterAll, describe, expect, it, vi } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { type StartedTestContainer, Wait } from "../../src/docker/testcontainers.ts";
import { WorkloadContainer } from "../../src/docker/workload-container.ts";
import { image, testLabels } from "../support/labels.ts";

// The race a busy machine plays: a host port is chosen free, then taken by someone else before
// the engine binds it. Planted here by handing out a taken port first; the picker is otherwise
// the real one, and the engine refuses the bind for real.
const handOut: number[] = [];
vi.mock("../../src/free-port.ts", async (actual) => {
  const real = (await actual<typeof import("../../src/free-port.ts")>()).freeLoopbackPort;
  return { freeLoopbackPort: async () => handOut.shift() ?? (await real()) };
});

describe("a workload's host port taken between its choice and the engine's bind", () => {
  const started: StartedTestContainer[] = [];
  let listener: Server | undefined;
  afterAll(async () => {
    await Promise.all(started.map((c) => c.stop()));
    listener?.close();
  });

  const mark = { "dev.azora.devstack.test-case": `workload-ports-${process.pid}` };
  const workload = () =>
    new WorkloadContainer(image("node"))
      .withLabels({ ...testLabels(), ...mark })
      .withCommand([
        "node",
        "-e",
        "require('node:http').createServer((q, s) => s.end('pong')).listen(9000, () => console.log('listening'))",
      ])
      .withExposedPorts(9000)
      .withWaitStrategy(Wait.forLogMessage(/listening/));

  const answers = async (port: number) => (await fetch(`http://127.0.0.1:${port}/`)).text();

  it("by another container: the start is made again on another port, and no container is left half made", async () => {
    const first = await workload().start();
    started.push(first);
    const taken = first.getMappedPort(9000);
    handOut.push(taken);
    const second = await workload().start();
    started.push(second);
    expect(second.getMappedPort(9000)).not.toBe(taken);
    expect(await answers(second.getMappedPort(9000))).toBe("pong");
    expect(handOut).toEqual([]);
    const halfMade = await docker([
      "ps",
      "--all",
      "--quiet",
      "--filter",
      "status=created",
      "--filter",
      `label=${Object.keys(mark)[0]}=${Object.values(mark)[0]}`,
    ]);
    expect(halfMade.trim()).toBe("");
  });

  it("by a process on this machine: the same", async () => {
    const server = createServer();
    listener = server;
    const taken = await new Promise<number>((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
    );
    handOut.push(taken);
    const container = await workload().start();
    started.push(container);
    expect(container.getMappedPort(9000)).not.toBe(taken);
    expect(await answers(container.getMappedPort(9000))).toBe("pong");
    expect(handOut).toEqual([]);
  });
});
