import type { RequestRecord } from "./summarize.ts";

/**
 * k6's JSON output (`k6 run --out json=FILE`: one object per line) as the runner's request records,
 * so a k6 run gets the same per-second timeline: each `http_req_duration` point is one request,
 * with its flow and step tags, its status and whether it was an expected response.
 */
export function recordsFromK6Points(ndjson: string): RequestRecord[] {
  const points: { time: number; value: number; tags: Record<string, string> }[] = [];
  for (const line of ndjson.split("\n")) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line) as {
      type?: string;
      metric?: string;
      data?: { time?: string; value?: number; tags?: Record<string, string> };
    };
    if (entry.type !== "Point" || entry.metric !== "http_req_duration" || !entry.data?.time) continue;
    points.push({
      time: Date.parse(entry.data.time),
      value: entry.data.value ?? 0,
      tags: entry.data.tags ?? {},
    });
  }
  // k6 stamps a point when the response has ended: its duration earlier is when it was sent.
  const start = Math.min(...points.map((p) => p.time - p.value));
  return points.map((p) => ({
    at: p.time - p.value - start,
    flow: p.tags.flow ?? "",
    step: p.tags.step ?? "",
    status: Number(p.tags.status ?? 0),
    ms: p.value,
    failed: p.tags.expected_response !== "true",
  }));
}
