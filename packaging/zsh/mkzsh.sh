#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Make the zsh completion function file _evectl from evectl's bash
# completion (the command table's), run through zsh's bashcompinit: zsh
# autoloads the file as the function _evectl, so the bash function is
# renamed _evectl_bash and called through bashcompinit's _bash_complete.
# usage: mkzsh.sh EVECTL OUT
set -eu
{
	echo '#compdef evectl'
	echo '# zsh completion for evectl (generated from "evectl completion bash").'
	echo 'autoload -U +X bashcompinit && bashcompinit'
	"$1" completion bash | sed -e 's/^_evectl() {/_evectl_bash() {/' -e '/^complete .*evectl$/d'
	echo '_bash_complete -o default -F _evectl_bash "$@"'
} >"$2.tmp"
mv "$2.tmp" "$2"
