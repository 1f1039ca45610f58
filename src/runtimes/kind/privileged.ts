import { mkdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { delimiter, join } from "node:path";
import { dockerMaybe } from "../../docker/cli.ts";
import { LABEL, labelArgs } from "../../labels.ts";
import { repoRoot, stateDir } from "../../paths.ts";
import { findTool } from "./tools.ts";

const SHIM = join(repoRoot, "src", "runtimes", "kind", "unprivileged-docker.sh");

const checked = new Map<string, boolean>();

/**
 * Whether this engine can start a `--privileged` container (kind's nodes are). Not assumed either
 * way: some hosts cannot (a VM whose capability bounding set lacks CAP_SYS_RESOURCE). Tried once per
 * process with `image`, which must be local.
 */
export async function canRunPrivileged(image: string): Promise<boolean> {
  let answer = checked.get(image);
  if (answer === undefined) {
    const run = [
      "run",
      "--rm",
      "--privileged",
      ...labelArgs({ [LABEL.managed]: "true", [LABEL.purpose]: "tool" }),
      "--entrypoint",
      "true",
      image,
    ];
    answer = (await dockerMaybe(run)) !== undefined;
    checked.set(image, answer);
  }
  return answer;
}

/**
 * The variables kind runs with: none where privileged containers work; otherwise a PATH whose
 * `docker` is unprivileged-docker.sh (it turns kind's --privileged into what this host allows) and
 * the real docker CLI for it to call.
 */
export async function kindDockerEnv(nodeImage: string): Promise<Record<string, string>> {
  if (await canRunPrivileged(nodeImage)) return {};
  const realDocker = findTool("docker");
  if (!realDocker) throw new Error("the docker CLI is not on PATH");
  const dir = join(stateDir(), "unprivileged-docker");
  mkdirSync(dir, { recursive: true });
  // Made anew each time (the state folder outlives a checkout; the link must name this one's
  // script), and renamed into place so that runs starting together never see it missing.
  const link = join(dir, `docker.${process.pid}`);
  rmSync(link, { force: true });
  symlinkSync(SHIM, link);
  renameSync(link, join(dir, "docker"));
  return { PATH: `${dir}${delimiter}${process.env.PATH ?? ""}`, DEVSTACK_REAL_DOCKER: realDocker };
}
