import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listResources } from "../../src/docker/resources.ts";
import { LABEL } from "../../src/labels.ts";
import { repoRoot } from "../../src/paths.ts";
import { runScript } from "../support/cli.ts";

// A patched copy of the manifests in which user-service's readiness probe can never pass.
const dir = mkdtempSync(join(tmpdir(), "devstack-broken-"));
cpSync(join(repoRoot, "kind"), join(dir, "kind"), { recursive: true });
cpSync(join(repoRoot, "envs"), join(dir, "envs"), { recursive: true });
const manifest = join(dir, "kind", "base", "user-service.yaml");
writeFileSync(manifest, readFileSync(manifest, "utf8").replace("path: /readyz", "path: /never-ready"));
writeFileSync(
  join(dir, "envs", "broken.yaml"),
  "overlay: dev\nttl: 1h\nseed:\n  size: none\nstartupTimeout: 8s\n",
);
const env = {
  DEVSTACK_STATE_DIR: join(dir, "state"),
  DEVSTACK_KIND_DIR: join(dir, "kind"),
  DEVSTACK_ENVS_DIR: join(dir, "envs"),
};
const name = `broken-${process.pid}`;

afterAll(async () => {
  await runScript("dev-down", ["--name", name], { env });
  rmSync(dir, { recursive: true, force: true });
});

describe("a workload that never becomes ready", () => {
  it("fails `up` after its timeout, naming it with its last log lines, and stays inspectable until down", async () => {
    const up = await runScript("dev-up", ["--env", "broken", "--name", name], { env });
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toMatch(
      new RegExp(`error: readiness: workload 'user-service' of environment '${name}' did not become ready`),
    );
    expect(up.stderr).toMatch(/last log lines of azora-\S+-user-service-1:\n {2}\| \{"level":30/);
    expect(up.stderr).not.toMatch(/\n\s+at /);

    const containers = (await listResources(`${LABEL.env}=${name}`)).filter((r) => r.kind === "container");
    expect(containers.map((c) => c.name)).toContain(`azora-${name}-user-service-1`);
    const logs = await runScript("dev-logs", ["user-service", "--name", name, "--tail", "3"], { env });
    expect(logs.stdout).toMatch(/user-service-1 \| /);

    expect((await runScript("dev-down", ["--name", name], { env })).exitCode).toBe(0);
    expect(await listResources(`${LABEL.env}=${name}`)).toEqual([]);
  });
});
