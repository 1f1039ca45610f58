import { LOAD_BALANCER_PREFIX } from "../../env/endpoints.ts";
import type { EnvState } from "../../env/state.ts";
import type { ContainerPlan } from "./translate.ts";

/**
 * Host-side URLs from the published ports: the database and each Redis with credentials, HTTP
 * services by name, LoadBalancers as the environment's entry points.
 */
export function endpointsOf(
  ports: EnvState["ports"],
  containers: readonly ContainerPlan[],
  secrets: EnvState["secrets"],
): EnvState["endpoints"] {
  const endpoints: EnvState["endpoints"] = {};
  for (const c of containers.filter((x) => x.replica === 1)) {
    const app = secrets[`${c.labels["cnpg.io/cluster"]}-app`] ?? {};
    const port = (containerPort: number) => ports[`${c.workload}:${containerPort}`];
    for (const lb of c.loadBalancers)
      if (port(lb.port))
        endpoints[`${LOAD_BALANCER_PREFIX}${lb.service}`] = `http://127.0.0.1:${port(lb.port)}`;
    if (c.endpoint?.startsWith("postgres") && port(5432)) {
      // The database the application user sees, through the operator's Service this pod stands for.
      endpoints[c.endpoint] =
        `postgresql://${app.username}:${app.password}@127.0.0.1:${port(5432)}/${app.dbname}`;
    } else if (c.image === "redis" && port(6379)) {
      // By workload: `redis` is the session store, `tyk-redis` the gateway's.
      endpoints[c.workload] = `redis://:${c.env.REDIS_PASSWORD ?? ""}@127.0.0.1:${port(6379)}`;
    } else if (c.readiness?.kind === "http" && port(c.readiness.port)) {
      endpoints[c.workload] = `http://127.0.0.1:${port(c.readiness.port)}`;
    }
  }
  return endpoints;
}
