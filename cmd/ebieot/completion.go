package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// completionScripts ask the binary itself for the candidates: urfave/cli
// answers a command line ending in --generate-bash-completion with the
// subcommands, or with the flags when the word being completed starts
// with a dash.
var completionScripts = map[string]string{
	"bash": `# ebieot completion for bash: source <(ebieot completion bash)
_ebieot_complete() {
  local cur opts
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o bashdefault -o default -F _ebieot_complete ebieot
`,
	"zsh": `# ebieot completion for zsh: source <(ebieot completion zsh)
autoload -U compinit && compinit
autoload -U bashcompinit && bashcompinit
_ebieot_complete() {
  local cur opts
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o bashdefault -o default -F _ebieot_complete ebieot
`,
}

func completionCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: ebieot completion --shell bash (or zsh)",
		UsageText: "source <(ebieot completion --shell bash)   # in ~/.bashrc, or zsh in ~/.zshrc",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "shell", Value: "bash", Usage: "bash or zsh"},
		},
		Action: func(c *cli.Context) error {
			s, ok := completionScripts[c.String("shell")]
			if !ok {
				return usagef("--shell %q: want bash or zsh", c.String("shell"))
			}
			_, err := fmt.Fprint(c.App.Writer, s)
			return err
		},
	})
}
