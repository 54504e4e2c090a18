/**
 * The real LaunchFn: a live sandbox from src/sandbox (bubblewrap + cordon-init in server mode),
 * optionally joined to the network cordon and watched by the monitor, and registered with the
 * detector as the responder for its findings.
 */
import type { Attribution } from '../events/index.js';
import type { Policy } from '../policy/index.js';
import { Sandbox, type NetworkAttachment, type SandboxMonitor } from '../sandbox/index.js';
import type { LaunchFn, LiveSandbox } from './manager.js';

/** The network layer's attach (NetworkCordon.attach), structural so server/ does not own it. */
export interface NetworkAttacher {
  attach(
    sandboxId: string,
    policy: Policy,
    attribution: Attribution,
  ): Promise<NetworkAttachment & { detach(): Promise<void> }>;
}

export interface LiveRegistry {
  /** Called once the sandbox runs; returns the function that unregisters it. */
  register(sandboxId: string, policy: Policy, sandbox: Sandbox): () => void;
}

export interface RealLaunchOptions {
  registry?: LiveRegistry | undefined;
  network?: NetworkAttacher | undefined;
  monitor?: SandboxMonitor | undefined;
}

function execOn(sandbox: Sandbox): LiveSandbox['exec'] {
  return (argv, { stdin, stepId, timeoutMs, env, cwd }) =>
    sandbox.exec(argv, {
      stepId,
      ...(stdin !== undefined ? { stdin: Buffer.from(stdin) } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(env !== undefined ? { env } : {}),
      ...(cwd !== undefined ? { cwd } : {}),
    });
}

export function realLaunch(options: RealLaunchOptions = {}): LaunchFn {
  return async ({ id, policy, workspace, labels, episodeId, bus }) => {
    const network = await options.network?.attach(id, policy, { sandboxId: id, episodeId });
    let sandbox: Sandbox;
    try {
      sandbox = await Sandbox.create({
        sandboxId: id,
        policy,
        workspace,
        bus,
        labels,
        ...(episodeId !== undefined ? { episodeId } : {}),
        ...(network ? { network } : {}),
        ...(options.monitor ? { monitor: options.monitor } : {}),
      });
    } catch (error) {
      await network?.detach();
      throw error;
    }
    const unregister = options.registry?.register(id, policy, sandbox);
    const live: LiveSandbox = {
      exec: execOn(sandbox),
      async destroy() {
        try {
          await sandbox.destroy();
        } finally {
          unregister?.();
          await network?.detach();
        }
      },
    };
    return live;
  };
}

/** What the API needs from the library's CordonRuntime (structural: server/ does not own it). */
export interface SandboxFactory {
  createSandbox(options: {
    sandboxId: string;
    policy: Policy;
    workspace: string;
    labels: Record<string, string>;
    episodeId?: string;
  }): Promise<Sandbox>;
}

/** A LaunchFn over CordonRuntime.createSandbox, which already wires network, monitor and detector. */
export function launchVia(factory: SandboxFactory): LaunchFn {
  return async ({ id, policy, workspace, labels, episodeId }) => {
    const sandbox = await factory.createSandbox({
      sandboxId: id,
      policy,
      workspace,
      labels,
      ...(episodeId !== undefined ? { episodeId } : {}),
    });
    return {
      exec: execOn(sandbox),
      destroy: () => sandbox.destroy(),
    };
  };
}
