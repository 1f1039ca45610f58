import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** Bump when the way root filesystems are made changes, so every cached base is rebuilt. */
export const ROOTFS_METHOD = "mmdebstrap/apt/no-docs/v1";

const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/** Key of a root filesystem: the suite, the package set (order-free) and how it is made. */
export function rootfsKey(suite: string, packages: string[]): string {
  return sha256(JSON.stringify({ method: ROOTFS_METHOD, suite, packages: [...new Set(packages)].sort() }));
}

/** Key of a build context folder: every file's path, mode and bytes. */
export function contextKey(dir: string): string {
  const hash = createHash("sha256");
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        hash.update(`${relative(dir, full)}\0${statSync(full).mode & 0o111 ? "x" : "-"}\0`);
        hash.update(readFileSync(full));
        hash.update("\0");
      }
    }
  };
  walk(dir);
  return hash.digest("hex");
}

/**
 * Key of a Go main module compiled into an image: its files (go.mod, go.sum, sources), the
 * toolchain (`go version`, or none when there is no `go`) and the build settings. Computed without
 * compiling, so an unchanged module is a no-op.
 */
export function goModuleKey(dir: string, toolchain: string | undefined, settings: string): string {
  return sha256(JSON.stringify({ module: contextKey(dir), toolchain: toolchain ?? "none", settings }));
}

/**
 * Key of an image: what it is built on (a root filesystem key or a parent image id) plus its
 * context, and the key of what is compiled into the context (a Go module), if anything.
 */
export function imageKey(baseIdentity: string, context: string, compiled?: string): string {
  return imageKeyOf(baseIdentity, contextKey(context), compiled);
}

/**
 * `imageKey` from a context key already known (a bundled context recorded earlier), plus the
 * identity of the images saved into the context (preloads), if any.
 */
export function imageKeyOf(
  baseIdentity: string,
  contextKeyValue: string,
  compiled?: string,
  preloaded?: string,
): string {
  const extra = `${compiled ? `\n${compiled}` : ""}${preloaded ? `\npreload:${preloaded}` : ""}`;
  return sha256(`${baseIdentity}\n${contextKeyValue}${extra}`);
}

export const shortKey = (key: string) => key.slice(0, 12);
