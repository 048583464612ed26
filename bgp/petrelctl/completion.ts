/**
 * Shell completion for petrelctl (and `kubectl petrel`): the scripts source a function that asks
 * `petrelctl __complete -- WORDS...` for the candidates, so completion always matches the
 * executable's own commands and flags. `complete` walks a plain description of the command tree
 * (main.ts builds it from commander's). Pure.
 */

export interface OptionSpec {
  /** e.g. ["-o", "--output"] */
  readonly names: readonly string[];
  readonly takesValue: boolean;
  readonly choices: readonly string[] | undefined;
}

export interface CommandSpec {
  readonly name: string;
  readonly options: readonly OptionSpec[];
  readonly commands: readonly CommandSpec[];
}

export const SHELLS = ["bash", "zsh"] as const;
export type Shell = (typeof SHELLS)[number];

function optionNamed(options: readonly OptionSpec[], word: string): OptionSpec | undefined {
  const name = word.includes("=") ? word.slice(0, word.indexOf("=")) : word;
  return options.find((o) => o.names.includes(name));
}

/** Candidates for the last of `words` (the words after the program name; the last may be ""). */
export function complete(root: CommandSpec, words: readonly string[]): string[] {
  let cmd = root;
  const known = () => [...cmd.options, ...(cmd === root ? [] : root.options)];
  const typed = words.slice(0, -1);
  const partial = words.at(-1) ?? "";
  let expectValue: OptionSpec | undefined;
  for (const w of typed) {
    if (expectValue !== undefined) {
      expectValue = undefined;
      continue;
    }
    if (w.startsWith("-")) {
      const o = optionNamed(known(), w);
      if (o?.takesValue === true && !w.includes("=")) expectValue = o;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name === w);
    if (sub !== undefined) cmd = sub;
  }
  let candidates: string[];
  if (expectValue !== undefined) {
    candidates = [...(expectValue.choices ?? [])];
  } else if (partial.startsWith("-") && partial.includes("=")) {
    const o = optionNamed(known(), partial);
    const flag = partial.slice(0, partial.indexOf("="));
    candidates = (o?.choices ?? []).map((c) => `${flag}=${c}`);
  } else if (partial.startsWith("-")) {
    candidates = known().flatMap((o) => o.names.filter((n) => n.startsWith("--")));
  } else {
    candidates = cmd.commands.map((c) => c.name);
  }
  return candidates.filter((c) => c.startsWith(partial));
}

/** The script `petrelctl completion SHELL` prints; it completes petrelctl and kubectl-petrel. */
export function completionScript(shell: Shell): string {
  switch (shell) {
    case "bash":
      return `# petrelctl completion for bash: source <(petrelctl completion bash)
_petrelctl() {
  local IFS=$'\\n'
  COMPREPLY=( $("\${COMP_WORDS[0]}" __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) )
}
complete -o default -F _petrelctl petrelctl kubectl-petrel
`;
    case "zsh":
      return `#compdef petrelctl kubectl-petrel
# petrelctl completion for zsh: source <(petrelctl completion zsh), after compinit
_petrelctl() {
  local -a candidates
  candidates=("\${(@f)$("\${words[1]}" __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _petrelctl petrelctl kubectl-petrel
`;
  }
}
