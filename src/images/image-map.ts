import { join } from "node:path";
import { z } from "zod";
import { loadYamlFile } from "../config/yaml-file.ts";
import { UserError } from "../errors.ts";
import { repoRoot } from "../paths.ts";

const debianPackage = z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, "a Debian package name");

const recipeSchema = z
  .strictObject({
    packages: z.array(debianPackage).min(1).optional(),
    from: z.string().optional(),
    context: z.string().min(1),
    bundle: z.string().min(1).optional(),
    /** Folders (relative to the repository) copied into a bundled context under their own name. */
    include: z.array(z.string().min(1)).optional(),
    /**
     * A Go module folder (relative to the repository), compiled on the host into the context: as
     * `app` (a main module), or as `bin/NAME` for each command it declares with `tool`; linker
     * flags (e.g. the version a binary reports) in the module's file `ldflags`, if it has one.
     */
    go: z.string().min(1).optional(),
    /**
     * Other images of the map saved into the context under `preload/` (one archive each, and
     * `preload/tags` naming each image's reference and the aliases it is known by), for an image
     * that carries images inside it: a Kind node's container runtime imports them at boot.
     */
    preload: z.array(z.string().min(1)).min(1).optional(),
    /** What the recipe builds where that differs from the upstream, shown with how it was resolved. */
    note: z.string().min(1).optional(),
  })
  .refine((r) => (r.packages === undefined) !== (r.from === undefined), {
    message:
      "exactly one of `packages` (a new root filesystem) or `from` (another image of the map) is expected",
  })
  .refine((r) => r.bundle === undefined || r.from !== undefined, {
    message: "`bundle` (a Node entry point to bundle into the context) needs `from` (the Node runtime image)",
  })
  .refine((r) => r.go === undefined || r.bundle === undefined, {
    message:
      "`go` (a Go main module compiled into the context) and `bundle` (a Node entry point bundled into it) exclude each other",
    path: ["go"],
  })
  .refine((r) => r.include === undefined || r.bundle !== undefined, {
    message: "`include` (folders copied next to the bundle) needs `bundle`",
    path: ["include"],
  });

const imageSchema = z.strictObject({
  upstream: z.string().min(1).optional(),
  aliases: z.array(z.string().min(1)).optional(),
  recipe: recipeSchema,
});

export const imageMapSchema = z.strictObject({
  suite: z.string().regex(/^[a-z]+$/, "a Debian suite name such as trixie"),
  images: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, "a lower-case image name"), imageSchema),
});

export type ImageMap = z.infer<typeof imageMapSchema>;
export type ImageEntry = ImageMap["images"][string];

export const defaultImageMapFile = () => join(repoRoot, "images", "images.yaml");

/** The images an image's recipe needs resolved first: its parent, and the images it preloads. */
export const dependenciesOf = (entry: ImageEntry): { field: "from" | "preload"; name: string }[] => [
  ...(entry.recipe.from ? [{ field: "from" as const, name: entry.recipe.from }] : []),
  ...(entry.recipe.preload ?? []).map((name) => ({ field: "preload" as const, name })),
];

/** Loads and checks the image map: schema, `from` and `preload` references, and no cycles. */
export function loadImageMap(file = defaultImageMapFile()): ImageMap {
  const map = loadYamlFile(file, imageMapSchema);
  const known = Object.keys(map.images).join(", ");
  const walk = (name: string, path: string[]) => {
    for (const { field, name: needed } of dependenciesOf(map.images[name] as ImageEntry)) {
      const where = `${file}: images.${name}.recipe.${field}`;
      if (!map.images[needed])
        throw new UserError(`${where}: '${needed}' is not an image of the map (known: ${known})`);
      if (path.includes(needed)) throw new UserError(`${where}: cycle ${[...path, needed].join(" -> ")}`);
      walk(needed, [...path, needed]);
    }
  };
  for (const name of Object.keys(map.images)) walk(name, [name]);
  return map;
}

/** The names to build for a request, parents first; unknown names are an error listing the valid ones. */
export function buildOrder(map: ImageMap, requested: string[]): string[] {
  const known = Object.keys(map.images);
  const unknown = requested.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new UserError(
      `unknown image${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`,
      `valid images: ${known.join(", ")}`,
    );
  }
  const order: string[] = [];
  const visit = (name: string) => {
    if (order.includes(name)) return;
    for (const needed of dependenciesOf(map.images[name] as ImageEntry)) visit(needed.name);
    order.push(name);
  };
  for (const name of requested.length > 0 ? requested : known) visit(name);
  return order;
}

/** The logical image a manifest's image reference stands for (its upstream or one of its aliases). */
export function imageForReference(map: ImageMap, reference: string): string | undefined {
  return Object.entries(map.images).find(
    ([, e]) => e.upstream === reference || e.aliases?.includes(reference),
  )?.[0];
}
