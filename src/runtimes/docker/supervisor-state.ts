/** Where the supervisor keeps each pod's restarts and last state, inside its own container. */
export const PODS_FILE = "/run/devstack/pods.json";

/** A file per container here (its name) keeps the supervisor from restarting it: its node is "down". */
export const HELD_DIR = "/run/devstack/held";

/** A file per container here (its name) cuts its pod off in the environment's firewall (chaos). */
export const ISOLATED_DIR = "/run/devstack/isolated";
