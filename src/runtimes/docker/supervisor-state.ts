/** Where the supervisor keeps each pod's restarts and last state, inside its own container. */
export const PODS_FILE = "/run/devstack/pods.json";
