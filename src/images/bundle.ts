import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { type BuildOptions, build } from "esbuild";
import { UserError } from "../errors.ts";
import { repoRoot } from "../paths.ts";
import { contextKey } from "./recipe-key.ts";

/** How every bundle is made; part of what a recorded bundle must match. */
const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // pg's optional native binding is never installed; CommonJS dependencies need `require`.
  external: ["pg-native"],
  banner: {
    js: "import { createRequire as __devstackRequire } from 'node:module'; const require = __devstackRequire(import.meta.url);",
  },
  sourcemap: "inline",
  logLevel: "silent",
  legalComments: "none",
};

/**
 * What the last bundle of an image was made of, so that an unchanged one is not bundled again just
 * to learn its key: the files esbuild read (its metafile inputs, repository-relative), a digest of
 * them with everything else that goes into the context, and the context key it gave.
 */
interface BundleRecord {
  inputs: string[];
  digest: string;
  contextKey: string;
}

const recordFile = (image: string) =>
  join(repoRoot, "node_modules", ".cache", "devstack", "bundles", `${image}.json`);

/**
 * The lockfile says which version of each package an import resolves to. Its files alone do not:
 * the files of a version replaced in package.json can stay in node_modules, unchanged, while the
 * bundle now takes the new one (seen: a policy-agent image kept a version the install had replaced).
 */
const LOCKFILE = join(repoRoot, "pnpm-lock.yaml");

function inputsDigest(context: string, entry: string, include: string[], inputs: string[], lockfile: string) {
  const hash = createHash("sha256").update(JSON.stringify({ BUNDLE_OPTIONS, entry, include }));
  hash.update(readFileSync(lockfile));
  hash.update(contextKey(context));
  for (const folder of include) hash.update(contextKey(resolve(repoRoot, folder)));
  for (const input of inputs) hash.update(`\0${input}\0`).update(readFileSync(resolve(repoRoot, input)));
  return hash.digest("hex");
}

/**
 * The context key of the image's bundled context, if the bundle recorded last time was made of
 * exactly the files that are there now; undefined when it must be bundled (again) to know.
 */
export function recordedContextKey(
  image: string,
  context: string,
  entry: string,
  include: string[] = [],
  lockfile = LOCKFILE,
) {
  try {
    const record = JSON.parse(readFileSync(recordFile(image), "utf8")) as BundleRecord;
    return inputsDigest(context, entry, include, record.inputs, lockfile) === record.digest
      ? record.contextKey
      : undefined;
  } catch {
    return undefined; // no record, or an input is gone: bundle
  }
}

/**
 * For images whose recipe names a `bundle` entry point: a temporary build context holding the
 * recipe's context files plus `server.mjs`, the entry bundled with esbuild (one file, all
 * dependencies inlined). esbuild's output is deterministic, so the context key, and with it the
 * image, only changes when the service's code or dependencies do.
 */
export async function bundleContext(
  image: string,
  context: string,
  entry: string,
  include: string[] = [],
  lockfile = LOCKFILE,
): Promise<{ dir: string; cleanup: () => Promise<void>; contextKey: string }> {
  const dir = await mkdtemp(join(tmpdir(), `devstack-${image}-`));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await cp(context, dir, { recursive: true });
    for (const folder of include)
      await cp(resolve(repoRoot, folder), join(dir, basename(folder)), { recursive: true });
    // Bundled in memory as if written inside the repository, so that the source map's paths (and
    // with them the image key) are the same in every checkout; then written to the context.
    const result = await build({
      ...BUNDLE_OPTIONS,
      entryPoints: [resolve(repoRoot, entry)],
      outfile: join(repoRoot, ".bundle", "server.mjs"),
      write: false,
      absWorkingDir: repoRoot,
      metafile: true,
    });
    const [bundle] = result.outputFiles;
    if (!bundle) throw new Error(`esbuild produced no output for ${entry}`);
    await writeFile(join(dir, "server.mjs"), bundle.contents);
    const inputs = Object.keys(result.metafile.inputs).sort();
    const record: BundleRecord = {
      inputs,
      digest: inputsDigest(context, entry, include, inputs, lockfile),
      contextKey: contextKey(dir),
    };
    mkdirSync(dirname(recordFile(image)), { recursive: true });
    writeFileSync(recordFile(image), JSON.stringify(record));
    return { dir, cleanup, contextKey: record.contextKey };
  } catch (error) {
    await cleanup();
    const detail = (
      error as { errors?: { text: string; location?: { file: string; line: number } }[] }
    ).errors
      ?.slice(0, 5)
      .map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`)
      .join("\n  ");
    throw new UserError(
      `image '${image}', step 'bundle ${entry}': esbuild failed`,
      detail ? `  ${detail}` : (error as Error).message,
    );
  }
}
