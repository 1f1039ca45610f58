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
    /** A Go main module folder (relative to the repository), compiled on the host into the context as `app`. */
    go: z.string().min(1).optional(),
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

/** Loads and checks the image map: schema, `from` references, and no cycles. */
export function loadImageMap(file = defaultImageMapFile()): ImageMap {
  const map = loadYamlFile(file, imageMapSchema);
  for (const [name, entry] of Object.entries(map.images)) {
    const seen = [name];
    let from = entry.recipe.from;
    while (from !== undefined) {
      const parent = map.images[from];
      if (!parent) {
        throw new UserError(
          `${file}: images.${name}.recipe.from: '${from}' is not an image of the map (known: ${Object.keys(map.images).join(", ")})`,
        );
      }
      if (seen.includes(from))
        throw new UserError(`${file}: images.${name}.recipe.from: cycle ${[...seen, from].join(" -> ")}`);
      seen.push(from);
      from = parent.recipe.from;
    }
  }
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
    const from = map.images[name]?.recipe.from;
    if (from) visit(from);
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
