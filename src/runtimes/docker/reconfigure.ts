import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectContainer } from "../../docker/api.ts";
import { docker } from "../../docker/cli.ts";
import { UserError } from "../../errors.ts";
import { containerName, volumeName } from "./names.ts";
import { runInit } from "./pods.ts";
import type { ContainerPlan } from "./translate.ts";

/**
 * Gives a running pod its new configuration without a restart, as the kubelet refreshes ConfigMap
 * volumes and a config reloader then pokes the app: the files are copied in again, the init
 * containers run again into the pod's emptyDirs, then the pod's config-change hook is called.
 */
export async function reconfigure(
  env: { name: string; network: string; labels: Record<string, string>; image: (logical: string) => string },
  c: ContainerPlan,
): Promise<void> {
  const name = containerName(env.name, c);
  const hook = c.onConfigChange;
  if (!hook) throw new Error(`internal: ${name} has no config-change hook`);
  await copyFiles(name, c.files);
  const emptyDirs = new Map(
    [...c.volumes, ...c.init.flatMap((i) => i.volumes)].map((v) => [v.name, volumeName(env.name, c, v)]),
  );
  for (const init of c.init) await runInit(env, c, init, env.image(init.image), emptyDirs);
  const port = Number(
    (await inspectContainer(name))?.NetworkSettings.Ports?.[`${hook.port}/tcp`]?.find(
      (b) => b.HostIp === "127.0.0.1",
    )?.HostPort,
  );
  if (!port) throw new UserError(`${name}: its config-change hook's port ${hook.port} is not published`);
  const response = await fetch(`http://127.0.0.1:${port}${hook.path}`, {
    method: hook.method,
    headers: hook.headers,
    signal: AbortSignal.timeout(10_000),
  }).catch((error: Error) => {
    throw new UserError(
      `${name}: its config-change hook ${hook.method} ${hook.path} failed: ${error.message}`,
    );
  });
  if (!response.ok)
    throw new UserError(
      `${name}: its config-change hook ${hook.method} ${hook.path} answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
    );
}

/** Copies files into a running container, one by one, leaving the folders they are in as they are. */
async function copyFiles(container: string, files: ContainerPlan["files"]): Promise<void> {
  if (files.length === 0) return;
  const dir = await mkdtemp(join(tmpdir(), "devstack-files-"));
  try {
    for (const [i, f] of files.entries()) {
      const local = join(dir, String(i));
      await writeFile(local, f.content, { mode: f.mode });
      await docker(["cp", local, `${container}:${f.path}`]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
