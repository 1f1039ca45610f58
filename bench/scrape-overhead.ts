import { docker } from "../src/docker/cli.ts";
import { median } from "../src/stats.ts";
import { type LoadResult, load } from "./autocannon.ts";

/**
 * What Prometheus' scrapes cost a service: the same request (GET /courses?limit=5, straight to
 * course-service) at the same rate while Prometheus scrapes, and while its container is paused
 * (nothing scrapes), `runs` times each alternating the order; p50/p95 and requests/s, and the p95
 * ratio scraped / not scraped, as lines to print.
 */
export async function scrapeOverhead(options: {
  courses: string;
  prometheusContainer: string;
  runs: number;
  seconds: number;
  rate: number;
  connections: number;
}): Promise<{ lines: string[]; ratio: number }> {
  const { courses, prometheusContainer, runs, seconds, rate, connections } = options;
  const runOne = async (scraped: boolean) => {
    if (!scraped) await docker(["pause", prometheusContainer]);
    try {
      return await load({ url: courses, path: () => "/courses?limit=5", connections, seconds, rate });
    } finally {
      if (!scraped) await docker(["unpause", prometheusContainer]);
    }
  };
  const withScrapes: LoadResult[] = [];
  const without: LoadResult[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so a warming or cooling machine favours neither.
    if (i % 2 === 0) {
      withScrapes.push(await runOne(true));
      without.push(await runOne(false));
    } else {
      without.push(await runOne(false));
      withScrapes.push(await runOne(true));
    }
  }
  const line = (what: string, rs: LoadResult[]) =>
    `${what}: p50 ${median(rs.map((r) => r.p50)).toFixed(1)} ms, p95 ${median(rs.map((r) => r.p95)).toFixed(1)} ms, ${median(rs.map((r) => r.requestsPerSecond)).toFixed(1)} req/s, non-2xx ${rs.reduce((n, r) => n + r.non2xx, 0)}`;
  const ratio = median(withScrapes.map((r) => r.p95)) / median(without.map((r) => r.p95));
  return {
    ratio,
    lines: [
      `GET /courses?limit=5 on course-service at ${rate} req/s over ${connections} connections, ${runs} x ${seconds} s, medians:`,
      `  ${line("scraped every 5 s", withScrapes)}`,
      `  ${line("not scraped (Prometheus paused)", without)}`,
      `  p95 ratio scraped / not scraped: ${ratio.toFixed(2)}`,
    ],
  };
}
