import type { Toxic } from "./runtime.ts";

/** A toxic as Toxiproxy's API takes it (POST /proxies/NAME/toxics): on the answers, for every connection. */
export function toxicBody(toxic: Toxic, index: number) {
  const attributes =
    toxic.type === "latency"
      ? { latency: toxic.latencyMs, jitter: toxic.jitterMs ?? 0 }
      : { timeout: toxic.afterMs };
  return { name: `${toxic.type}-${index}`, type: toxic.type, stream: "downstream", toxicity: 1, attributes };
}
