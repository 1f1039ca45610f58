import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { bridgeOf } from "../../src/docker/network.ts";
import {
  applyEgressGuard,
  guardDrops,
  listGuards,
  removeEgressGuard,
} from "../../src/firewall/egress-guard.ts";
import { labelArgs } from "../../src/labels.ts";
import { image, testLabels } from "../support/labels.ts";
import { CONNECT, createOutsideTarget, type OutsideTarget, SERVE } from "../support/outside-target.ts";

// The guard a Kind environment's network gets before its first node starts, tried against a target
// this test makes itself (tests/support/outside-target.ts), behind a fence of its own.

const id = `${process.pid % 100_000}`;
const env = `guardtest-${id}`;
const network = `devstack-${env}`;

const connectFrom = async (host: string, port: number) =>
  (
    await docker([
      "run",
      "--rm",
      ...labelArgs(testLabels()),
      "--network",
      network,
      image("node"),
      "node",
      "-e",
      CONNECT,
      host,
      String(port),
    ])
  ).trim();

let target: OutsideTarget;
let TARGET = "";
let neighbour = "";
let bridge = "";

beforeAll(async () => {
  target = await createOutsideTarget(77);
  TARGET = target.address;
  await docker(["network", "create", ...labelArgs(testLabels()), network]);
  bridge = await bridgeOf(network);
  // A neighbour on the same network, as another node of the cluster would be.
  await docker([
    "run",
    "--detach",
    "--name",
    `${network}-neighbour`,
    ...labelArgs(testLabels()),
    "--network",
    network,
    image("node"),
    "node",
    "-e",
    SERVE,
    "8080",
    "0.0.0.0",
  ]);
  neighbour = (
    await docker([
      "inspect",
      "--format",
      "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
      `${network}-neighbour`,
    ])
  ).trim();
}, 120_000);

afterAll(async () => {
  await removeEgressGuard(env).catch(() => undefined);
  await docker(["rm", "--force", `${network}-neighbour`], { reject: false });
  await docker(["network", "rm", network], { reject: false });
  await target?.remove();
});

describe("the egress guard of a Kind environment's network", () => {
  it("without it, a container reaches the stand-in for an outside address by forwarding", async () => {
    expect(await connectFrom(TARGET, 8080)).toBe("reached");
  }, 60_000);

  it("with it, that traffic is dropped (and counted), while node-to-node traffic on the network still flows", async () => {
    await applyEgressGuard(env, bridge);
    expect(await listGuards()).toContain(env);
    expect(await connectFrom(TARGET, 8080)).toBe("ETIMEDOUT");
    expect(await guardDrops(env)).toBeGreaterThan(0);
    expect(await connectFrom(neighbour, 8080)).toBe("reached");
  }, 60_000);

  it("applied again it replaces itself; removed, forwarding works as before", async () => {
    await applyEgressGuard(env, bridge);
    expect(await connectFrom(TARGET, 8080)).toBe("ETIMEDOUT");
    expect(await removeEgressGuard(env)).toBe(true);
    expect(await removeEgressGuard(env)).toBe(false);
    expect(await listGuards()).not.toContain(env);
    expect(await connectFrom(TARGET, 8080)).toBe("reached");
  }, 60_000);
});
