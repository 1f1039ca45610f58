import { describe, expect, it } from "vitest";
import { recordsFromK6Points } from "../../src/load/k6-points.ts";
import { timeline } from "../../src/load/summarize.ts";

// Lines as `k6 run --out json=FILE` writes them (k6's JSON output: a Metric line when a metric is
// first seen, then a Point per sample).
const K6_JSON = [
  '{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":["p(95)<200"],"submetrics":null},"metric":"http_req_duration"}',
  '{"metric":"http_req_duration","type":"Point","data":{"time":"2026-12-01T20:00:00.120Z","value":20,"tags":{"expected_response":"true","flow":"browse","method":"GET","name":"http://127.0.0.1:1/api/courses?limit=20&offset=0","proto":"HTTP/1.1","scenario":"browse","status":"200","step":"list-courses"}}}',
  '{"metric":"http_reqs","type":"Point","data":{"time":"2026-12-01T20:00:00.120Z","value":1,"tags":{"status":"200"}}}',
  '{"metric":"http_req_duration","type":"Point","data":{"time":"2026-12-01T20:00:01.600Z","value":300,"tags":{"expected_response":"false","flow":"browse","status":"503","step":"get-course"}}}',
  "",
].join("\n");

describe("k6's JSON output", () => {
  it("becomes request records (sent at the point's time less its duration) and so a timeline", () => {
    const records = recordsFromK6Points(K6_JSON);
    expect(records).toEqual([
      { at: 0, flow: "browse", step: "list-courses", status: 200, ms: 20, failed: false },
      { at: 1200, flow: "browse", step: "get-course", status: 503, ms: 300, failed: true },
    ]);
    expect(timeline(records).map((p) => [p.second, p.requests, p.failed])).toEqual([
      [0, 1, 0],
      [1, 1, 1],
    ]);
    expect(recordsFromK6Points("")).toEqual([]);
  });
});
