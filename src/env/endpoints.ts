/**
 * What an environment's endpoints are called in its state: `postgres`, `redis`, each HTTP service
 * by its workload name, and every LoadBalancer Service as `loadbalancer/<service>` (the entry
 * points users hit).
 */
export const LOAD_BALANCER_PREFIX = "loadbalancer/";
