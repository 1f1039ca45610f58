import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadImageMap } from "../../src/images/image-map.ts";
import { repoRoot } from "../../src/paths.ts";
import { userErrorFrom } from "../support/thrown.ts";

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const write = (lines: string[]) => {
  const dir = mkdtempSync(join(tmpdir(), "devstack-map-go-"));
  made.push(dir);
  const file = join(dir, "images.yaml");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
};

describe("image map: recipes compiled from a Go module", () => {
  it("accepts `go` on a new root filesystem or on another image, with a note", () => {
    const map = loadImageMap(
      write([
        "suite: trixie",
        "images:",
        "  base:",
        "    recipe: { packages: [tini], context: b }",
        "  gw:",
        "    upstream: example/gw:5",
        "    recipe: { packages: [ca-certificates, tini], context: images/gw, go: images/gw/main, note: GW 2 }",
        "  gw2:",
        "    recipe: { from: base, context: images/gw, go: images/gw/main }",
      ]),
    );
    expect(map.images.gw?.recipe).toMatchObject({ go: "images/gw/main", note: "GW 2" });
    expect(map.images.gw2?.recipe.go).toBe("images/gw/main");
  });

  it("rejects `go` together with `bundle`, naming file, line and field", () => {
    const error = userErrorFrom(() =>
      loadImageMap(
        write([
          "suite: trixie",
          "images:",
          "  node:",
          "    recipe: { packages: [nodejs], context: n }",
          "  both:",
          "    recipe:",
          "      from: node",
          "      context: images/x",
          "      bundle: src/main.ts",
          "      go: images/x/main",
        ]),
      ),
    );
    expect(error.message).toMatch(
      /images\.yaml:10: images\.both\.recipe\.go: `go` \(a Go main module compiled into the context\) and `bundle` \(a Node entry point bundled into it\) exclude each other/,
    );
  });

  it("rejects `go` with neither a root filesystem nor a base image", () => {
    const error = userErrorFrom(() =>
      loadImageMap(write(["suite: trixie", "images:", "  gw:", "    recipe: { context: x, go: x/main }"])),
    );
    expect(error.message).toMatch(/images\.gw\.recipe: exactly one of `packages`/);
  });

  it("rejects `include` without `bundle` (a Go recipe copies no extra folders)", () => {
    const error = userErrorFrom(() =>
      loadImageMap(
        write([
          "suite: trixie",
          "images:",
          "  gw:",
          "    recipe: { packages: [tini], context: x, go: x/main, include: [data] }",
        ]),
      ),
    );
    expect(error.message).toMatch(
      /images\.gw\.recipe\.include: `include` \(folders copied next to the bundle\) needs `bundle`/,
    );
  });

  it("rejects an empty `go` folder name", () => {
    const error = userErrorFrom(() =>
      loadImageMap(
        write(["suite: trixie", "images:", "  gw:", "    recipe: { packages: [tini], context: x, go: '' }"]),
      ),
    );
    expect(error.message).toMatch(/images\.yaml:4: images\.gw\.recipe\.go: /);
  });

  it("the repository's map builds Tyk from images/tyk/gateway, with Tyk 5 as the upstream", () => {
    const tyk = loadImageMap().images.tyk;
    expect(tyk?.upstream).toBe("tykio/tyk-gateway:v5.8.1");
    expect(tyk?.recipe).toMatchObject({ context: "images/tyk", go: "images/tyk/gateway" });
    expect(tyk?.recipe.note).toMatch(/Tyk 2\.9\.4/);
    for (const file of ["go.mod", "go.sum", "main.go"])
      expect(existsSync(join(repoRoot, "images/tyk/gateway", file)), file).toBe(true);
  });
});
