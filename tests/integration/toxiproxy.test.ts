import { describe, expect, it, vi } from "vitest";
import { POSTGRES_TIMEOUTS } from "../../services/kit/src/postgres.ts";
import { docker } from "../../src/docker/cli.ts";
import { inNetns, pidOf } from "../../src/runtimes/docker/netns.ts";
import { dockerRuntime } from "../../src/runtimes/docker/runtime.ts";
import type { EnvironmentHandle } from "../../src/runtimes/runtime.ts";
import { runScript } from "../support/cli.ts";
import { overlayEnvironment } from "../support/environment.ts";
import { signUps } from "../support/sign-up.ts";

// Toxiproxy between user-service and Postgres, live (the faults behind postgres-slow and
// postgres-connections-reset): user-service, the database and the policies, nothing else.
const { name, env, up } = overlayEnvironment("toxiproxy", {
  files: ["namespace", "config", "secrets", "postgres", "user-service", "network-policies"],
});
const POD = "azora/user-service-1";
const container = `azora-${name}-user-service-1`;
const proxy = `${container}-toxiproxy`;
const DATABASE = { host: "azora-db-rw", port: 5432 };

describe("Toxiproxy between a service and Postgres", () => {
  let users = "";
  let handle: EnvironmentHandle;
  const signUp = signUps(() => users);
  /** The nftables tables in the pod's network namespace. */
  const podTables = async () => (await inNetns(await pidOf(container), ["nft", "list", "tables"])).stdout;

  it("comes up and signs users up", async () => {
    const started = await up();
    expect(started.exitCode, started.all).toBe(0);
    users = /user-service\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(started.stdout)?.[1] ?? "";
    vi.stubEnv("DEVSTACK_STATE_DIR", env.DEVSTACK_STATE_DIR);
    handle = await dockerRuntime.open(name);
    vi.unstubAllEnvs();
    expect((await signUp()).status).toBe(201);
  });

  it("connections reset: a sign-up is a 503 at once, and works again when the proxy is gone", async () => {
    await handle.faults.degrade(POD, DATABASE, [{ type: "reset_peer", afterMs: 0 }]);
    expect(await podTables()).toMatch(/table ip devstack_toxiproxy/);
    // The proxy shares the pod's network and carries the environment's labels (dev:down removes it).
    expect(await docker(["inspect", "--format", "{{.HostConfig.NetworkMode}}", proxy])).toBe(
      `container:${(await docker(["inspect", "--format", "{{.Id}}", container])).trim()}`,
    );
    expect(
      await docker(["inspect", "--format", '{{index .Config.Labels "dev.azora.devstack.env"}}', proxy]),
    ).toBe(name);
    for (let i = 0; i < 3; i++) {
      const answer = await signUp();
      expect(answer.status).toBe(503);
      expect(answer.ms).toBeLessThan(POSTGRES_TIMEOUTS.connectMs + 1_000);
    }
    await handle.faults.restore(POD);
    await expect.poll(async () => (await signUp()).status, { timeout: 10_000, interval: 250 }).toBe(201);
    expect(await docker(["ps", "--all", "--quiet", "--filter", `name=${proxy}`])).toBe("");
    expect(await podTables()).not.toMatch(/devstack_toxiproxy/);
  });

  it("answers held back: every sign-up is a 503 within the service's own timeouts, never a 500", async () => {
    // Sign-ups keep coming while the proxy goes in, so pooled connections are made through it
    // before the latency begins: both the wait for a connection and the statement timeout are met.
    let stop = false;
    const answers: { sentAt: number; status: number; ms: number }[] = [];
    const stream = async () => {
      while (!stop) {
        const sentAt = performance.now();
        answers.push({ sentAt, ...(await signUp().catch(() => ({ status: 0, ms: 0 }))) });
      }
    };
    const streams = [stream(), stream()];
    await handle.faults.degrade(POD, DATABASE, [
      { type: "latency", latencyMs: 10 * POSTGRES_TIMEOUTS.queryMs },
    ]);
    const inPlace = performance.now();
    const from = answers.length;
    await new Promise((r) => setTimeout(r, 2 * (POSTGRES_TIMEOUTS.connectMs + POSTGRES_TIMEOUTS.queryMs)));
    stop = true;
    await Promise.all(streams);
    // Answered once the latency was in place: a request sent before it may have had its answer
    // already (201); any other is the service's 503, and no answer took longer than its timeouts.
    const after = answers.slice(from);
    const sentLater = after.filter((a) => a.sentAt >= inPlace);
    expect(sentLater.length).toBeGreaterThan(0);
    expect(sentLater.filter((a) => a.status !== 503)).toEqual([]);
    expect(after.filter((a) => a.status !== 503 && !(a.status === 201 && a.sentAt < inPlace))).toEqual([]);
    const slowest = Math.max(...after.map((a) => a.ms));
    expect(slowest).toBeLessThan(POSTGRES_TIMEOUTS.connectMs + POSTGRES_TIMEOUTS.queryMs + 1_000);
    console.log(
      `toxiproxy: answers once the latency was in place: ${after.map((a) => `${a.status} in ${(a.ms / 1000).toFixed(1)}s`).join(", ")}`,
    );
    await handle.faults.restore(POD);
    await expect.poll(async () => (await signUp()).status, { timeout: 10_000, interval: 250 }).toBe(201);
  });

  it("dev:down removes a proxy still in place", async () => {
    await handle.faults.degrade(POD, DATABASE, [{ type: "reset_peer", afterMs: 0 }]);
    const down = await runScript("dev-down", ["--name", name], { env });
    expect(down.exitCode, down.all).toBe(0);
    expect(await docker(["ps", "--all", "--quiet", "--filter", `label=dev.azora.devstack.env=${name}`])).toBe(
      "",
    );
  });
});
