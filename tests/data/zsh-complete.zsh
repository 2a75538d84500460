# Complete the command line $2 in an interactive zsh, completion functions from directory $1;
# print each candidate once (compadd is wrapped to print what it would add). Used by tests/shell.rs.
zmodload zsh/zpty
zpty z zsh -f -i
collect() {  # read until $1 appears (or ~10 s); result in $REPLY
  local chunk acc="" ; integer i
  for (( i = 0; i < 400; i++ )); do
    if zpty -r -t z chunk; then acc+=$chunk; [[ $acc == *$1* ]] && break; else sleep 0.05; fi
  done
  REPLY=$acc
}
zpty -w z "PS1=''"
zpty -w z "fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'compadd () { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi; typeset -a __hits; builtin compadd -A __hits "$@"; local h; for h in $__hits; do echo -E - "<""<$h>"">"; done; }'
zpty -w z "bindkey '^I' complete-word"
zpty -w z "echo init-\$((1+1))-done"
collect init-2-done
zpty -w -n z "$2"$'\t'
zpty -w z $'\x15echo capture-$((2+2))-done'
collect capture-4-done
print -r -- "$REPLY" | grep -ao '<<[^>]*>>' | sed 's/^<<//; s/>>$//' | sort -u
zpty -d z
