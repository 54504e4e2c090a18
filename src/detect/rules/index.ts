/**
 * The rule pack: every rule, one per file under rules/<category>/<kebab-id>.ts. Order does not
 * matter; the detector indexes them by event kind.
 */
import type { Rule } from '../rule.js';
import { cloudMetadata } from './credential-access/cloud-metadata.js';
import { credentialFileRead } from './credential-access/credential-file-read.js';
import { otherProcessMemory } from './credential-access/other-process-memory.js';
import { argv0Masquerade } from './defense-evasion/argv0-masquerade.js';
import { decodeToShell } from './defense-evasion/decode-pipe-to-shell.js';
import { downloadExecute } from './defense-evasion/download-and-execute.js';
import { execDroppedFile } from './defense-evasion/exec-dropped-file.js';
import { firewallDnsTampering } from './defense-evasion/firewall-dns-tampering.js';
import { historyFileErased } from './defense-evasion/history-file-erased.js';
import { historyLogWiping } from './defense-evasion/history-log-wiping.js';
import { memfdExec } from './defense-evasion/memfd-exec.js';
import { resolverFileWrite } from './defense-evasion/resolver-file-write.js';
import { stopCordon } from './defense-evasion/stop-cordon.js';
import { gpuDeviceOpen } from './device-access/gpu-device-open.js';
import { gpuDiscovery } from './device-access/gpu-discovery.js';
import { msrHugepageTuning } from './device-access/msr-hugepage-tuning.js';
import { msrHugepageWrite } from './device-access/msr-hugepage-write.js';
import { containerSocket } from './escape/container-socket.js';
import { escapeSyscall } from './escape/escape-syscall.js';
import { hostEscapePath } from './escape/host-escape-path.js';
import { namespaceTools } from './escape/namespace-tools.js';
import { ptraceAttach } from './escape/ptrace-attach.js';
import { dnsTunnel } from './exfiltration/tunnel-queries.js';
import { cpuWithDeniedPool } from './mining/cpu-with-denied-pool.js';
import { minerFlags } from './mining/miner-flags.js';
import { minerName } from './mining/miner-name.js';
import { poolDestination } from './mining/mining-pool-destination.js';
import { stratumFlow } from './mining/stratum-flow.js';
import { authorizedKeys } from './persistence/authorized-keys.js';
import { cron } from './persistence/cron.js';
import { ldPreload } from './persistence/ld-preload.js';
import { shellRc } from './persistence/shell-rc.js';
import { systemdUnit } from './persistence/systemd-unit.js';
import { deniedEgress } from './policy/denied-egress.js';
import { deniedFanout } from './recon/denied-fanout.js';
import { scannerTools } from './recon/scanner-tools.js';
import { cpuAfterCommand } from './resource-abuse/cpu-after-command.js';
import { gpuAfterCommand } from './resource-abuse/gpu-after-command.js';
import { flowFromShell } from './reverse-shell/flow-from-shell.js';
import { devTcp } from './reverse-shell/reverse-shell-dev-tcp.js';
import { interpreterOneliner } from './reverse-shell/reverse-shell-interpreter-oneliner.js';
import { ncExec } from './reverse-shell/reverse-shell-nc-exec.js';
import { pipeline } from './reverse-shell/reverse-shell-pipeline.js';
import { reverseShellStdioSocket } from './reverse-shell/reverse-shell-stdio-socket.js';
import { socatExec } from './reverse-shell/reverse-shell-socat-exec.js';
import { networkedParent } from './reverse-shell/shell-spawned-by-networked-process.js';
import { graderAccess } from './reward-tampering/grader-access.js';
import { socatNcRelay } from './tunnel/socat-nc-relay.js';
import { sshToUnlistedHost } from './tunnel/ssh-to-unlisted-host.js';
import { sshTunnelFlags } from './tunnel/ssh-tunnel-flags.js';
import { tunnelTool } from './tunnel/tunnel-tool.js';

export const RULES: readonly Rule[] = Object.freeze([
  cloudMetadata,
  credentialFileRead,
  otherProcessMemory,
  argv0Masquerade,
  decodeToShell,
  downloadExecute,
  execDroppedFile,
  firewallDnsTampering,
  historyFileErased,
  historyLogWiping,
  memfdExec,
  resolverFileWrite,
  stopCordon,
  gpuDeviceOpen,
  gpuDiscovery,
  msrHugepageTuning,
  msrHugepageWrite,
  containerSocket,
  escapeSyscall,
  hostEscapePath,
  namespaceTools,
  ptraceAttach,
  dnsTunnel,
  cpuWithDeniedPool,
  minerFlags,
  minerName,
  poolDestination,
  stratumFlow,
  authorizedKeys,
  cron,
  ldPreload,
  shellRc,
  systemdUnit,
  deniedEgress,
  deniedFanout,
  scannerTools,
  cpuAfterCommand,
  gpuAfterCommand,
  flowFromShell,
  devTcp,
  interpreterOneliner,
  ncExec,
  pipeline,
  reverseShellStdioSocket,
  socatExec,
  networkedParent,
  graderAccess,
  socatNcRelay,
  sshToUnlistedHost,
  sshTunnelFlags,
  tunnelTool,
]);
