import { UserError } from "../errors.ts";

const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** An environment's name becomes part of Docker, Kubernetes and nftables names: a DNS label, short. */
export function checkEnvName(name: string): string {
  if (!NAME.test(name)) {
    throw new UserError(
      `--name: '${name}' is not a valid environment name`,
      "expected lower-case letters, digits and '-', starting with a letter, at most 40 characters",
    );
  }
  return name;
}
