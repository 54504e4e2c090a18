/**
 * proc.miner-flags: a command line carries miner options (a stratum URL, --donate-level,
 * --cpu-max-threads-hint, an algorithm with a pool, `-o pool:port -u wallet`), whatever the binary
 * is called. ATT&CK T1496. Severity critical: catches renamed miners before their first byte.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, commandText } from '../../lib/command.js';

const STRATUM_URL = /\bstratum\d?\+(tcp|ssl|tls|ws|wss):\/\//i;
const MINER_FLAGS =
  /^--(donate-level|cpu-max-threads-hint|randomx-1gb-pages|randomx-mode|randomx-no-numa|cpu-priority|max-cpu-usage|coin|nicehash|rig-id)\b/;
const ALGOS =
  /^(rx\/\w+|randomx|cn(\/\w+)?|cryptonight\w*|ethash|etchash|kawpow|autolykos2?|kheavyhash|ghostrider|argon2\/\w+|equihash\w*|x16r\w*|blake3)$/i;
const HOST_PORT = /^[a-z0-9][a-z0-9.-]*:\d{2,5}$/i;

/** The flag that gives a command away, if any. */
function minerFlag(args: string[]): string | undefined {
  const flag = args.find((a) => MINER_FLAGS.test(a));
  if (flag) return flag;
  const valueOf = (short: string, long: string): string | undefined => {
    for (let i = 0; i < args.length; i += 1) {
      const a = args[i]!;
      if (a === short || a === long) return args[i + 1];
      if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
    }
    return undefined;
  };
  const url = valueOf('-o', '--url');
  const algo = valueOf('-a', '--algo');
  const user = valueOf('-u', '--user');
  if (url && HOST_PORT.test(url) && user !== undefined) return `-o ${url} -u`;
  if (algo && ALGOS.test(algo) && (url !== undefined || user !== undefined))
    return `--algo ${algo}`;
  return undefined;
}

export const minerFlags = defineRule({
  id: 'proc.miner-flags',
  category: 'mining',
  severity: 'critical',
  attack: ['T1496'],
  reason: 'A command line carries cryptominer options (stratum URL, donate level, pool and wallet)',
  kinds: ['process.exec'],
  check(event) {
    const url = STRATUM_URL.exec(commandText(event.argv));
    if (url) return execHit(event, `miner options: ${url[0]} URL`, { flag: url[0] });
    for (const cmd of commandsOf(event.argv)) {
      const flag = minerFlag(cmd.args);
      if (flag)
        return execHit(event, `miner options: ${flag} (${cmd.name})`, { flag, program: cmd.name });
    }
    return null;
  },
});
