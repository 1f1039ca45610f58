import { LOAD_BALANCER_PREFIX } from "../env/endpoints.ts";
import { UserError } from "../errors.ts";
import type { EnvironmentHandle } from "../runtimes/runtime.ts";

/** The workloads behind each service the scenarios name. */
const WORKLOADS = {
  users: "user-service",
  sessions: "session-service",
  courses: "course-service",
  enrollments: "enrollment-service",
};

/** Where requests go: the gateway's LoadBalancer and each service's own port, loopback only. */
export function baseUrls(env: EnvironmentHandle): Record<string, string> {
  const bases: Record<string, string> = {};
  const gateway = Object.entries(env.endpoints).find(([key]) => key.startsWith(LOAD_BALANCER_PREFIX))?.[1];
  if (gateway) bases.gateway = gateway;
  for (const [service, workload] of Object.entries(WORKLOADS)) {
    const url = env.endpoints[workload];
    if (url) bases[service] = url;
  }
  for (const [name, url] of Object.entries(bases))
    if (!/^http:\/\/127\.\d+\.\d+\.\d+:\d+$/.test(url))
      throw new UserError(`load goes to loopback only; the ${name} endpoint of '${env.name}' is ${url}`);
  return bases;
}
