import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { docker } from "../../src/docker/cli.ts";
import { type LocalRegistry, startLocalRegistry } from "../../src/images/local-registry.ts";
import { registryHas } from "../../src/images/registry.ts";
import { resolveImages } from "../../src/images/resolve.ts";
import type { K8sObject } from "../../src/manifests/render.ts";
import { runScript } from "../support/cli.ts";
import { image, testLabels } from "../support/labels.ts";

// `images:push` against a real registry on this machine: the offline `registry` image
// (distribution v3 from the Go module proxy) published on 127.0.0.1 only. Then the image map's
// "pull upstream" path for real: an image whose upstream reference is in that registry. Then
// `dev:export kubernetes`, whose objects name only images that registry holds.

const names = ["pause", "registry"];
let local: LocalRegistry | undefined;
let registry = "";
// Each image's tag in the registry: the version its map entry names (pause's alias, registry's
// upstream), then its id.
const VERSIONS: Record<string, string> = { pause: "3.10.1", registry: "3.1.1" };
const idTag = async (name: string) =>
  (await docker(["image", "inspect", "--format", "{{.Id}}", image(name)]))
    .replace("sha256:", "")
    .slice(0, 12);
const get = async (path: string) => (await fetch(`http://${registry}${path}`)).json();

beforeAll(async () => {
  local = await startLocalRegistry(image("registry"), testLabels());
  registry = local.address;
}, 60_000);

afterAll(async () => {
  await local?.remove();
});

describe("a registry on this machine: images:push, and dev:export kubernetes naming images there", () => {
  it("pushes each image under its id's tag, then nothing the second time", async () => {
    const first = await runScript("images-push", ["--registry", registry, ...names]);
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toMatch(`2 image(s) in ${registry}: 2 pushed, 0 already there`);
    expect(await get("/v2/_catalog")).toEqual({
      repositories: ["azora-devstack/pause", "azora-devstack/registry"],
    });
    for (const name of names)
      expect(await get(`/v2/azora-devstack/${name}/tags/list`)).toEqual({
        name: `azora-devstack/${name}`,
        tags: [`${VERSIONS[name]}-${await idTag(name)}`],
      });
    // The push's extra local tag is gone again.
    expect(await docker(["images", "--quiet", `${registry}/azora-devstack/pause`])).toBe("");

    const second = await runScript("images-push", ["--registry", registry, ...names]);
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toMatch(`2 image(s) in ${registry}: 0 pushed, 2 already there`);
  });

  it("is pulled back by the image map's upstream path as the same image", async () => {
    const ref = `${registry}/azora-devstack/pause:${VERSIONS.pause}-${await idTag("pause")}`;
    try {
      const resolved = await resolveImages({
        // The recipe is never run: the upstream source only pulls.
        map: {
          suite: "trixie",
          images: {
            "pause-via-registry": { upstream: ref, recipe: { packages: [], context: "images/pause" } },
          },
        },
        source: "upstream",
        silent: true,
      });
      expect(resolved.get("pause-via-registry")).toMatchObject({ ref, how: "pulled upstream" });
      expect(await docker(["image", "inspect", "--format", "{{.Id}}", ref])).toBe(
        await docker(["image", "inspect", "--format", "{{.Id}}", image("pause")]),
      );
    } finally {
      await docker(["image", "rm", ref]).catch(() => undefined);
    }
  });

  it("refuses a missing or malformed registry, and says when it does not answer", async () => {
    const missing = await runScript("images-push", ["pause"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch("images:push: --registry HOST[:PORT] is required");
    const malformed = await runScript("images-push", ["--registry", `http://${registry}`, "pause"]);
    expect(malformed.exitCode).toBe(1);
    expect(malformed.stderr).toMatch(`--registry: expected HOST[:PORT] of a registry`);
    // Port 9 (discard): nothing listens on it on these machines.
    const silent = await runScript("images-push", ["--registry", "127.0.0.1:9", "pause"]);
    expect(silent.exitCode).toBe(1);
    expect(silent.stderr).toMatch("registry 127.0.0.1:9 does not answer");
  });

  it("dev:export kubernetes: the overlay in the namespace asked for, every image pushed and named in the registry", async () => {
    const dir = mkdtempSync(join(tmpdir(), "devstack-export-"));
    const file = join(dir, "azora.yaml");
    const namespace = `azora-exp-${process.pid % 100_000}`;
    try {
      const exported = await runScript(
        "dev-export",
        ["kubernetes", "--registry", registry, "--namespace", namespace, "-o", file],
        { env: { DEVSTACK_STATE_DIR: dir } },
      );
      expect(exported.exitCode, exported.all).toBe(0);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const objects = parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as K8sObject);
      expect(objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name)).toEqual([namespace]);
      expect(objects.filter((o) => o.kind !== "Namespace" && o.metadata.namespace !== namespace)).toEqual([]);
      expect(objects.at(-1)).toMatchObject({ kind: "Job", metadata: { name: "db-init" } });
      for (const secret of objects.filter((o) => o.kind === "Secret"))
        expect(
          Object.values(secret.stringData ?? {}).every((v) => v.length > 0),
          secret.metadata.name,
        ).toBe(true);

      const images = objects.flatMap((o) => [
        ...(o.kind === "Cluster" ? [o.spec.imageName as string] : []),
        ...[
          ...(o.spec?.template?.spec?.initContainers ?? []),
          ...(o.spec?.template?.spec?.containers ?? []),
        ].map((c: { image: string }) => c.image),
      ]);
      const prefix = `${registry}/azora-devstack/`;
      expect(images.filter((i) => !i.startsWith(prefix))).toEqual([]);
      expect([...new Set(images.map((i) => i.slice(prefix.length).split(":")[0]))].sort()).toEqual([
        "cnpg-postgres",
        "course-service",
        "db-init",
        "enrollment-service",
        "node",
        "redis",
        "session-service",
        "tyk",
        "user-service",
      ]);
      for (const ref of new Set(images)) expect(await registryHas(ref), ref).toBe(true);
      // CloudNativePG reads the PostgreSQL version from the Cluster's image tag.
      const cluster = objects.find((o) => o.kind === "Cluster");
      expect(cluster?.spec.imageName).toMatch(
        /\/azora-devstack\/cnpg-postgres:17\.5-standard-bookworm-[0-9a-f]{12}$/,
      );

      const noRegistry = await runScript("dev-export", ["kubernetes"], { env: { DEVSTACK_STATE_DIR: dir } });
      expect(noRegistry.exitCode).toBe(1);
      expect(noRegistry.stderr).toMatch("dev:export kubernetes: --registry HOST[:PORT] is required");
      const badNamespace = await runScript(
        "dev-export",
        ["kubernetes", "--registry", registry, "--namespace", "Azora_1"],
        {
          env: { DEVSTACK_STATE_DIR: dir },
        },
      );
      expect(badNamespace.exitCode).toBe(1);
      expect(badNamespace.stderr).toMatch("--namespace: 'Azora_1' is not a namespace name");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
