import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dockerMaybe } from "../../src/docker/cli.ts";
import { UserError } from "../../src/errors.ts";
import { type ImageMap, loadImageMap } from "../../src/images/image-map.ts";
import { resolveImages } from "../../src/images/resolve.ts";
import { runScript } from "../support/cli.ts";

const tagsOf = async (repo: string) =>
  ((await dockerMaybe(["images", "--format", "{{.Repository}}:{{.Tag}}", repo])) ?? "")
    .split("\n")
    .filter(Boolean);

// A Dockerfile on the map's BASE build argument (a Docker variable, not a JS placeholder).
const dockerfile = (marker: string) =>
  ["ARG BASE", "FROM $BASE", `RUN echo ${marker} > /marker`, ""].join("\n");

describe("images:build", () => {
  const context = mkdtempSync(join(tmpdir(), "devstack-child-"));
  const real = loadImageMap();
  const map: ImageMap = {
    suite: real.suite,
    images: {
      redis: real.images.redis ?? { recipe: { context: "missing" } },
      "devstack-test-child": { recipe: { from: "redis", context } },
    },
  };

  // Loopback with nothing listening: a pull of it fails at once and goes nowhere.
  const upstream = "127.0.0.1:1/devstack-test-child";

  afterAll(async () => {
    for (const tag of [...(await tagsOf("azora-devstack/devstack-test-child")), ...(await tagsOf(upstream))])
      await dockerMaybe(["rmi", "--force", tag]);
    rmSync(context, { recursive: true, force: true });
  });

  it("is a no-op for unchanged recipes and says so", async () => {
    const result = await runScript("images-build");
    expect(result.exitCode).toBe(0);
    expect(result.all).toMatch(/postgres: up to date/);
    expect(result.all).toMatch(/redis: up to date/);
    expect(result.all).toMatch(/0 built/);
  });

  it("rebuilds only what depends on a changed recipe", async () => {
    writeFileSync(join(context, "Dockerfile"), dockerfile("one"));
    const first = await resolveImages({ map, source: "recipe", silent: true });
    expect(first.get("redis")?.how).toBe("up to date");
    expect(first.get("devstack-test-child")?.how).toBe("built from recipe");

    const again = await resolveImages({ map, source: "recipe", silent: true });
    expect(again.get("devstack-test-child")?.how).toBe("up to date");
    expect(again.get("devstack-test-child")?.ref).toBe(first.get("devstack-test-child")?.ref);

    writeFileSync(join(context, "Dockerfile"), dockerfile("two"));
    const changed = await resolveImages({ map, source: "recipe", silent: true });
    expect(changed.get("redis")?.how).toBe("up to date");
    expect(changed.get("devstack-test-child")?.how).toBe("built from recipe");
    expect(changed.get("devstack-test-child")?.ref).not.toBe(first.get("devstack-test-child")?.ref);
    // The superseded build is pruned, so repeated builds do not pile up.
    expect(await tagsOf("azora-devstack/devstack-test-child")).toEqual([
      changed.get("devstack-test-child")?.ref,
    ]);
  });

  it("takes an image at the upstream reference, unless it is an old build of ours tagged so", async () => {
    writeFileSync(join(context, "Dockerfile"), dockerfile("three"));
    const built = await resolveImages({ map, source: "recipe", silent: true });
    const old = built.get("devstack-test-child")?.ref ?? "";
    // What the Kind runtime does before `kind load`: our build tagged as the manifests name it.
    await dockerMaybe(["tag", old, `${upstream}:1`]);
    writeFileSync(join(context, "Dockerfile"), dockerfile("four"));
    const withUpstream: ImageMap = {
      ...map,
      images: {
        ...map.images,
        "devstack-test-child": { upstream: `${upstream}:1`, recipe: { from: "redis", context } },
      },
    };
    const changed = await resolveImages({ map: withUpstream, silent: true });
    expect(changed.get("devstack-test-child")?.how).toBe("built from recipe");
    expect(changed.get("devstack-test-child")?.ref).not.toBe(old);

    // A real upstream image (not built by a recipe) at that reference is taken as it is.
    const scratch = mkdtempSync(join(tmpdir(), "devstack-upstream-"));
    try {
      writeFileSync(join(scratch, "marker"), "upstream\n");
      writeFileSync(join(scratch, "Dockerfile"), "FROM scratch\nCOPY marker /marker\n");
      expect(await dockerMaybe(["build", "--quiet", "-t", `${upstream}:2`, scratch])).toBeDefined();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    writeFileSync(join(context, "Dockerfile"), dockerfile("five"));
    const pulled = await resolveImages({
      map: {
        ...map,
        images: {
          ...map.images,
          "devstack-test-child": { upstream: `${upstream}:2`, recipe: { from: "redis", context } },
        },
      },
      silent: true,
    });
    expect(pulled.get("devstack-test-child")).toMatchObject({ how: "local upstream", ref: `${upstream}:2` });
  });

  it("names image, step and package when a package cannot be fetched, and tags nothing", async () => {
    const broken: ImageMap = {
      suite: real.suite,
      images: {
        "devstack-test-broken": {
          recipe: { packages: ["no-such-package-devstack"], context: "images/redis" },
        },
      },
    };
    const error = await resolveImages({ map: broken, source: "recipe", silent: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      "image 'devstack-test-broken', step 'root filesystem (mmdebstrap)': cannot fetch package 'no-such-package-devstack'",
    );
    expect(await tagsOf("azora-devstack/devstack-test-broken*")).toEqual([]);
    expect(await tagsOf("azora-devstack/devstack-test-broken-rootfs")).toEqual([]);
  });

  it("lists the valid images for an unknown name", async () => {
    const result = await runScript("images-build", ["postgress"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/unknown image: postgress\nvalid images: postgres, redis, node/);
  });
});
