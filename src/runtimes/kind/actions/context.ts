import type { EnvState } from "../../../env/state.ts";
import type { ResolvedImage } from "../../../images/resolve.ts";
import type { PreparedEnvironment } from "../../../manifests/prepare.ts";
import type { K8sObject } from "../../../manifests/render.ts";
import type { Progress } from "../../runtime.ts";
import type { clusterConfigFor } from "../cluster-config.ts";

/** An image a manifest names, and the image-map entry that provides it. */
export interface ImageToLoad {
  /** As the manifest names it (what the node's containerd must hold). */
  reference: string;
  /** The image map's name for it. */
  logical: string;
}

/**
 * What the actions of a runtime on Kubernetes share (the Kind runtime's, and the cluster runtime's,
 * which brings an environment up in a namespace of an existing cluster): the plan, then what each
 * action made.
 */
export interface KubeUpContext {
  name: string;
  prepared: PreparedEnvironment;
  /** The kubeconfig every kubectl command is given (kind's, or a snapshot of the user's context). */
  kubeconfig: string;
  /** The namespace the overlay runs in. */
  namespace: string;
  /** Every object `kubectl apply` gets: the overlay's, Secrets filled with generated values. */
  objects: K8sObject[];
  images: ImageToLoad[];
  state: EnvState;
  progress: Progress;
  /** Seconds each wait may take (the env file's startupTimeout). */
  timeoutSeconds: number;
  /** Each image as the cluster's nodes run it, by image-map name. */
  resolved?: Map<string, ResolvedImage>;
  /** What every kind command runs with besides its own variables (kindDockerEnv). */
  kindEnv?: Record<string, string>;
  /** Set on Ctrl-C: no further action runs. */
  interrupted: boolean;
  /** What of an existing cluster had stopped and was started again (nodesBack), if anything. */
  restarted?: string;
}

/** What the Kind runtime's `up` actions share besides: the cluster it creates and its add-ons. */
export interface KindUpContext extends KubeUpContext {
  cluster: string;
  /** The cluster's own Docker network; its bridge carries the egress guard. */
  network: string;
  configFile: string;
  clusterConfig: ReturnType<typeof clusterConfigFor>;
  /** The labels of the network (DevStack's Kind labels: env, owner, run, expiry). */
  labels: Record<string, string>;
  /** Which add-ons this `up` installs (decideAddOns), decided once as it starts. */
  addOns: { policyEngine: "calico" | "agent"; cnpgReleased: boolean };
  /** The node image kind creates the nodes from (kindest/node, or the offline recipe). */
  nodeImage?: ResolvedImage;
  bridge?: string;
  /** The NetworkPolicy agent's image, where Calico is not vendored (its local reference). */
  policyAgentImage?: string;
  /** Where CloudNativePG's release manifest is not vendored: its operator image and objects. */
  operatorImage?: string;
  operatorObjects?: K8sObject[];
}
