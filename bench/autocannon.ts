import autocannon from "autocannon";
import { percentile } from "../src/stats.ts";

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p95: number;
  non2xx: number;
}

/**
 * A closed-loop HTTP load run with autocannon against a loopback URL, for a bounded duration.
 * Latencies are collected per response, so any percentile (p95 included) is exact.
 */
export async function load(opts: {
  url: string;
  path: () => string;
  connections: number;
  seconds: number;
  /** Requests per second across all connections (open rate); unset: as fast as answers come. */
  rate?: number;
  headers?: Record<string, string>;
}): Promise<LoadResult> {
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost)[:/]/.test(opts.url))
    throw new Error(`load goes to loopback only, not ${opts.url}`);
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        duration: opts.seconds,
        ...(opts.rate ? { overallRate: opts.rate } : {}),
        ...(opts.headers ? { headers: opts.headers } : {}),
        requests: [{ setupRequest: (request) => ({ ...request, path: opts.path() }) }],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: result.requests.total / opts.seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    non2xx: result.non2xx + result.errors + result.timeouts,
  };
}
