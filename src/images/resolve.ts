import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Listr } from "listr2";
import { dockerMaybe, ensureEngine } from "../docker/cli.ts";
import { UserError } from "../errors.ts";
import { LABEL } from "../labels.ts";
import { repoRoot } from "../paths.ts";
import { bundleContext, recordedContextKey } from "./bundle.ts";
import { goBuildSettings, goContext, goModuleDir, goVersion } from "./go-build.ts";
import { buildOrder, type ImageMap, loadImageMap } from "./image-map.ts";
import { type Preload, preloadIdentity, writePreloads } from "./preload.ts";
import { buildDockerfile, buildRootfs, type Progress } from "./recipe-build.ts";
import { contextKey, goModuleKey, imageKeyOf, rootfsKey, shortKey } from "./recipe-key.ts";

/** Where an image may come from: `auto` tries local, then upstream, then the recipe. */
export const IMAGE_SOURCES = ["auto", "recipe", "upstream"] as const;
export type ImageSource = (typeof IMAGE_SOURCES)[number];

export type HowResolved = "up to date" | "local upstream" | "pulled upstream" | "built from recipe";

export interface ResolvedImage {
  name: string;
  /** The reference to run: a recipe tag `azora-devstack/NAME:KEY` or the upstream reference. */
  ref: string;
  /** The image's id in the engine (the digest of its configuration). */
  id: string;
  how: HowResolved;
  seconds: number;
  /** The recipe's note (e.g. which version it builds), when the image is the recipe's. */
  note?: string;
  /** How long compiling the recipe's Go module took, when it was compiled. */
  goBuildSeconds?: number;
}

/** Where a resolved image came from, in words: its offline recipe (and what that builds), or upstream. */
export const imageOrigin = (image: ResolvedImage) =>
  image.how === "up to date" || image.how === "built from recipe"
    ? `offline recipe${image.note ? ` (${image.note})` : ""}`
    : "upstream";

/** What an environment's record keeps of its images: each one's reference and origin, by name. */
export const imagesRecord = (images: Iterable<ResolvedImage>) =>
  Object.fromEntries([...images].map((i) => [i.name, { ref: i.ref, source: imageOrigin(i) }]));

const recipeTag = (name: string, key: string) => `azora-devstack/${name}:${shortKey(key)}`;
const rootfsTag = (name: string, key: string) => `azora-devstack/${name}-rootfs:${shortKey(key)}`;
/**
 * Ids found during the current resolution (one runs at a time in a process): each child asks for
 * its parent's, which the parent's own check has just found, and every lookup is a docker process.
 */
const knownIds = new Map<string, string>();
async function imageId(ref: string): Promise<string | undefined> {
  const known = knownIds.get(ref);
  if (known) return known;
  const id = await dockerMaybe(["image", "inspect", "--format", "{{.Id}}", ref]);
  if (id) knownIds.set(ref, id);
  return id;
}

/**
 * The id of the image at an upstream reference, unless it is one of our builds tagged with that
 * reference (the Kind runtime tags each image with the name its manifests use before `kind load`):
 * such an alias is whatever recipe was current then, not the upstream image, and must not stand in
 * for a recipe that changed since.
 */
async function upstreamId(ref: string): Promise<string | undefined> {
  const found = await dockerMaybe([
    "image",
    "inspect",
    "--format",
    `{{.Id}} {{with .Config.Labels}}{{index . "${LABEL.recipe}"}}{{end}}`,
    ref,
  ]);
  const [id, recipe] = (found ?? "").split(" ");
  return id && !recipe ? id : undefined;
}

async function resolveOne(
  map: ImageMap,
  name: string,
  source: ImageSource,
  resolved: Map<string, ResolvedImage>,
  progress: Progress,
): Promise<ResolvedImage> {
  const started = performance.now();
  const entry = map.images[name];
  if (!entry) throw new UserError(`unknown image '${name}'`);
  const { recipe, upstream } = entry;
  let goBuildSeconds: number | undefined;
  const done = async (ref: string, how: HowResolved): Promise<ResolvedImage> => {
    const id = await imageId(ref);
    if (!id) throw new Error(`internal: image '${name}' (${ref}) is not in the engine after it was ${how}`);
    return {
      name,
      ref,
      id,
      how,
      seconds: (performance.now() - started) / 1000,
      ...(recipe.note && ref !== upstream ? { note: recipe.note } : {}),
      ...(goBuildSeconds !== undefined ? { goBuildSeconds } : {}),
    };
  };
  const recipeContext = resolve(repoRoot, recipe.context);
  // A bundled service gets a temporary context: the recipe's files plus the fresh bundle. It is
  // only made when its key is not known from the bundle recorded last time, or for a build.
  let bundled: Awaited<ReturnType<typeof bundleContext>> | undefined;
  const bundle = async () => {
    if (recipe.bundle) bundled ??= await bundleContext(name, recipeContext, recipe.bundle, recipe.include);
    return bundled;
  };
  try {
    return await resolveRecipe();
  } finally {
    await bundled?.cleanup();
  }

  async function resolveRecipe(): Promise<ResolvedImage> {
    // What the image is built on decides its key: a root filesystem recipe, or the parent's image id.
    let base: { ref: string; identity: string; rootfs?: { key: string; packages: string[] } };
    if (recipe.packages) {
      const key = rootfsKey(map.suite, recipe.packages);
      base = {
        ref: rootfsTag(name, key),
        identity: `rootfs:${key}`,
        rootfs: { key, packages: recipe.packages },
      };
    } else {
      const parent = resolved.get(recipe.from ?? "");
      if (!parent) throw new Error(`internal: parent '${recipe.from}' of '${name}' was not resolved first`);
      base = { ref: parent.ref, identity: `image:${await imageId(parent.ref)}` };
    }
    // A Go module is keyed by its files and the toolchain, so that a no-op needs no compile.
    const goModule = recipe.go ? goModuleDir(name, recipe.go) : undefined;
    const compiled = goModule
      ? goModuleKey(goModule, await goVersion(), await goBuildSettings(goModule))
      : undefined;
    const preloads: Preload[] = [];
    for (const carried of recipe.preload ?? []) {
      const image = resolved.get(carried);
      if (!image) throw new Error(`internal: preload '${carried}' of '${name}' was not resolved first`);
      const id = await imageId(image.ref);
      if (!id) throw new Error(`internal: preload '${carried}' (${image.ref}) is not in the engine`);
      preloads.push({ name: carried, ref: image.ref, id, aliases: map.images[carried]?.aliases ?? [] });
    }
    const contextKeyValue = recipe.bundle
      ? (recordedContextKey(name, recipeContext, recipe.bundle, recipe.include) ??
        (await bundle())?.contextKey)
      : contextKey(recipeContext);
    const key = imageKeyOf(
      base.identity,
      contextKeyValue ?? "",
      compiled,
      preloads.length > 0 ? preloadIdentity(preloads) : undefined,
    );
    const tag = recipeTag(name, key);

    if (source !== "upstream" && (await imageId(tag))) return done(tag, "up to date");
    if (source !== "recipe" && upstream) {
      if (await upstreamId(upstream)) return done(upstream, "local upstream");
      progress(`pulling ${upstream}`);
      const pulled = await dockerMaybe(["pull", "--quiet", upstream], { timeout: 300_000 });
      if (pulled !== undefined) return done(upstream, "pulled upstream");
      if (source === "upstream")
        throw new UserError(
          `image '${name}': cannot pull ${upstream}`,
          "Use --source auto or recipe to build it offline.",
        );
    } else if (source === "upstream") {
      throw new UserError(`image '${name}' has no upstream reference; use --source auto or recipe`);
    }

    if (base.rootfs && !(await imageId(base.ref))) {
      progress(`root filesystem: ${base.rootfs.packages.join(", ")}`);
      await buildRootfs({
        image: name,
        suite: map.suite,
        packages: base.rootfs.packages,
        tag: base.ref,
        key: base.rootfs.key,
        progress,
      });
    }
    const context = (await bundle())?.dir ?? recipeContext;
    const go = recipe.go ? await goContext(name, context, recipe.go, progress) : undefined;
    // Preloaded images are written next to the context's files, never into the recipe's folder.
    const carrying =
      preloads.length > 0 && !go ? await mkdtemp(join(tmpdir(), `devstack-${name}-`)) : undefined;
    try {
      goBuildSeconds = go?.seconds;
      if (carrying) await cp(context, carrying, { recursive: true });
      const buildContext = go?.dir ?? carrying ?? context;
      if (preloads.length > 0) await writePreloads(buildContext, preloads, progress);
      await buildDockerfile({ image: name, context: buildContext, base: base.ref, tag, key, progress });
    } finally {
      await go?.cleanup();
      if (carrying) await rm(carrying, { recursive: true, force: true });
    }
    return done(tag, "built from recipe");
  }
}

/**
 * Resolves images of the map (all by default, parents first), building what is missing, with one
 * live status line per image. Returns each image's runnable reference and how it was obtained.
 */
export function resolveImages(opts: ResolveOptions = {}): Promise<Map<string, ResolvedImage>> {
  // One resolution at a time in a process: steps that run side by side (the Kind runtime's lanes)
  // may need the same base image, which must be built once, not twice at the same time.
  const turn = resolving.then(() => resolveInTurn(opts));
  resolving = turn.catch(() => undefined);
  return turn;
}

type ResolveOptions = { names?: string[]; source?: ImageSource; map?: ImageMap; silent?: boolean };
let resolving: Promise<unknown> = Promise.resolve();

async function resolveInTurn(opts: ResolveOptions): Promise<Map<string, ResolvedImage>> {
  // Images may have been built, pulled or removed since the last resolution.
  knownIds.clear();
  await ensureEngine();
  // Every DevStack tag and its id in one docker process: a reused environment's images are all
  // found here, instead of by an inspect apiece. A tag not listed is still looked up (a build's).
  const tags = await ourTags();
  for (const { tag, id } of tags) knownIds.set(tag, id);
  const map = opts.map ?? loadImageMap();
  const order = buildOrder(map, opts.names ?? []);
  const source = opts.source ?? "auto";
  const resolved = new Map<string, ResolvedImage>();

  const tasks = new Listr(
    order.map((name) => ({
      title: name,
      task: async (_ctx: unknown, task: { output: string; title: string }) => {
        const image = await resolveOne(map, name, source, resolved, (line) => {
          task.output = line;
        });
        resolved.set(name, image);
        const details = [
          image.note,
          image.goBuildSeconds !== undefined ? `go build ${image.goBuildSeconds.toFixed(1)}s` : undefined,
        ].filter(Boolean);
        task.title = `${name}: ${image.how}${details.length > 0 ? ` (${details.join("; ")})` : ""} (${image.ref}) in ${image.seconds.toFixed(1)}s`;
      },
    })),
    {
      concurrent: false,
      exitOnError: true,
      renderer: opts.silent ? "silent" : "default",
      fallbackRenderer: "simple",
      rendererOptions: { collapseErrors: false },
    },
  );
  await tasks.run();
  await pruneSuperseded(
    map,
    resolved,
    tags.map((t) => t.tag),
  );
  return resolved;
}

/** Every `azora-devstack/*` tag in the engine, with its image id. */
async function ourTags(): Promise<{ tag: string; id: string }[]> {
  const listing = await dockerMaybe([
    "images",
    "--no-trunc",
    "--filter",
    "reference=azora-devstack/*",
    "--format",
    "{{.ID}} {{.Repository}}:{{.Tag}}",
  ]);
  return (listing ?? "")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id = "", tag = ""] = line.split(" ");
      return { tag, id };
    });
}

/**
 * Removes older recipe builds of the images just resolved (other tags of `azora-devstack/NAME`,
 * and of `azora-devstack/NAME-rootfs` than the current root filesystem), so that repeated builds
 * do not pile up. An image a container still uses stays: `docker rmi` without --force refuses it.
 * `tags` is the listing from before the resolution: what it built is current, never stale.
 */
async function pruneSuperseded(
  map: ImageMap,
  resolved: Map<string, ResolvedImage>,
  tags: readonly string[],
): Promise<void> {
  const repositoryOf = (tag: string) => tag.slice(0, tag.lastIndexOf(":"));
  for (const image of resolved.values()) {
    const packages = map.images[image.name]?.recipe.packages;
    const keep = new Set([image.ref, packages ? rootfsTag(image.name, rootfsKey(map.suite, packages)) : ""]);
    const mine = new Set([`azora-devstack/${image.name}`, `azora-devstack/${image.name}-rootfs`]);
    const stale = tags.filter((tag) => mine.has(repositoryOf(tag)) && !keep.has(tag));
    if (stale.length > 0) await dockerMaybe(["rmi", ...stale]);
  }
}
