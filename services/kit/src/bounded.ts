import pLimit from "p-limit";
import { ApiError } from "./errors.ts";

/**
 * Expensive work (password hashing) run at most `concurrency` at a time, with at most `queue`
 * waiting: a burst beyond that, or a job that waited longer than `maxWaitMs` (its client has likely
 * given up), is shed with 503 `overloaded` and Retry-After instead of piling up memory and latency.
 */
export function boundedWork(options: {
  name: string;
  concurrency: number;
  queue: number;
  maxWaitMs: number;
}) {
  const limit = pLimit(options.concurrency);
  const shed = (why: string) =>
    new ApiError(503, "overloaded", `too many ${options.name} requests at once (${why}); retry shortly`);
  return {
    run<T>(job: () => Promise<T>): Promise<T> {
      if (limit.pendingCount >= options.queue)
        return Promise.reject(shed(`${options.queue} already waiting`));
      const queuedAt = performance.now();
      return limit(() => {
        if (performance.now() - queuedAt > options.maxWaitMs)
          throw shed(`waited over ${options.maxWaitMs} ms for a turn`);
        return job();
      });
    },
    get active() {
      return limit.activeCount;
    },
    get waiting() {
      return limit.pendingCount;
    },
  };
}
