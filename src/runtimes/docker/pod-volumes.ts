import type { SecretValues } from "../../manifests/secrets.ts";

/** A pod's volume, as the Kubernetes API has it (the kinds the Docker runtime can run). */
export interface K8sVolume {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[]; defaultMode?: number };
  secret?: { secretName: string; items?: { key: string; path: string }[]; defaultMode?: number };
  emptyDir?: object;
  /** A StatefulSet's volumeClaimTemplate: a volume of the pod that outlives it. */
  persistent?: boolean;
}
export interface K8sVolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

/** A file placed in the container before it starts (ConfigMap and Secret volumes, CNPG's SQL). */
export interface PodFile {
  path: string;
  content: string;
  mode: number;
}
/**
 * A volume of the pod: an emptyDir (shared by its init containers and its container, gone with
 * the pod) or, `persistent`, a claim of a StatefulSet's pod (kept across restarts and `down --keep-data`).
 */
export interface PodVolume {
  name: string;
  path: string;
  readOnly: boolean;
  persistent?: boolean;
  /** The environment's backup repository: outlives the environment itself (names.ts backupRepositoryName). */
  repository?: boolean;
}

const KINDS = "configMap, secret or emptyDir";

/**
 * What a container's volume mounts become on Docker: ConfigMap and Secret volumes are files
 * copied in at creation (a directory mount gives one file per key, or per `items` entry; a
 * `subPath` mount gives the one file), an emptyDir is a volume of the pod. Problems are reported
 * with `owner`, never skipped.
 */
export function mountsOf(
  owner: string,
  mounts: readonly K8sVolumeMount[],
  volumes: readonly K8sVolume[],
  configMaps: ReadonlyMap<string, Record<string, string>>,
  secrets: SecretValues,
  problems: string[],
): { files: PodFile[]; volumes: PodVolume[] } {
  const files: PodFile[] = [];
  const shared: PodVolume[] = [];
  for (const mount of mounts) {
    const where = `${owner} volumeMount ${mount.name} (${mount.mountPath})`;
    const volume = volumes.find((v) => v.name === mount.name);
    if (!volume) {
      problems.push(`${where}: the pod has no volume named '${mount.name}'`);
      continue;
    }
    if (volume.emptyDir || volume.persistent) {
      if (mount.subPath) problems.push(`${where}: subPath of a volume is not supported on Docker`);
      shared.push({
        name: volume.name,
        path: mount.mountPath,
        readOnly: mount.readOnly ?? false,
        ...(volume.persistent ? { persistent: true } : {}),
      });
      continue;
    }
    const source = volume.configMap
      ? {
          what: `ConfigMap '${volume.configMap.name}'`,
          data: configMaps.get(volume.configMap.name),
          ...volume.configMap,
        }
      : volume.secret
        ? {
            what: `Secret '${volume.secret.secretName}'`,
            data: secrets[volume.secret.secretName],
            ...volume.secret,
          }
        : undefined;
    if (!source) {
      problems.push(`${owner} volume ${volume.name}: only ${KINDS} volumes run on Docker`);
      continue;
    }
    if (!source.data) {
      problems.push(`${where}: ${source.what} is not in the manifests`);
      continue;
    }
    const data = source.data;
    const mode = source.defaultMode ?? 0o644;
    // `items` projects chosen keys to chosen paths; without it every key is a file of its name.
    const entries = source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    for (const { key } of entries)
      if (!(key in data)) problems.push(`${where}: ${source.what} has no key '${key}'`);
    if (mount.subPath !== undefined) {
      const entry = entries.find((e) => e.path === mount.subPath);
      if (!entry) problems.push(`${where}: subPath '${mount.subPath}' is not a file of ${source.what}`);
      else files.push({ path: mount.mountPath, content: data[entry.key] ?? "", mode });
      continue;
    }
    for (const { key, path } of entries)
      files.push({ path: `${mount.mountPath.replace(/\/$/, "")}/${path}`, content: data[key] ?? "", mode });
  }
  return { files, volumes: shared };
}
