import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { listResources, removeResources } from "../../src/docker/resources.ts";
import { LABEL } from "../../src/labels.ts";
import { runScript } from "../support/cli.ts";

const stateDir = mkdtempSync(join(tmpdir(), "devstack-state-"));
const env = { DEVSTACK_STATE_DIR: stateDir };
const [a, b] = [`pr-${process.pid}-a`, `pr-${process.pid}-b`];
const resources = (name: string) => listResources(`${LABEL.env}=${name}`);

afterAll(async () => {
  for (const name of [a, b]) await runScript("dev-down", ["--name", name], { env });
  rmSync(stateDir, { recursive: true, force: true });
});

describe("parallel pr environments", () => {
  it("run side by side with no shared names, networks, volumes or host ports; status and logs per env", async () => {
    const [upA, upB] = await Promise.all([
      runScript("dev-up", ["--env", "pr", "--name", a], { env }),
      runScript("dev-up", ["--env", "pr", "--name", b], { env }),
    ]);
    expect(upA.exitCode, upA.all).toBe(0);
    expect(upB.exitCode, upB.all).toBe(0);

    const [ra, rb] = [await resources(a), await resources(b)];
    // Nine pods (the database, the session store's Redis and Sentinel, Tyk's Redis, the gateway, four
    // services) and the supervisor.
    expect(ra.filter((r) => r.kind === "container")).toHaveLength(10);
    expect(ra.map((r) => r.name).filter((n) => rb.some((r) => r.name === n))).toEqual([]);
    const ports = async (name: string): Promise<string[]> =>
      (await docker(["ps", "--filter", `label=${LABEL.env}=${name}`, "--format", "{{.Ports}}"])).match(
        /127\.0\.0\.1:(\d+)/g,
      ) ?? [];
    const [pa, pb] = [await ports(a), await ports(b)];
    expect(pa.length).toBeGreaterThan(0);
    expect(pa.filter((p) => pb.includes(p))).toEqual([]);
    expect((await docker(["ps", "--format", "{{.Ports}}"])).match(/0\.0\.0\.0:/)).toBeNull();

    const status = await runScript("dev-status", ["--name", a], { env });
    expect(status.exitCode, status.all).toBe(0);
    expect(status.stdout).toMatch(/user-service\s+1\/1\s+ready\s+0\s+-\s+127\.0\.0\.1:\d+->8080/);
    expect(status.stdout).toMatch(/azora-db\s+1\/1\s+ready/);

    const logs = await runScript("dev-logs", ["course-service", "--name", a, "--tail", "5"], { env });
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toMatch(new RegExp(`azora-${a}-course-service-1 \\| \\{"level":30`));
    const unknown = await runScript("dev-logs", ["nope", "--name", a], { env });
    expect(unknown.stderr).toMatch(
      /unknown workload 'nope'[^\n]*\nworkloads: azora-db, course-service, enrollment-service, redis, redis-sentinel, session-service, supervisor, tyk-gateway, tyk-redis, user-service/,
    );

    // down of one never touches the other.
    expect((await runScript("dev-down", ["--name", a], { env })).exitCode).toBe(0);
    expect(await resources(a)).toEqual([]);
    expect((await resources(b)).length).toBe(rb.length);
    const statusB = await runScript("dev-status", ["--name", b], { env });
    expect(statusB.exitCode, statusB.all).toBe(0);

    // A workload that stops is reported, and the exit code says so (its supervisor stopped first,
    // or it would start it again at once).
    await docker(["stop", `azora-${b}-supervisor`]);
    await docker(["stop", `azora-${b}-redis-0`]);
    const degraded = await runScript("dev-status", ["--name", b], { env });
    expect(degraded.exitCode).toBe(1);
    expect(degraded.stdout).toMatch(/redis\s+0\/1\s+down/);

    // Everything removed by hand: env:gc drops the record that would otherwise mislead dev:seed.
    await removeResources(await resources(b));
    const gc = await runScript("env-gc", [], { env });
    expect(gc.stdout).toMatch(new RegExp(`removed env ${b}: nothing of it is left in Docker`));
    expect(existsSync(join(stateDir, "envs", `${b}.json`))).toBe(false);
  });
});
