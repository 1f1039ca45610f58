import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundleContext, recordedContextKey } from "../../src/images/bundle.ts";
import { repoRoot } from "../../src/paths.ts";

// Inputs must live in the repository (bundles are keyed by repository-relative paths).
const scratch = join(repoRoot, "node_modules", ".cache", "devstack-test");
mkdirSync(scratch, { recursive: true });
const dir = mkdtempSync(join(scratch, "bundle-"));
const image = `bundle-record-${process.pid}`;
const context = join(dir, "context");
mkdirSync(context);
writeFileSync(join(context, "Dockerfile"), "FROM scratch\n");
writeFileSync(join(dir, "greeting.ts"), 'export const greeting = "hello";\n');
writeFileSync(join(dir, "main.ts"), 'import { greeting } from "./greeting.ts";\nconsole.log(greeting);\n');
const entry = relative(repoRoot, join(dir, "main.ts"));
const lockfile = join(dir, "pnpm-lock.yaml");
writeFileSync(lockfile, "packages:\n  left-pad@1.3.0: {}\n");

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(repoRoot, "node_modules", ".cache", "devstack", "bundles", `${image}.json`), { force: true });
});

describe("the record of a bundle (so an unchanged service is not bundled again to learn its key)", () => {
  it("gives the bundled context's key back while nothing it was made of changed, and nothing after", async () => {
    expect(recordedContextKey(image, context, entry)).toBeUndefined();
    const first = await bundleContext(image, context, entry);
    await first.cleanup();
    expect(first.contextKey).toMatch(/^[0-9a-f]{64}$/);
    expect(recordedContextKey(image, context, entry)).toBe(first.contextKey);

    // An imported file changes: the record no longer holds; bundling again gives another key.
    writeFileSync(join(dir, "greeting.ts"), 'export const greeting = "hello, world";\n');
    expect(recordedContextKey(image, context, entry)).toBeUndefined();
    const second = await bundleContext(image, context, entry);
    await second.cleanup();
    expect(second.contextKey).not.toBe(first.contextKey);
    expect(recordedContextKey(image, context, entry)).toBe(second.contextKey);

    // So does the Dockerfile's folder, and the list of folders included next to the bundle.
    writeFileSync(join(context, "Dockerfile"), "FROM scratch\nLABEL x=y\n");
    expect(recordedContextKey(image, context, entry)).toBeUndefined();
    writeFileSync(join(context, "Dockerfile"), "FROM scratch\n");
    expect(recordedContextKey(image, context, entry)).toBe(second.contextKey);
    expect(recordedContextKey(image, context, entry, [relative(repoRoot, dir)])).toBeUndefined();
  });

  it("holds no longer once the lockfile changes, though every file the bundle read is still there", async () => {
    const made = await bundleContext(image, context, entry, [], lockfile);
    await made.cleanup();
    expect(recordedContextKey(image, context, entry, [], lockfile)).toBe(made.contextKey);
    // A dependency moved to another version: its old files can stay in node_modules, unchanged.
    writeFileSync(lockfile, "packages:\n  left-pad@1.3.1: {}\n");
    expect(recordedContextKey(image, context, entry, [], lockfile)).toBeUndefined();
  });
});
