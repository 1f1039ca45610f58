import { z } from "zod";

/** An alert as Prometheus' /api/v1/alerts lists it: pending (its `for` not yet over) or firing. */
export interface ActiveAlert {
  labels: Record<string, string>;
  state: "pending" | "firing";
  activeAt: string;
}

const alertsAnswer = z.object({
  status: z.literal("success"),
  data: z.object({
    alerts: z.array(
      z.object({
        labels: z.record(z.string(), z.string()),
        state: z.enum(["pending", "firing", "inactive"]),
        activeAt: z.string().optional(),
      }),
    ),
  }),
});

/** The alerts Prometheus at `url` has pending or firing now. */
export async function activeAlerts(url: string): Promise<ActiveAlert[]> {
  const response = await fetch(`${url}/api/v1/alerts`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`Prometheus at ${url} answered ${response.status} for its alerts`);
  const answer = alertsAnswer.parse(await response.json());
  return answer.data.alerts.flatMap((a) =>
    a.state === "inactive" ? [] : [{ labels: a.labels, state: a.state, activeAt: a.activeAt ?? "" }],
  );
}
