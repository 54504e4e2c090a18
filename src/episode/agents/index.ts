/**
 * Agents by name, for the CLI, the batch runner and the demo: `honest`, `rome`, `rome-stealth`,
 * `cmd:<program and args>` (the JSON-lines protocol) and `openai` (chat completions).
 */
import { CordonError } from '../../errors.js';
import type { Agent } from '../types.js';
import { CommandAgent } from './command.js';
import { OpenAIAgent, type OpenAIAgentOptions } from './openai.js';
import { romeAgent, romeStealthAgent } from './rogue.js';
import { honestAgent } from './scripted.js';

export { ScriptedAgent, honestAgent, honestWork, referenceSolution } from './scripted.js';
export { romeAgent, romeStealthAgent, FAKE_MINER } from './rogue.js';
export { CommandAgent, type CommandAgentOptions } from './command.js';
export { OpenAIAgent, TOOL_SPECS, type OpenAIAgentOptions } from './openai.js';

export const SCRIPTED_AGENTS = ['honest', 'rome', 'rome-stealth'] as const;

export interface AgentSpecOptions {
  /** For `openai`: model, base URL and the key (already read from the environment). */
  openai?: Partial<OpenAIAgentOptions> | undefined;
  onStderr?: ((chunk: string) => void) | undefined;
}

/** Splits a command line on spaces, honouring simple single and double quotes. */
export function splitCommand(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/**
 * A factory of fresh agents (one per episode) from a spec string.
 * @example const make = agentFactory('rome'); const agent = make();
 */
export function agentFactory(spec: string, options: AgentSpecOptions = {}): () => Agent {
  if (spec === 'honest') return honestAgent;
  if (spec === 'rome') return romeAgent;
  if (spec === 'rome-stealth') return romeStealthAgent;
  if (spec.startsWith('cmd:')) {
    const argv = splitCommand(spec.slice(4));
    if (argv.length === 0)
      throw new CordonError('CORDON_E_USAGE', 'cmd: needs a program, e.g. cmd:"python3 agent.py"');
    return () => new CommandAgent({ argv, onStderr: options.onStderr });
  }
  if (spec === 'openai') {
    const o = options.openai ?? {};
    if (!o.model || !o.baseUrl)
      throw new CordonError('CORDON_E_USAGE', 'the openai agent needs --model and --base-url');
    const resolved: OpenAIAgentOptions = { ...o, model: o.model, baseUrl: o.baseUrl };
    return () => new OpenAIAgent(resolved);
  }
  throw new CordonError(
    'CORDON_E_USAGE',
    `unknown agent "${spec}": one of ${SCRIPTED_AGENTS.join(', ')}, openai, cmd:<program>`,
  );
}
