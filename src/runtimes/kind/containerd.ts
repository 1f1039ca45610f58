import { docker, dockerMaybe } from "../../docker/cli.ts";

/** containerd's CLI on a node, in the namespace the kubelet's containers and images live in. */
const ctrArgs = (node: string, args: string[]) => ["exec", node, "ctr", "--namespace", "k8s.io", ...args];
export const ctr = (node: string, args: string[]) => docker(ctrArgs(node, args));
/** The same, for something that may be gone already (undefined when it fails). */
export const ctrMaybe = (node: string, args: string[]) => dockerMaybe(ctrArgs(node, args));

/** containerd's id of a container, from its status' `containerd://ID`. */
export const containerdId = (containerID: string) => containerID.replace(/^[a-z]+:\/\//, "");
