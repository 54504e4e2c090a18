/** Options several commands share, defined once so their names, choices and defaults agree. */
import { Option } from 'commander';

/** `--network auto|cordon|loopback`. */
export const networkOption = (): Option =>
  new Option('--network <mode>', 'network: auto, cordon or loopback')
    .choices(['auto', 'cordon', 'loopback'])
    .default('auto');

/** `--monitor ebpf|proc|off`. */
export const monitorOption = (): Option =>
  new Option('--monitor <mode>', 'signals: ebpf (falls back to proc), proc or off')
    .choices(['ebpf', 'proc', 'off'])
    .default('ebpf');
