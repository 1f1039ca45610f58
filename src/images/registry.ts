import { Listr } from "listr2";
import { docker } from "../docker/cli.ts";
import { UserError } from "../errors.ts";
import { type ImageEntry, type ImageMap, loadImageMap } from "./image-map.ts";
import type { ResolvedImage } from "./resolve.ts";

/** HOST[:PORT] of a registry: a name or IPv4 address, an optional port, no scheme or path. */
const REGISTRY = /^(?<host>[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:(?<port>\d{1,5}))?$/i;

/** Checks `--registry` (or an env file's registry) before anything is pushed. */
export function parseRegistry(value: string, flag = "--registry"): string {
  const match = REGISTRY.exec(value);
  const port = Number(match?.groups?.port ?? 443);
  if (!match || port < 1 || port > 65_535)
    throw new UserError(
      `${flag}: expected HOST[:PORT] of a registry (e.g. 127.0.0.1:5001 or registry.example.com), got '${value}'`,
    );
  return value.toLowerCase();
}

/**
 * Where an image goes in the registry: its name under azora-devstack/, tagged with its image id (the
 * digest of its configuration), after the version its map entry names if it names one. Ids say
 * what an image is (upstream tags move: a retagged upstream image is pushed again, an unchanged one
 * never); the version stays first because readers of the tag rely on it: CloudNativePG takes a
 * Cluster's PostgreSQL version from its image's tag (`08efb8…` alone reads as version 8, refused).
 */
export const registryRef = (registry: string, name: string, imageId: string, version?: string) =>
  `${registry}/azora-devstack/${name}:${version ? `${version}-` : ""}${imageId.replace(/^sha256:/, "").slice(0, 12)}`;

/** The tag of an image-map entry's upstream reference, else of its first alias (none for `latest`). */
export function versionOf(entry: Pick<ImageEntry, "upstream" | "aliases">): string | undefined {
  const reference = (entry.upstream ?? entry.aliases?.[0] ?? "").split("@")[0] ?? "";
  const afterName = reference.slice(reference.lastIndexOf("/") + 1);
  const tag = afterName.includes(":") ? afterName.slice(afterName.indexOf(":") + 1) : "";
  return tag && tag !== "latest" ? tag : undefined;
}

/** The engine pushes to loopback registries over plain HTTP (its default), to any other over HTTPS. */
const loopback = (registry: string) => /^(localhost|127\.\d+\.\d+\.\d+)(:|$)/.test(registry);

const MANIFESTS = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/**
 * Whether the registry holds `ref`'s manifest (Distribution API: HEAD of the manifest). A registry
 * that asks for credentials cannot be asked without them: the answer is "unknown", and the push
 * (which the engine authenticates) goes ahead, sending only the layers the registry lacks.
 */
export async function registryHas(ref: string): Promise<boolean | "unknown"> {
  const [registry = "", rest = ""] = [ref.slice(0, ref.indexOf("/")), ref.slice(ref.indexOf("/") + 1)];
  const [repository, tag] = [rest.slice(0, rest.lastIndexOf(":")), rest.slice(rest.lastIndexOf(":") + 1)];
  const url = `${loopback(registry) ? "http" : "https"}://${registry}/v2/${repository}/manifests/${tag}`;
  const answer = await fetch(url, { method: "HEAD", headers: { accept: MANIFESTS } }).catch(
    (error: Error) => {
      throw new UserError(
        `registry ${registry} does not answer (${url}): ${String((error.cause as Error | undefined)?.message ?? error.message)}`,
        "Start it, or name another with --registry HOST[:PORT].",
      );
    },
  );
  if (answer.status === 200) return true;
  if (answer.status === 404) return false;
  if (answer.status === 401 || answer.status === 403) return "unknown";
  throw new UserError(`registry ${registry} answered ${answer.status} to HEAD ${url}`);
}

export interface PushedImage {
  name: string;
  /** The reference in the registry, for manifests to run. */
  ref: string;
  pushed: boolean;
  seconds: number;
}

/**
 * Pushes each resolved image to the registry under its content tag, skipping those the registry
 * already holds, with one status line per image. The extra local tag the push needs is removed
 * afterwards (the image stays under its own reference).
 */
export async function pushImages(
  images: Iterable<ResolvedImage>,
  registry: string,
  { silent = false, map = loadImageMap() }: { silent?: boolean; map?: ImageMap } = {},
): Promise<PushedImage[]> {
  const results: PushedImage[] = [];
  const tasks = new Listr(
    [...images].map((image) => ({
      title: image.name,
      task: async (_ctx: unknown, task: { title: string; output: string }) => {
        const began = performance.now();
        const entry = map.images[image.name];
        const ref = registryRef(registry, image.name, image.id, entry ? versionOf(entry) : undefined);
        const has = await registryHas(ref);
        if (has !== true) {
          task.output = `pushing ${ref}`;
          await docker(["tag", image.ref, ref]);
          try {
            await docker(["push", "--quiet", ref]);
          } finally {
            await docker(["image", "rm", ref]).catch(() => undefined);
          }
        }
        const seconds = (performance.now() - began) / 1000;
        results.push({ name: image.name, ref, pushed: has !== true, seconds });
        task.title = `${image.name}: ${has === true ? "already in the registry" : "pushed"} (${ref}) in ${seconds.toFixed(1)}s`;
      },
    })),
    {
      // Two at a time: the engine already sends each image's layers side by side.
      concurrent: 2,
      exitOnError: true,
      renderer: silent ? "silent" : "default",
      fallbackRenderer: "simple",
      rendererOptions: { collapseErrors: false },
    },
  );
  await tasks.run();
  return results;
}
