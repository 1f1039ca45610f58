import { join } from "node:path";
import { stateDir } from "../../paths.ts";

/** A Kind environment's cluster: `kind get clusters` lists it by this name; its nodes start with it. */
export const clusterName = (env: string) => `azora-${env}`;

/** The cluster's own Docker network (kind's nodes join it; the egress guard sits on its bridge). */
export const networkName = (env: string) => `azora-${env}-kind`;

/** The label kind puts on every node container: its value is the cluster's name. */
export const KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster";

/** The network's label (DevStack's own, not `dev.azora.devstack.env`: Docker's env:gc owns those). */
export const KIND_ENV_LABEL = "dev.azora.devstack.kind-env";

const kindStateDir = () => join(stateDir(), "kind");
/** The cluster's kubeconfig: kind writes it here instead of ~/.kube/config, which stays untouched. */
export const kubeconfigFile = (env: string) => join(kindStateDir(), `${env}.kubeconfig`);
/** The Kind config `kind create cluster` was given for the environment. */
export const clusterConfigFile = (env: string) => join(kindStateDir(), `${env}.cluster.yaml`);
