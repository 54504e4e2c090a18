/** `cordon doctor`: its options and help; the checks are in ../actions/doctor.ts. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy.js';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check what this host supports and what each missing piece disables')
    .option('--json', 'print the checks as JSON')
    .action(lazyAction(async () => (await import('../actions/doctor.js')).doctorAction));
}
