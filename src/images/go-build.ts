import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
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
 * with the host's own toolchain (no automatic toolchain download). A module with Go plugins
 * (folders under `plugins/`) is compiled with cgo instead: only a dynamically linked binary can
 * load a plugin, and binary and plugins must be built with the same settings.
 */
const goEnv = (withPlugins: boolean) => ({
  CGO_ENABLED: withPlugins ? "1" : "0",
  GOOS: "linux",
  GOARCH: GOARCH[process.arch] ?? process.arch,
  GOFLAGS: "-buildvcs=false",
  GOTOOLCHAIN: "local",
});
const GO_BUILD_FLAGS = ["-trimpath", "-mod=readonly"];

/** The Go plugins of a module: the folders under its `plugins/`, each compiled to `plugins/NAME.so`. */
export function goPlugins(moduleDir: string): string[] {
  const dir = join(moduleDir, "plugins");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** The words of a module's flag file (`ldflags`, `tags`): whitespace-separated, `#` comment lines. */
function flagFile(moduleDir: string, name: string): string[] {
  const file = join(moduleDir, name);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .flatMap((line) => line.split(/\s+/))
    .filter(Boolean);
}

/**
 * The build settings of a module as one line, part of the image key: the environment and flags,
 * and with cgo the C compiler's version line (the plugins' loader is linked by it).
 */
export async function goBuildSettings(moduleDir: string): Promise<string> {
  const env = goEnv(goPlugins(moduleDir).length > 0);
  const settings = [...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...GO_BUILD_FLAGS];
  if (env.CGO_ENABLED === "1") settings.push(`cc=${await ccVersion()}`);
  return settings.join(" ");
}

let ccVersionLine: Promise<string> | undefined;
/** The C compiler's version line ("none" without one), asked once per process: it runs per resolution. */
function ccVersion(): Promise<string> {
  ccVersionLine ??= execa("cc", ["--version"], { reject: false }).then((cc) =>
    cc.exitCode === 0 ? (String(cc.stdout).split("\n")[0] ?? "none") : "none",
  );
  return ccVersionLine;
}

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
 * for each command the module declares as a `tool`, and `plugins/NAME.so` for each of its Go
 * plugins; linked with the flags in the module's `ldflags` file and built with the tags in its
 * `tags` file, where it has them. Only called when the image must be built: its key is computed
 * from the module's files (those files included), not from the binaries.
 */
export async function goContext(
  image: string,
  context: string,
  module: string,
  progress: Progress,
): Promise<{ dir: string; cleanup: () => Promise<void>; seconds: number }> {
  const moduleDir = goModuleDir(image, module);
  const tools = goTools(await readFile(join(moduleDir, "go.mod"), "utf8"));
  const plugins = goPlugins(moduleDir);
  const ldflags = flagFile(moduleDir, "ldflags").join(" ");
  const tags = flagFile(moduleDir, "tags").join(",");
  const dir = await mkdtemp(join(tmpdir(), `devstack-${image}-`));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const started = performance.now();
  try {
    await cp(context, dir, { recursive: true });
    const flags = [
      ...GO_BUILD_FLAGS,
      ...(ldflags ? [`-ldflags=${ldflags}`] : []),
      ...(tags ? [`-tags=${tags}`] : []),
    ];
    const env = goEnv(plugins.length > 0);
    const [target, packages] =
      tools.length > 0 ? [`${join(dir, "bin")}/`, ["tool"]] : [join(dir, "app"), ["."]];
    await goBuild(image, module, moduleDir, env, [...flags, "-o", target, ...packages], progress);
    if (plugins.length > 0) await mkdir(join(dir, "plugins"));
    for (const plugin of plugins) {
      const output = join(dir, "plugins", `${plugin}.so`);
      const args = [...flags, "-buildmode=plugin", "-o", output, `./plugins/${plugin}`];
      await goBuild(image, module, moduleDir, env, args, progress);
    }
    return { dir, cleanup, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** One `go build` in the module, its packages as progress lines, a failure in go's own words. */
async function goBuild(
  image: string,
  module: string,
  moduleDir: string,
  env: Record<string, string>,
  args: string[],
  progress: Progress,
): Promise<void> {
  // -v names each package as it is compiled: the progress line of a long, silent build.
  const run = execa("go", ["build", "-v", ...args], { cwd: moduleDir, env, reject: false, all: true });
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
}
