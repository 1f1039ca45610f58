import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildOrder, loadImageMap } from "../../src/images/image-map.ts";
import { userErrorFrom } from "../support/thrown.ts";

const write = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "devstack-map-")), "images.yaml");
  writeFileSync(file, text);
  return file;
};

describe("image map", () => {
  it("loads the repository's map with postgres, redis and node", () => {
    const map = loadImageMap();
    expect(Object.keys(map.images)).toEqual(expect.arrayContaining(["postgres", "redis", "node"]));
    expect(map.images.postgres?.recipe.packages).toContain("postgresql-17-pgvector");
  });

  it("names file, line and field of every problem", () => {
    const file = write(
      [
        "suite: trixie",
        "images:",
        "  pg:",
        "    upstream: x",
        "    recipe:",
        "      packages: [Bad_Name]",
        "      context: images/pg",
        "      colour: red",
      ].join("\n"),
    );
    const { message } = userErrorFrom(() => loadImageMap(file));
    expect(message).toMatch(/images\.yaml:6: images\.pg\.recipe\.packages\.0: a Debian package name/);
    expect(message).toMatch(/images\.yaml:8: images\.pg\.recipe\.colour: Unrecognized key/);
  });

  it("requires exactly one of packages or from", () => {
    const file = write("suite: trixie\nimages:\n  a:\n    recipe:\n      context: x\n");
    expect(() => loadImageMap(file)).toThrow(/exactly one of `packages`/);
  });

  it("rejects a `from` that is not in the map, and cycles", () => {
    const missing = write("suite: trixie\nimages:\n  a:\n    recipe: { from: nope, context: x }\n");
    expect(() => loadImageMap(missing)).toThrow(/images\.a\.recipe\.from: 'nope' is not an image of the map/);
    const cycle = write(
      "suite: trixie\nimages:\n  a:\n    recipe: { from: b, context: x }\n  b:\n    recipe: { from: a, context: x }\n",
    );
    expect(() => loadImageMap(cycle)).toThrow(/cycle a -> b -> a/);
  });

  it("orders preloaded images before the image carrying them, and rejects unknown ones and cycles", () => {
    const map = loadImageMap(
      write(
        [
          "suite: trixie",
          "images:",
          "  node:",
          "    recipe: { packages: [systemd], context: n, preload: [etcd, pause] }",
          "  pause:",
          "    recipe: { packages: [catatonit], context: p }",
          "  etcd:",
          "    recipe: { from: pause, context: e }",
        ].join("\n"),
      ),
    );
    expect(buildOrder(map, ["node"])).toEqual(["pause", "etcd", "node"]);
    const missing = write(
      "suite: trixie\nimages:\n  a:\n    recipe: { packages: [x1], context: x, preload: [nope] }\n",
    );
    expect(() => loadImageMap(missing)).toThrow(
      /images\.a\.recipe\.preload: 'nope' is not an image of the map/,
    );
    const cycle = write(
      "suite: trixie\nimages:\n  a:\n    recipe: { packages: [x1], context: x, preload: [b] }\n  b:\n    recipe: { from: a, context: x }\n",
    );
    expect(() => loadImageMap(cycle)).toThrow(/images\.b\.recipe\.from: cycle a -> b -> a/);
  });

  it("reports invalid YAML with its line", () => {
    const file = write("suite: trixie\nimages:\n  a: [unclosed\n");
    expect(() => loadImageMap(file)).toThrow(/invalid YAML\n.*images\.yaml:\d+:/);
  });

  it("orders parents first and lists valid names for unknown ones", () => {
    const file = write(
      "suite: trixie\nimages:\n  svc:\n    recipe: { from: node, context: x }\n  node:\n    recipe: { packages: [nodejs], context: y }\n",
    );
    const map = loadImageMap(file);
    expect(buildOrder(map, ["svc"])).toEqual(["node", "svc"]);
    expect(buildOrder(map, [])).toEqual(["node", "svc"]);
    expect(() => buildOrder(map, ["svc", "nginx"])).toThrow(/unknown image: nginx/);
    const unknown = userErrorFrom(() => buildOrder(map, ["nginx"]));
    expect(unknown.message).toBe("unknown image: nginx");
    expect(unknown.hint).toBe("valid images: svc, node");
  });
});
