// The port-forward keeper of one Kind environment, started detached by `dev:up --runtime kind`
// (port-forwards.ts): ENV KUBECTL NAMESPACE FORWARDS-JSON.
import { type HeldForward, holdForwards } from "./port-forwards.ts";

const [env, kubectlPath, namespace, forwards] = process.argv.slice(2);
if (!env || !kubectlPath || !namespace || !forwards) {
  console.error("usage: forwards-main.ts ENV KUBECTL NAMESPACE FORWARDS-JSON");
  process.exit(2);
}
await holdForwards(env, kubectlPath, namespace, JSON.parse(forwards) as HeldForward[]);
