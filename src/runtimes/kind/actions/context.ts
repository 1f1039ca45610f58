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

/** What the Kind runtime's `up` actions share: the plan, then what each action made. */
export interface KindUpContext {
  name: string;
  prepared: PreparedEnvironment;
  cluster: string;
  /** The cluster's own Docker network; its bridge carries the egress guard. */
  network: string;
  kubeconfig: string;
  configFile: string;
  clusterConfig: ReturnType<typeof clusterConfigFor>;
  /** The namespace the overlay runs in. */
  namespace: string;
  /** Every object `kubectl apply` gets: the overlay's, Secrets filled with generated values. */
  objects: K8sObject[];
  images: ImageToLoad[];
  /** The labels of the network (DevStack's Kind labels: env, owner, run, expiry). */
  labels: Record<string, string>;
  state: EnvState;
  progress: Progress;
  /** Seconds each wait may take (the env file's startupTimeout). */
  timeoutSeconds: number;
  /** Which add-ons this `up` installs (decideAddOns), decided once as it starts. */
  addOns: { policyEngine: "calico" | "agent"; cnpgReleased: boolean };
  resolved?: Map<string, ResolvedImage>;
  /** The node image kind creates the nodes from (kindest/node, or the offline recipe). */
  nodeImage?: ResolvedImage;
  /** What every kind command runs with besides its own variables (kindDockerEnv). */
  kindEnv?: Record<string, string>;
  bridge?: string;
  /** The NetworkPolicy agent's image, where Calico is not vendored (its local reference). */
  policyAgentImage?: string;
  /** Where CloudNativePG's release manifest is not vendored: its operator image and objects. */
  operatorImage?: string;
  operatorObjects?: K8sObject[];
  /** Set on Ctrl-C: no further action runs. */
  interrupted: boolean;
}
