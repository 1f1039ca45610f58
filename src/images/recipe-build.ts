import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { docker } from "../docker/cli.ts";
import { UserError } from "../errors.ts";
import { LABEL } from "../labels.ts";

/** Reports one line of progress for the step in hand. */
export type Progress = (line: string) => void;

const DPKG_OPTIONS = [
  "path-exclude=/usr/share/doc/*",
  "path-include=/usr/share/doc/*/copyright",
  "path-exclude=/usr/share/man/*",
  "path-exclude=/usr/share/info/*",
  "path-exclude=/usr/share/locale/*",
];

/**
 * Makes a Debian root filesystem with mmdebstrap and imports it as `tag`. The tag is applied only
 * by a successful `docker import`, so a failure never leaves a half-made base behind.
 */
export async function buildRootfs(opts: {
  image: string;
  suite: string;
  packages: string[];
  tag: string;
  key: string;
  progress: Progress;
}): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "devstack-rootfs-"));
  const tar = join(work, "rootfs.tar");
  try {
    const args = [
      "--variant=apt",
      `--include=${opts.packages.join(",")}`,
      ...DPKG_OPTIONS.map((o) => `--dpkgopt=${o}`),
      '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin',
      opts.suite,
      tar,
    ];
    const run = execa("mmdebstrap", args, { reject: false, all: true });
    const output: string[] = [];
    for await (const line of run.iterable({ from: "all" })) {
      output.push(String(line));
      if (/^[IE]: /.test(String(line))) opts.progress(`mmdebstrap: ${String(line).slice(3, 100)}`);
    }
    const result = await run;
    if (result.failed) {
      if ((result as { code?: string }).code === "ENOENT") {
        throw new UserError(
          `image '${opts.image}', step 'root filesystem': mmdebstrap is not installed`,
          "Install it with `apt-get install -y mmdebstrap` (Debian/Ubuntu), or let ./devstack do it.",
        );
      }
      throw packageFailure(opts.image, opts.packages, output);
    }
    opts.progress("docker import");
    await docker([
      "import",
      "--change",
      `LABEL ${LABEL.managed}=true ${LABEL.purpose}=build ${LABEL.recipe}=${opts.key}`,
      tar,
      opts.tag,
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Turns mmdebstrap's output into a message naming the image, the step and the package(s) at fault. */
export function packageFailure(image: string, requested: string[], output: string[]): UserError {
  const errors = output.filter((l) => /^(E|W): /.test(l) || /error/i.test(l)).slice(-8);
  const culprits = new Set<string>();
  for (const line of output) {
    for (const re of [
      /Unable to locate package (\S+)/,
      /Package '?([a-z0-9.+-]+)'? has no installation candidate/,
      /Failed to fetch \S*\/([a-z0-9.+-]+)_[^/\s]+\.deb/,
      /Version '[^']+' for '([a-z0-9.+-]+)' was not found/,
    ]) {
      const m = re.exec(line);
      if (m?.[1]) culprits.add(m[1]);
    }
  }
  const named = culprits.size > 0 ? [...culprits] : requested;
  const what = culprits.size > 0 ? "cannot fetch package" : "could not install the packages";
  return new UserError(
    `image '${image}', step 'root filesystem (mmdebstrap)': ${what}${named.length > 1 ? "s" : ""} ${named.map((p) => `'${p}'`).join(", ")}`,
    errors.length > 0
      ? `mmdebstrap said:\n  ${errors.join("\n  ")}`
      : `mmdebstrap said:\n  ${output.slice(-8).join("\n  ")}`,
  );
}

/**
 * Builds a context folder's Dockerfile on `base` and tags it `tag`. Docker applies the tag only on
 * success, and --force-rm removes intermediate containers of a failed step.
 */
export async function buildDockerfile(opts: {
  image: string;
  context: string;
  base: string;
  tag: string;
  key: string;
  progress: Progress;
}): Promise<void> {
  const run = execa(
    "docker",
    [
      "build",
      "--force-rm",
      "--build-arg",
      `BASE=${opts.base}`,
      "--label",
      `${LABEL.managed}=true`,
      "--label",
      `${LABEL.purpose}=build`,
      "--label",
      `${LABEL.recipe}=${opts.key}`,
      "-t",
      opts.tag,
      opts.context,
    ],
    // The classic builder resolves FROM against local images only, which is what offline needs.
    { reject: false, all: true, env: { DOCKER_BUILDKIT: "0" } },
  );
  const output: string[] = [];
  for await (const line of run.iterable({ from: "all" })) {
    output.push(String(line));
    if (/^Step \d+\/\d+ : /.test(String(line))) opts.progress(`docker build: ${String(line).slice(0, 100)}`);
  }
  const result = await run;
  if (result.failed) {
    throw new UserError(
      `image '${opts.image}', step 'Dockerfile (${opts.context})': docker build failed`,
      `docker build said:\n  ${output.slice(-12).join("\n  ")}`,
    );
  }
}
