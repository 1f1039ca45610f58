import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { UserError } from "../errors.ts";
import { repoRoot } from "../paths.ts";
import type { Progress } from "./recipe-build.ts";

const GOARCH: Record<string, string> = { x64: "amd64", ia32: "386", ppc64: "ppc64le" };

/**
 * How a recipe's Go main module is compiled: a static Linux binary for this machine's architecture
 * (the engine's), from the pinned go.mod/go.sum alone (`-mod=readonly`: nothing is resolved anew),
 * with the host's own toolchain (no automatic toolchain download).
 */
const GO_ENV = {
  CGO_ENABLED: "0",
  GOOS: "linux",
  GOARCH: GOARCH[process.arch] ?? process.arch,
  GOFLAGS: "-buildvcs=false",
  GOTOOLCHAIN: "local",
};
const GO_BUILD_FLAGS = ["-trimpath", "-mod=readonly"];

/** The build settings as one line, part of the image key. */
export const goBuildSettings = () =>
  [...Object.entries(GO_ENV).map(([k, v]) => `${k}=${v}`), ...GO_BUILD_FLAGS].join(" ");

/** The host toolchain's `go version` line, or undefined when there is no `go` on PATH. */
export async function goVersion(): Promise<string | undefined> {
  const result = await execa("go", ["version"], { reject: false, env: { GOTOOLCHAIN: "local" } });
  return result.exitCode === 0 ? String(result.stdout).trim() : undefined;
}

/**
 * The commands a module declares with `tool` directives (Go 1.24+), e.g. the Kubernetes binaries of
 * a wrapper module; none for a plain main module.
 */
export function goTools(goMod: string): string[] {
  const tools: string[] = [];
  for (const [, block, single] of goMod.matchAll(/^tool\s*(?:\(([^)]*)\)|(\S+))/gm)) {
    for (const line of block !== undefined ? block.split("\n") : [single ?? ""]) {
      const path = line.replace(/\/\/.*$/, "").trim();
      if (path) tools.push(path);
    }
  }
  return tools;
}

/** The absolute folder of a recipe's Go main module; an error naming the image if it has no go.mod. */
export function goModuleDir(image: string, module: string): string {
  const dir = resolve(repoRoot, module);
  if (!existsSync(join(dir, "go.mod")))
    throw new UserError(`image '${image}': recipe.go '${module}' is not a Go module (no go.mod in it)`);
  return dir;
}

/**
 * For images whose recipe names a `go` module: a temporary build context holding the recipe's
 * context files plus what the module compiles on the host: `app` for a main module, or `bin/NAME`
 * for each command the module declares as a `tool`, linked with the flags in the module's `ldflags`
 * file if it has one. Only called when the image must be built: its key is computed from the
 * module's files (that file included), not from the binaries.
 */
export async function goContext(
  image: string,
  context: string,
  module: string,
  progress: Progress,
): Promise<{ dir: string; cleanup: () => Promise<void>; seconds: number }> {
  const moduleDir = goModuleDir(image, module);
  const tools = goTools(await readFile(join(moduleDir, "go.mod"), "utf8"));
  const ldflagsFile = join(moduleDir, "ldflags");
  const ldflags = existsSync(ldflagsFile)
    ? (await readFile(ldflagsFile, "utf8"))
        .split("\n")
        .filter((line) => !line.trimStart().startsWith("#"))
        .flatMap((line) => line.split(/\s+/))
        .filter(Boolean)
        .join(" ")
    : "";
  const dir = await mkdtemp(join(tmpdir(), `devstack-${image}-`));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const started = performance.now();
  try {
    await cp(context, dir, { recursive: true });
    // -v names each package as it is compiled: the progress line of a long, silent build.
    const [target, packages] =
      tools.length > 0 ? [`${join(dir, "bin")}/`, ["tool"]] : [join(dir, "app"), ["."]];
    const flags = [...GO_BUILD_FLAGS, ...(ldflags ? [`-ldflags=${ldflags}`] : [])];
    const run = execa("go", ["build", ...flags, "-v", "-o", target, ...packages], {
      cwd: moduleDir,
      env: GO_ENV,
      reject: false,
      all: true,
    });
    const output: string[] = [];
    for await (const line of run.iterable({ from: "all" })) {
      output.push(String(line));
      progress(`go build: ${String(line).slice(0, 100)}`);
    }
    const result = await run;
    if ((result as { code?: string }).code === "ENOENT") {
      const goMod = await readFile(join(moduleDir, "go.mod"), "utf8");
      const wanted = /^go (\S+)/m.exec(goMod)?.[1];
      throw new UserError(
        `image '${image}', step 'go build ${module}': no \`go\` on PATH`,
        `Install Go${wanted ? ` ${wanted} or newer` : ""} (the toolchain compiles ${module} into the image) and put its bin folder on PATH, e.g. /usr/local/go/bin; or use --source upstream on a machine that can pull the upstream image.`,
      );
    }
    if (result.failed) {
      // Package names (the -v lines) say nothing about the failure; go's own messages do.
      const messages = output.filter((l) => !/^[\w.~/-]+$/.test(l));
      throw new UserError(
        `image '${image}', step 'go build ${module}': go build failed`,
        `go build said:\n  ${(messages.length > 0 ? messages : output).slice(-12).join("\n  ")}`,
      );
    }
    return { dir, cleanup, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
