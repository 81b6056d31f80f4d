/**
 * kubeadm's phase runner (cmd/kubeadm/app/cmd/phases/workflow), reduced to what the agent needs: named phases with
 * sub-phases, `--skip-phases` by path (`certs` or `certs/apiserver`), and any phase runnable alone, as a subcommand
 * generated from the phase list (BindToCommand).
 */
import type { Command } from 'commander';

export interface Phase<D> {
  name: string;
  short: string;
  run?: (data: D) => Promise<void>;
  phases?: Phase<D>[];
}

export interface PhaseInfo {
  path: string;
  short: string;
}

export class Workflow<D> {
  constructor(readonly name: string, readonly phases: Phase<D>[]) {}

  /** Every phase path in execution order, as `kubeadm init phase --help` lists them. */
  list(): PhaseInfo[] {
    const out: PhaseInfo[] = [];
    const walk = (ps: Phase<D>[], prefix: string): void => {
      for (const p of ps) {
        const path = prefix + p.name;
        out.push({ path, short: p.short });
        if (p.phases) walk(p.phases, path + '/');
      }
    };
    walk(this.phases, '');
    return out;
  }

  has(path: string): boolean {
    return this.list().some((p) => p.path === path);
  }

  /** Rejects skip entries that name no phase, so a typo is not silently a no-op. */
  validateSkips(skips: string[]): void {
    for (const s of skips) {
      if (!this.has(s)) throw new Error(`--skip-phases: unknown phase "${s}" for ${this.name}; phases are: ${this.list().map((p) => p.path).join(', ')}`);
    }
  }

  async run(data: D, skips: string[] = []): Promise<void> {
    this.validateSkips(skips);
    await this.runList(this.phases, '', data, new Set(skips));
  }

  /** Runs one phase (and its sub-phases) by path, as `clusterd agent phase <path>`. */
  async runPhase(path: string, data: D, skips: string[] = []): Promise<void> {
    const phase = this.find(path);
    if (!phase) throw new Error(`unknown ${this.name} phase "${path}"; phases are: ${this.list().map((p) => p.path).join(', ')}`);
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
    await this.runList([phase], parent, data, new Set(skips));
  }

  /**
   * kubeadm's BindToCommand: `<cmd> phase <name> [<sub-phase>]`, one subcommand per phase and sub-phase, each running
   * that phase (and its sub-phases) alone; `--help` on `phase` lists them. `setup` gives a phase command its flags,
   * arguments and action.
   */
  bindToCommand(cmd: Command, setup: (c: Command, path: string) => void): Command {
    const phase = cmd.command('phase').description(`Use this command to invoke single phase of the ${this.name} workflow`);
    this.addPhaseCommands(phase, setup);
    return phase;
  }

  /** Adds a subcommand for each top-level phase that `include` accepts (every one by default), sub-phases nested. */
  addPhaseCommands(parent: Command, setup: (c: Command, path: string) => void, include: (name: string) => boolean = () => true): void {
    const add = (under: Command, ps: Phase<D>[], prefix: string): void => {
      for (const p of ps) {
        const path = prefix + p.name;
        const c = under.command(p.name).description(p.short);
        setup(c, path);
        if (p.phases) add(c, p.phases, path + '/');
      }
    };
    add(parent, this.phases.filter((p) => include(p.name)), '');
  }

  private find(path: string): Phase<D> | undefined {
    let list: Phase<D>[] | undefined = this.phases;
    let found: Phase<D> | undefined;
    for (const part of path.split('/')) {
      found = list?.find((p) => p.name === part);
      if (!found) return undefined;
      list = found.phases;
    }
    return found;
  }

  private async runList(ps: Phase<D>[], prefix: string, data: D, skips: Set<string>): Promise<void> {
    for (const p of ps) {
      const path = prefix + p.name;
      if (skips.has(path)) continue;
      if (p.run) await p.run(data);
      if (p.phases) await this.runList(p.phases, path + '/', data, skips);
    }
  }
}
