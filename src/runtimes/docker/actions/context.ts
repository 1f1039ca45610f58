import type { StartedTestContainer } from "../../../docker/testcontainers.ts";
import type { EnvState } from "../../../env/state.ts";
import type { ResolvedImage } from "../../../images/resolve.ts";
import type { PreparedEnvironment } from "../../../manifests/prepare.ts";
import type { Progress } from "../../runtime.ts";
import type { FirewallConfig, hostEnforcer } from "../firewall.ts";
import type { ContainerPlan } from "../translate.ts";

/** What the Docker runtime's `up` actions share: the plan, then what each action made. */
export interface DockerUpContext {
  name: string;
  prepared: PreparedEnvironment;
  containers: ContainerPlan[];
  /** The environment's network (and the prefix of all its names). */
  network: string;
  /** The network's gateway address, once the network action made it. */
  gateway?: string;
  /** Ranges the network must stay clear of: a Kind cluster's pod and Service ranges (kind/cluster.yaml). */
  avoid: string[];
  labels: Record<string, string>;
  state: EnvState;
  progress: Progress;
  /** Whether the data volume was there before this `up` (then an undo keeps the state's secrets). */
  hadData: boolean;
  /** The data was brought by a restore: the env file's seed is not loaded over it. */
  skipSeed?: boolean;
  images?: Map<string, ResolvedImage>;
  firewall?: FirewallConfig;
  enforcer?: ReturnType<typeof hostEnforcer>;
  /** Started containers by name, as their starts finish. */
  started: Map<string, StartedTestContainer>;
  /** Each container's start, by name (the readiness actions wait on these). */
  starting: Map<string, Promise<StartedTestContainer>>;
  /** Every start, and a StatefulSet's waits for its pods in order (`containers` only waits for the database's). */
  othersStarted?: Promise<void>;
  /** When this `up` began (performance.now()), for each pod's time to ready. */
  began: number;
  /** Set on Ctrl-C: no container is created after it, and no further action runs. */
  interrupted: boolean;
}
