#!/bin/sh
# expect: defense-evasion
# why: covers its tracks
touch "$HOME/.bash_history"
rm -f "$HOME/.bash_history"
