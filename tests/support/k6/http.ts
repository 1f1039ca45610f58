// k6/http's stand-in: records each request and answers from `answers` (by "METHOD url"), else 404.
import { shared } from "./shared.ts";

export const sent = shared(
  "k6-http-sent",
  (): { method: string; url: string; body: string | null; params: Record<string, unknown> }[] => [],
);
export const answers = shared("k6-http-answers", () => new Map<string, { status: number; body: unknown }>());

export default {
  request(method: string, url: string, body: string | null, params: Record<string, unknown>) {
    sent.push({ method, url, body, params });
    const answer = answers.get(`${method} ${url.replace(/\?.*$/, "")}`) ?? { status: 404, body: "not here" };
    return {
      status: answer.status,
      json: () => {
        if (typeof answer.body === "string") throw new Error("not JSON");
        return answer.body;
      },
    };
  },
  expectedStatuses: (...statuses: number[]) => ({ statuses }),
};
