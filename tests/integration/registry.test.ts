import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { type LocalRegistry, startLocalRegistry } from "../../src/images/local-registry.ts";
import { resolveImages } from "../../src/images/resolve.ts";
import { runScript } from "../support/cli.ts";
import { image, testLabels } from "../support/labels.ts";

// `images:push` against a real registry on this machine: the offline `registry` image
// (distribution v3 from the Go module proxy) published on 127.0.0.1 only. Then the image map's
// "pull upstream" path for real: an image whose upstream reference is in that registry.

const names = ["pause", "registry"];
let local: LocalRegistry | undefined;
let registry = "";
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

describe("images:push to a registry on this machine", () => {
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
        tags: [await idTag(name)],
      });
    // The push's extra local tag is gone again.
    expect(await docker(["images", "--quiet", `${registry}/azora-devstack/pause`])).toBe("");

    const second = await runScript("images-push", ["--registry", registry, ...names]);
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toMatch(`2 image(s) in ${registry}: 0 pushed, 2 already there`);
  });

  it("is pulled back by the image map's upstream path as the same image", async () => {
    const ref = `${registry}/azora-devstack/pause:${await idTag("pause")}`;
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
});
