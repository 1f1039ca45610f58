import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { runScript } from "../support/cli.ts";

const hasCompose = (await execa("docker", ["compose", "version"], { reject: false })).exitCode === 0;
const dir = mkdtempSync(join(tmpdir(), "devstack-compose-"));
const file = join(dir, "compose.yaml");
const compose = (...args: string[]) =>
  execa("docker", ["compose", "-f", file, ...args], { reject: false, all: true });

afterAll(async () => {
  if (hasCompose) await compose("down", "--volumes", "--timeout", "5");
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasCompose && !process.env.CI)("dev:export compose", () => {
  it("exports an equivalent compose file: up --wait gives a migrated, seeded, working stack", async () => {
    const exported = await runScript("dev-export", ["compose", "--name", `cx-${process.pid}`, "-o", file], {
      env: { DEVSTACK_STATE_DIR: join(dir, "state") },
    });
    expect(exported.exitCode, exported.all).toBe(0);
    expect((await compose("config", "--quiet")).exitCode).toBe(0);

    const up = await compose("up", "--wait", "--wait-timeout", "120");
    expect(up.exitCode, up.all).toBe(0);
    const port = (await compose("port", "session-service", "8080")).stdout.trim();
    expect(port).toMatch(/^127\.0\.0\.1:\d+$/);
    const login = await fetch(`http://${port}/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "user1@seed.azora.dev", password: "azora-seed-password" }),
    });
    expect(login.status).toBe(201);
    // The gateway too: its init container rendered the API definitions into the pod's emptyDir.
    const gateway = (await compose("port", "tyk-gateway", "8080")).stdout.trim();
    const viaGateway = await fetch(`http://${gateway}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "user1@seed.azora.dev", password: "azora-seed-password" }),
    });
    expect(viaGateway.status).toBe(201);
    const { token } = (await viaGateway.json()) as { token: string };
    const me = await fetch(`http://${gateway}/api/users?limit=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.status).toBe(200);
    expect((await compose("logs", "tyk-gateway-init-render-apis")).all).toMatch(/rendered users\.json/);
    const init = await compose("logs", "db-init");
    expect(init.all).toMatch(/applied \d+_platform-schema/);

    expect((await compose("down", "--volumes", "--timeout", "5")).exitCode).toBe(0);
  });

  it("rejects a format other than compose", async () => {
    const result = await runScript("dev-export", ["helm"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/expected the format 'compose' or 'kubernetes', got 'helm'/);
  });
});
