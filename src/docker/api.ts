import type { getContainerRuntimeClient } from "testcontainers";

/**
 * The Docker API (through testcontainers' client, so the same connection and settings) for calls
 * made many times a second, such as start-up probes, where spawning the docker CLI would cost a
 * process each time on a 2-core machine. testcontainers is loaded on first use: a fifth of a second
 * that commands which never call the API (a dry run, a reused environment) do not pay.
 */
const client = async () => (await import("./testcontainers.ts")).getContainerRuntimeClient();

export type ContainerInspection = Awaited<
  ReturnType<Awaited<ReturnType<typeof getContainerRuntimeClient>>["container"]["inspect"]>
>;

/** The container's inspection, or undefined when there is no such container. */
export async function inspectContainer(name: string): Promise<ContainerInspection | undefined> {
  const { container } = await client();
  try {
    return await container.inspect(container.getById(name));
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/** Runs a command in a running container and resolves to its exit code. */
export async function execExitCode(name: string, command: string[]): Promise<number> {
  return (await execOutput(name, command)).exitCode;
}

/** Waits until the container has stopped and resolves to its exit code. */
export async function waitForExit(name: string): Promise<number> {
  const { container } = await client();
  const result = (await container.getById(name).wait()) as { StatusCode: number };
  return result.StatusCode;
}

/** Runs a command in a running container and resolves to its exit code and standard output. */
export async function execOutput(
  name: string,
  command: string[],
): Promise<{ exitCode: number; stdout: string }> {
  const { container } = await client();
  const result = await container.exec(container.getById(name), command, { log: false });
  return { exitCode: result.exitCode, stdout: result.stdout };
}

/** Creates the named volume unless it exists (a claim: created once, as a PVC is bound once). */
export async function ensureVolume(volume: string, labels: Record<string, string>): Promise<void> {
  const { dockerode } = (await client()).container;
  try {
    await dockerode.getVolume(volume).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    await dockerode.createVolume({ Name: volume, Labels: labels });
  }
}

/**
 * Creates a new volume that every user may write to: an emptyDir, which the kubelet makes 0777
 * whatever user the pod's containers run as. A new volume takes the owner and mode of the
 * directory it is first mounted on, at the container's creation: here `modeOf`, in a container of
 * `image` that is created and removed, never started (a `chmod` run in a started container did the
 * same, with a container start on the pod's way to ready).
 */
export async function createWritableVolume(
  volume: string,
  labels: Record<string, string>,
  image: string,
  modeOf: string,
): Promise<void> {
  const { dockerode } = (await client()).container;
  await dockerode.createVolume({ Name: volume, Labels: labels });
  const holder = await dockerode.createContainer({
    Image: image,
    Labels: labels,
    HostConfig: { NetworkMode: "none", Binds: [`${volume}:${modeOf}`] },
  });
  await holder.remove();
}
