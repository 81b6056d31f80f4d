/**
 * The installed kubectl's version. The suite runs with whatever kubectl the machine has: the image's (1.32) or
 * Debian's kubernetes-client (1.20), which `.ci/run` installs on a fresh machine. Where kubectl itself behaves
 * differently across those versions, a test asks here and checks the same server behaviour another way.
 */
import { execFileSync } from 'node:child_process';

let minor: number | undefined;

export function kubectlMinor(): number {
  if (minor === undefined) {
    const out = JSON.parse(execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' })) as { clientVersion: { minor: string } };
    minor = Number.parseInt(out.clientVersion.minor, 10);
  }
  return minor;
}

/**
 * From 1.25 kubectl leaves field validation to the server (`fieldValidation=Strict`); before, it validates
 * against /openapi/v2 itself and stops before the server sees the object. Tests that check the server's own
 * messages pass `--validate=false` to older kubectl so that the request reaches the server.
 */
export function toServer(): string[] {
  return kubectlMinor() >= 25 ? [] : ['--validate=false'];
}
