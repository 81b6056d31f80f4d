/**
 * `clusterd completion bash|zsh|fish`: a completion script generated from the command tree itself, so a new
 * subcommand or flag completes without editing anything here.
 */
import { Command, Argument } from 'commander';
import { CliError, ExitCode } from './errors.js';

interface Entry { path: string; words: string[] }

/** Every command path ("", "rollout", "rollout status") with its subcommands and long flags. */
export function completionTable(root: Command): Entry[] {
  const out: Entry[] = [];
  const walk = (c: Command, path: string[]): void => {
    const words = [
      ...c.commands.filter((s) => !(s as unknown as { _hidden?: boolean })._hidden).map((s) => s.name()),
      ...c.options.map((o) => o.long).filter((l): l is string => !!l),
      '--help',
    ];
    out.push({ path: path.join(' '), words: [...new Set(words)] });
    for (const s of c.commands) walk(s, [...path, s.name()]);
  };
  walk(root, []);
  return out;
}

export function bashCompletion(root: Command): string {
  const cases = completionTable(root).map((e) => `    "${e.path}") words="${e.words.join(' ')}" ;;`).join('\n');
  return `# bash completion for clusterd. Load it with:  source <(clusterd completion bash)
_clusterd() {
  local cur path="" w i words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  # The command path: the words before the cursor that are subcommands (not flags or their values).
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    if _clusterd_is_sub "\${path}" "$w"; then path="\${path:+$path }$w"; fi
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
_clusterd_is_sub() {
  local words
  case "$1" in
${cases}
    *) return 1 ;;
  esac
  [[ " $words " == *" $2 "* && "$2" != -* ]]
}
complete -F _clusterd clusterd
`;
}

export function zshCompletion(root: Command): string {
  return `#compdef clusterd
# zsh completion for clusterd. Load it with:  source <(clusterd completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(root)}`;
}

export function fishCompletion(root: Command): string {
  const lines = ['# fish completion for clusterd. Load it with:  clusterd completion fish | source'];
  for (const e of completionTable(root)) {
    const cond = e.path === '' ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${e.path.split(' ').at(-1)}`;
    for (const w of e.words) {
      lines.push(w.startsWith('--') ? `complete -c clusterd -n '${cond}' -l ${w.slice(2)}` : `complete -c clusterd -f -n '${cond}' -a ${w}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function completionCommand(root: () => Command): Command {
  return new Command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', `
Examples:
  # this shell only
  source <(clusterd completion bash)

  # every new bash
  clusterd completion bash > /etc/bash_completion.d/clusterd

  clusterd completion fish | source`)
    .action((shell: string) => {
      const r = root();
      if (shell === 'bash') process.stdout.write(bashCompletion(r));
      else if (shell === 'zsh') process.stdout.write(zshCompletion(r));
      else if (shell === 'fish') process.stdout.write(fishCompletion(r));
      else throw new CliError(`unknown shell "${shell}": bash, zsh or fish`, ExitCode.Usage);
    });
}
