import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { repoRoot } from "../../src/paths.ts";
import { runScript } from "./cli.ts";

/**
 * An environment name for one test file, with a state folder of its own (so the user's
 * environments are never seen or touched); `dev:down` and the folder's removal run after the
 * file's tests.
 */
export function testEnvironment(prefix: string) {
  const stateDir = mkdtempSync(join(tmpdir(), "devstack-state-"));
  const env = { DEVSTACK_STATE_DIR: stateDir };
  const name = `${prefix}-${process.pid}`;
  afterAll(async () => {
    await runScript("dev-down", ["--name", name], { env });
    rmSync(stateDir, { recursive: true, force: true });
  });
  return { name, env, stateDir };
}

/**
 * Like `testEnvironment`, on an overlay of its own made of some of kind/base's files, manifests
 * of the test's own (`extra`, by file name) and kustomize patches, so a test starts only what it
 * attacks; `up()` runs `dev:up` of it.
 */
export function overlayEnvironment(
  prefix: string,
  { files, patches = "", extra = {} }: { files: string[]; patches?: string; extra?: Record<string, string> },
) {
  const dir = mkdtempSync(join(tmpdir(), `devstack-${prefix}-`));
  const kind = join(dir, "kind");
  cpSync(join(repoRoot, "kind"), kind, { recursive: true });
  const overlay = join(kind, "overlays", prefix);
  mkdirSync(overlay);
  const yamls = [...files, ...Object.keys(extra)].map((f) => `${f}.yaml`);
  for (const file of files) cpSync(join(kind, "base", `${file}.yaml`), join(overlay, `${file}.yaml`));
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(overlay, `${file}.yaml`), text);
  writeFileSync(
    join(overlay, "kustomization.yaml"),
    [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      "namespace: azora",
      `resources: [${yamls.join(", ")}]`,
      patches,
    ].join("\n"),
  );
  mkdirSync(join(dir, "envs"));
  writeFileSync(join(dir, "envs", `${prefix}.yaml`), `overlay: ${prefix}\nttl: 1h\nseed:\n  size: none\n`);
  const env = {
    DEVSTACK_STATE_DIR: join(dir, "state"),
    DEVSTACK_KIND_DIR: kind,
    DEVSTACK_ENVS_DIR: join(dir, "envs"),
  };
  const name = `${prefix}-${process.pid}`;
  afterAll(async () => {
    await runScript("dev-down", ["--name", name], { env });
    rmSync(dir, { recursive: true, force: true });
  });
  return { name, env, up: () => runScript("dev-up", ["--env", prefix, "--name", name], { env }) };
}

/** Kustomize patches giving an overlay's database nightly's shape: 3 instances, a synchronous standby required. */
export const NIGHTLY_DATABASE_PATCHES = `patches:
  - target: { kind: Cluster, name: azora-db }
    patch: |
      - { op: replace, path: /spec/instances, value: 3 }
      - op: add
        path: /spec/postgresql
        value: { synchronous: { method: any, number: 1, dataDurability: required } }
`;
