import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { docker } from "../docker/cli.ts";
import type { Progress } from "./recipe-build.ts";

/** An image of the map carried inside another one, and the names it must answer to there. */
export interface Preload {
  name: string;
  ref: string;
  /** The image's id: what the carrying image's key depends on. */
  id: string;
  aliases: string[];
}

/**
 * A reference as a container runtime outside Docker spells it: Docker Hub's implicit registry and
 * `library/` written out (`azora-devstack/etcd:1` is `docker.io/azora-devstack/etcd:1` in containerd).
 */
export function fullReference(ref: string): string {
  const slash = ref.indexOf("/");
  const first = slash < 0 ? "" : ref.slice(0, slash);
  const hasRegistry = /[.:]/.test(first) || first === "localhost";
  if (hasRegistry) return ref;
  return slash < 0 ? `docker.io/library/${ref}` : `docker.io/${ref}`;
}

/** What the preloads add to the carrying image's key: each image's id and the names it gets. */
export const preloadIdentity = (preloads: Preload[]) =>
  preloads.map((p) => `${p.name}=${p.id}[${[...p.aliases].sort().join(",")}]`).join(";");

/**
 * Saves each preloaded image into `dir/preload/NAME.tar` and writes `dir/preload/tags`: one line per
 * image, `NAME REFERENCE ALIAS...`, references written in full, for the importer inside the image.
 */
export async function writePreloads(dir: string, preloads: Preload[], progress: Progress): Promise<void> {
  const folder = join(dir, "preload");
  await mkdir(folder, { recursive: true });
  for (const preload of preloads) {
    progress(`saving ${preload.name} (${preload.ref}) to preload`);
    await docker(["save", "--output", join(folder, `${preload.name}.tar`), preload.ref]);
  }
  const lines = preloads.map((p) =>
    [p.name, fullReference(p.ref), ...p.aliases.map(fullReference)].join(" "),
  );
  await writeFile(join(folder, "tags"), `${lines.join("\n")}\n`);
}
