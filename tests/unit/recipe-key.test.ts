import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageFailure } from "../../src/images/recipe-build.ts";
import { contextKey, imageKey, rootfsKey } from "../../src/images/recipe-key.ts";

describe("recipe keys", () => {
  it("a root filesystem key ignores package order and duplicates, not the set or suite", () => {
    expect(rootfsKey("trixie", ["a", "b"])).toBe(rootfsKey("trixie", ["b", "a", "a"]));
    expect(rootfsKey("trixie", ["a", "b"])).not.toBe(rootfsKey("trixie", ["a", "c"]));
    expect(rootfsKey("trixie", ["a"])).not.toBe(rootfsKey("bookworm", ["a"]));
  });

  it("a context key changes with a file's bytes, name or executable bit", () => {
    const dir = mkdtempSync(join(tmpdir(), "devstack-ctx-"));
    writeFileSync(join(dir, "Dockerfile"), "FROM x\n");
    writeFileSync(join(dir, "entry.sh"), "echo hi\n");
    const first = contextKey(dir);
    expect(contextKey(dir)).toBe(first);
    chmodSync(join(dir, "entry.sh"), 0o755);
    const executable = contextKey(dir);
    expect(executable).not.toBe(first);
    writeFileSync(join(dir, "entry.sh"), "echo bye\n");
    expect(contextKey(dir)).not.toBe(executable);
    expect(imageKey("rootfs:1", dir)).not.toBe(imageKey("rootfs:2", dir));
  });
});

describe("package failure messages", () => {
  it("name the image, the step and the package apt could not find", () => {
    const error = packageFailure(
      "postgres",
      ["postgresql-17", "no-such-pkg"],
      [
        "I: downloading packages with apt...",
        "E: Unable to locate package no-such-pkg",
        "E: apt-get --yes install failed",
      ],
    );
    expect(error.message).toBe(
      "image 'postgres', step 'root filesystem (mmdebstrap)': cannot fetch package 'no-such-pkg'",
    );
    expect(error.hint).toMatch(/Unable to locate package no-such-pkg/);
  });

  it("name the package of a download that failed", () => {
    const error = packageFailure(
      "redis",
      ["redis-server"],
      ["E: Failed to fetch http://mirror/pool/main/r/redis/redis-server_8.0.2-3_amd64.deb  404  Not Found"],
    );
    expect(error.message).toMatch(/cannot fetch package 'redis-server'$/);
  });
});
