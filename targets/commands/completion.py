"""Shell completion that knows targets.yaml: `eval "$(flaskship completion bash)"`.

Invoke completes task names and flags itself (`--complete`); this script
wraps that and completes the values of --target (also after a comma) and
--env from the manifest on the command line (or ./targets.yaml), by asking
`<program> names targets|environments`. Zsh can use it through bashcompinit.
"""

from __future__ import annotations

from ..manifest import Project

BASH = r'''# flaskship completion for bash: eval "$(flaskship completion bash)"
# (zsh: autoload -U +X bashcompinit && bashcompinit first)
_flaskship_names() {
    local kind=$1 manifest=$2 cur=$3 prefix="" last=$3 names
    case "$cur" in *,*) prefix="${cur%,*},"; last="${cur##*,}";; esac
    names=$("${COMP_WORDS[0]}" names "$kind" --manifest "$manifest" 2>/dev/null) || return 0
    COMPREPLY=( $(compgen -P "$prefix" -W "$names" -- "$last") )
}
_flaskship_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" manifest=targets.yaml i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            --manifest|-m) manifest="${COMP_WORDS[i+1]}" ;;
            --manifest=*) manifest="${COMP_WORDS[i]#--manifest=}" ;;
        esac
    done
    case "$prev" in
        --target|-t) _flaskship_names targets "$manifest" "$cur"; return 0 ;;
        --env|-e) _flaskship_names environments "$manifest" "$cur"; return 0 ;;
    esac
    COMPREPLY=( $(compgen -W "$("${COMP_WORDS[0]}" --complete -- ${COMP_WORDS[*]} 2>/dev/null)" -- "$cur") )
}
complete -o default -F _flaskship_complete flaskship invoke inv
'''

SCRIPTS = {"bash": BASH}


def script(shell: str) -> str:
    from ..errors import FlaskshipError

    if shell not in SCRIPTS:
        raise FlaskshipError(f"no completion script for {shell!r} (choose from: {', '.join(SCRIPTS)}; "
                             "zsh can source the bash one after `bashcompinit`)")
    return SCRIPTS[shell]


def names(project: Project, kind: str) -> list[str]:
    from ..errors import FlaskshipError

    if kind == "targets":
        return sorted(project.manifest.targets) + ["all"]
    if kind == "environments":
        return sorted(project.manifest.environments)
    raise FlaskshipError(f"names: no list named {kind!r} (choose from: targets, environments)")
