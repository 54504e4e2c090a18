#!/bin/sh
# expect: defense-evasion
# why: runs obfuscated commands through base64 -d | sh
echo 'ZWNobyBoZWxsbwo=' | base64 -d | sh
