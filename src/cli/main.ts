#!/usr/bin/env node
/**
 * The `cordon` command line: thin over the library. Each command registers its options and help
 * here (commands/) and imports its implementation (actions/) only when it runs.
 */
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands/audit.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDemoRomeCommand } from './commands/demo-rome.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerEpisodeCommands } from './commands/episode.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerPolicyCommands } from './commands/policy.js';
import { registerRunCommand } from './commands/run.js';
import { registerServeCommand } from './commands/serve.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './output.js';

export function buildProgram(): Command {
  const program = new Command('cordon')
    .description(
      'run AI agents in a sandbox that isolates them, sees every attempt and stops rogue behaviour',
    )
    .version('0.1.0')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerRunCommand(program);
  registerDoctorCommand(program);
  registerPolicyCommands(program);
  registerAuditCommands(program);
  registerDemoCommand(program);
  // After `demo isolation`: a bare `cordon demo` runs the ROME incident replay.
  registerDemoRomeCommand(program);
  registerEpisodeCommands(program);
  registerEvalCommand(program);
  registerServeCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; everything else commander rejects is bad usage.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT.USAGE;
      return;
    }
    process.exitCode = reportError(error);
  }
}

await main(process.argv);
