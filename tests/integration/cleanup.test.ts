import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { entryPointCommand } from "../../src/cli/entry-point.ts";
import { docker, dockerMaybe } from "../../src/docker/cli.ts";
import { removeNetwork } from "../../src/docker/network.ts";
import { listResources } from "../../src/docker/resources.ts";
import { UserError } from "../../src/errors.ts";
import { LABEL } from "../../src/labels.ts";
import { collectGarbage } from "../../src/runtimes/docker/gc.ts";
import { dockerRuntime } from "../../src/runtimes/docker/runtime.ts";
import { runScript } from "../support/cli.ts";
import { image, testLabels } from "../support/labels.ts";
import { rejectionOf } from "../support/thrown.ts";

const stateDir = mkdtempSync(join(tmpdir(), "devstack-state-"));
const env = { DEVSTACK_STATE_DIR: stateDir };
const envName = `it-${process.pid}`;
const envResources = (name: string) => listResources(`${LABEL.env}=${name}`);
// tsx runs the script in a child node process: kill the whole process group, as a dying terminal would.
const killGroup = (pid: number | undefined) => pid && process.kill(-pid, "SIGKILL");

afterAll(async () => {
  for (const suffix of ["", "-int", "-killed", "-orphan"])
    await runScript("dev-down", ["--name", `${envName}${suffix}`], { env });
  rmSync(stateDir, { recursive: true, force: true });
});

describe("dev:up and dev:down (the dev env from kind/ manifests)", () => {
  it("brings up healthy Postgres and Redis, reachable with the printed connection strings", async () => {
    const up = await runScript("dev-up", ["--name", envName], { env });
    expect(up.exitCode, up.all).toBe(0);
    const postgresUrl = /postgres\s+(postgresql:\/\/\S+)/.exec(up.stdout)?.[1];
    const redisUrl = /redis\s+(redis:\/\/\S+)/.exec(up.stdout)?.[1];
    expect(postgresUrl).toMatch(/@127\.0\.0\.1:\d+\/azora$/);
    expect(up.stdout).toMatch(/migrations: applied \d+_platform-schema/);

    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    const { rows } = await client
      .query("CREATE EXTENSION IF NOT EXISTS vector; SELECT '[1,2]'::vector <-> '[1,3]' AS d")
      .then((r) => (Array.isArray(r) ? r[1] : r));
    expect(rows[0].d).toBe(1);
    await client.end();

    const redis = new Redis(redisUrl ?? "", { maxRetriesPerRequest: 1 });
    expect(await redis.ping()).toBe("PONG");
    redis.disconnect();

    // The services run from the manifests: wired to the database, Redis and each other by name,
    // with generated secrets, over a seeded database.
    expect(up.stdout).toMatch(/seed: small seed 42 loaded/);
    const sessions = /session-service\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(up.stdout)?.[1];
    const login = await fetch(`${sessions}/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "user1@seed.azora.dev", password: "azora-seed-password" }),
    });
    expect(login.status).toBe(201);
    const courses = /course-service\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(up.stdout)?.[1];
    const search = await fetch(`${courses}/courses/search?q=kubernetes&limit=3`);
    expect(((await search.json()) as { items: unknown[] }).items).toHaveLength(3);

    const again = await runScript("dev-up", ["--name", envName], { env });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/already up and healthy/);
    const tables = await new pg.Client({ connectionString: postgresUrl });
    await tables.connect();
    const { rows: applied } = await tables.query("SELECT name FROM pgmigrations");
    expect(applied.map((r) => r.name)).toEqual([expect.stringMatching(/_platform-schema$/)]);
    await tables.end();
    // One container per pod of the dev overlay (the database, the session store's Redis and
    // Sentinel, the four services, the gateway and its Redis), and the environment's liveness
    // supervisor; no init container left.
    const containers = (await envResources(envName)).filter((r) => r.kind === "container").map((r) => r.name);
    expect(containers.sort()).toEqual(
      [
        ...["azora-db-1", "course-service-1", "enrollment-service-1", "redis-0", "redis-sentinel-0"],
        ...["session-service-1", "tyk-gateway-1", "tyk-redis-1", "user-service-1", "supervisor"],
      ]
        .map((w) => `azora-${envName}-${w}`)
        .sort(),
    );
  });

  it("Ctrl-C during up removes what it started, keeps the data volume, and exits 130", async () => {
    const name = `${envName}-int`;
    const child = runScript("dev-up", ["--name", name], { env, detached: true });
    await new Promise<void>((resolve) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        if (/: started/.test(chunk.toString())) resolve();
      });
    });
    if (child.pid) process.kill(-child.pid, "SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/interrupted: removing the partly started environment/);
    // Data only: the database's volume and, if its pod got that far, Redis' claim.
    const left = await envResources(name);
    expect(left.map((r) => r.kind)).toEqual(left.map(() => "volume"));
    expect(left.map((r) => r.name)).toContain(`azora-${name}-azora-db-1-data`);
    await runScript("dev-down", ["--name", name], { env });
    expect(await envResources(name)).toEqual([]);
  });

  it("down --keep-data keeps the data; the next up reuses it and finds the schema current", async () => {
    const before = await runScript("dev-up", ["--name", envName], { env });
    const url = /postgres\s+(postgresql:\/\/\S+)/.exec(before.stdout)?.[1];
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(
      "INSERT INTO users (email, password_hash, display_name) VALUES ('kept@example.org', 'x', 'Kept')",
    );
    await client.end();

    const down = await runScript("dev-down", ["--name", envName, "--keep-data"], { env });
    expect(down.stdout).toMatch(/data volume kept/);
    // The database's volume and Redis' claim (its append-only file), as PVCs would stay.
    expect((await envResources(envName)).map((r) => `${r.kind} ${r.name}`).sort()).toEqual([
      `volume azora-${envName}-azora-db-1-data`,
      `volume azora-${envName}-redis-0-data`,
    ]);

    const up = await runScript("dev-up", ["--name", envName], { env });
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toMatch(/migrations: schema up to date/);
    const again = new pg.Client({ connectionString: /postgres\s+(postgresql:\/\/\S+)/.exec(up.stdout)?.[1] });
    await again.connect();
    expect(
      (await again.query("SELECT display_name FROM users WHERE email = 'kept@example.org'")).rows,
    ).toEqual([{ display_name: "Kept" }]);
    await again.end();
  });

  it("down removes every container, network and volume of the environment", async () => {
    const down = await runScript("dev-down", ["--name", envName], { env });
    expect(down.exitCode).toBe(0);
    expect(await envResources(envName)).toEqual([]);
  });
});

describe("a network something still holds", () => {
  it("is an error naming what holds it, not a leftover found later", async () => {
    const network = `devstack-it-held-${process.pid}`;
    const labels = Object.entries(testLabels()).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    await docker(["network", "create", ...labels, network]);
    const holder = `devstack-it-holder-${process.pid}`;
    await docker(["run", "--detach", "--name", holder, ...labels, "--network", network, image("redis")]);
    try {
      const error = (await rejectionOf(removeNetwork(network))) as UserError;
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toMatch(new RegExp(`^could not remove network ${network}: .*active endpoints`));
      expect(error.hint).toBe(
        `Still on it: ${holder}. Remove them (docker rm --force NAME) and run the command again.`,
      );
    } finally {
      await docker(["rm", "--force", holder]);
    }
    expect(await removeNetwork(network)).toBe(true);
    expect(await removeNetwork(network)).toBe(false);
  });
});

describe("what a killed run leaves behind, env:gc finds and removes", () => {
  it("a test run killed with -9", async () => {
    const child = execa(...entryPointCommand("tests/fixtures/start-container-and-hang", [image("redis")]), {
      detached: true,
    });
    const id = await new Promise<string>((resolve, reject) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        const m = /started (\w+)/.exec(chunk.toString());
        if (m?.[1]) resolve(m[1]);
      });
      child.catch(reject);
    });
    killGroup(child.pid);
    await child.catch(() => {});
    expect(await dockerMaybe(["inspect", "--format", "{{.State.Running}}", id])).toBe("true");

    const dry = await collectGarbage({ dryRun: true, purposes: ["test"] });
    expect(dry.flatMap((g) => g.group.resources.map((r) => r.id))).toContain(id);
    await collectGarbage({ purposes: ["test"] });
    expect(await dockerMaybe(["inspect", id])).toBeUndefined();
  });

  it("a dev:up killed with -9 mid-way", async () => {
    const name = `${envName}-killed`;
    const child = runScript("dev-up", ["--name", name], { env, detached: true });
    await new Promise<void>((resolve) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        if (/: started/.test(chunk.toString())) resolve();
      });
    });
    killGroup(child.pid);
    await child;
    expect((await envResources(name)).length).toBeGreaterThan(0);

    const result = await runScript("env-gc", [], { env });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`removed env ${name}: its \`up\` was interrupted`));
    // Containers created after the listing (a start already in flight) are gone too by now.
    await new Promise((r) => setTimeout(r, 1000));
    await runScript("env-gc", [], { env });
    expect(await envResources(name)).toEqual([]);
  });

  it("an environment a killed test run made, from the next run's set-up in another state folder", async () => {
    const name = `${envName}-orphan`;
    // The test run that made it: gone (no such process), though its dev:up ended as any does.
    const deadRun = `${hostname()}:4194000:1`;
    const up = await runScript("dev-up", ["--name", name], { env: { ...env, DEVSTACK_TEST_RUN: deadRun } });
    expect(up.exitCode, up.all).toBe(0);
    expect((await envResources(name)).every((r) => r.labels[LABEL.testRun] === deadRun)).toBe(true);

    // This process keeps its records elsewhere (no DEVSTACK_STATE_DIR): the environment is theirs.
    const collected = await dockerRuntime.gc({ testRunsOnly: true });
    expect(collected.find((c) => c.what === `env ${name}`)?.reason).toBe(
      `the test run that made it (${deadRun}) is gone`,
    );
    expect(await envResources(name)).toEqual([]);
  });
});
