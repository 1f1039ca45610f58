import { stringify } from "yaml";
import type { EnvFile } from "../../config/env-file.ts";
import { readEnvState } from "../../env/state.ts";
import { UserError } from "../../errors.ts";
import { loadImageMap } from "../../images/image-map.ts";
import { type PushedImage, pushImages } from "../../images/registry.ts";
import { resolveImages } from "../../images/resolve.ts";
import { prepareEnvironment } from "../../manifests/prepare.ts";
import {
  dbInitJob,
  imagesToLoad,
  KIND_SUPPORT,
  namespaceOf,
  objectsToApply,
  refuseComponents,
  withImages,
} from "./objects.ts";

/** A namespace name as Kubernetes takes it: a DNS label (RFC 1123), at most 63 characters. */
export function checkNamespace(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value))
    throw new UserError(
      `--namespace: '${value}' is not a namespace name`,
      "expected lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
    );
  return value;
}

export interface ClusterExport {
  /** The objects as YAML documents, for `kubectl apply -f`. */
  text: string;
  namespace: string;
  pushed: PushedImage[];
}

/**
 * What the Kind runtime applies, for any cluster whose nodes pull from `registry`: the overlay in
 * `namespace` (its own by default), Secrets filled with the environment's generated values (an up
 * environment's own), the migrations-and-seed Job last, and every image pushed to the registry
 * (only what it lacks) and named there. The cluster-scoped prerequisites (the CloudNativePG
 * operator, a NetworkPolicy engine) are the cluster's, not in the file.
 */
export async function exportForCluster(opts: {
  envFile: EnvFile;
  name: string;
  registry: string;
  namespace?: string;
}): Promise<ClusterExport> {
  const { envFile, name, registry } = opts;
  refuseComponents(envFile, "an exported cluster", "Leave out --with (and the env file's `with:`).");
  const prepared = await prepareEnvironment(envFile, KIND_SUPPORT, readEnvState(name)?.secrets, {
    namespace: opts.namespace,
  });
  const namespace = namespaceOf(prepared);
  const map = loadImageMap();
  const wanted = [...imagesToLoad(prepared, map), { reference: "db-init", logical: "db-init" }];
  const names = [...new Set(wanted.map((w) => w.logical))];
  const resolved = await resolveImages({ names, silent: true, map });
  const images = names.map((n) => {
    const image = resolved.get(n);
    if (!image) throw new Error(`image ${n} was not resolved`);
    return image;
  });
  const pushed = await pushImages(images, registry, { silent: true, map });
  const inRegistry = new Map(pushed.map((p) => [p.name, p.ref]));
  const byReference = new Map(wanted.map((w) => [w.reference, inRegistry.get(w.logical)]));
  const objects = withImages(
    [...objectsToApply(prepared), dbInitJob(prepared, envFile, "db-init", namespace)],
    (reference) => byReference.get(reference),
  );
  return { text: objects.map((o) => stringify(o)).join("---\n"), namespace, pushed };
}
