import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { build } from "esbuild";
import { UserError } from "../errors.ts";
import { repoRoot } from "../paths.ts";

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
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `devstack-${image}-`));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await cp(context, dir, { recursive: true });
    for (const folder of include)
      await cp(resolve(repoRoot, folder), join(dir, basename(folder)), { recursive: true });
    // Bundled in memory as if written inside the repository, so that the source map's paths (and
    // with them the image key) are the same in every checkout; then written to the context.
    const result = await build({
      entryPoints: [resolve(repoRoot, entry)],
      outfile: join(repoRoot, ".bundle", "server.mjs"),
      write: false,
      absWorkingDir: repoRoot,
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
    });
    const [bundle] = result.outputFiles;
    if (!bundle) throw new Error(`esbuild produced no output for ${entry}`);
    await writeFile(join(dir, "server.mjs"), bundle.contents);
    return { dir, cleanup };
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
