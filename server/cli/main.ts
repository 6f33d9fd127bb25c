// tadfuq validate FLOW.json            → exit 0, or 1 with every error and its path
// tadfuq run FLOW.json --input '{…}'   → runs it on a temporary embedded store, prints the execution
// tadfuq seed                          → (re)seeds the store of DATABASE_URL / TADFUQ_DATA_DIR
// tadfuq enroll --flow … --tenant …   → enrolls contacts in a published flow (that store), prints the report
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { validateCommand } from './validate-command.js';
import { runCommand } from './run-command.js';
import { codeTestCommand } from '../../nodes/code/code-test-command.js';
import { seedCommand } from './seed-command.js';
import { enrollCommand } from './enroll-command.js';

const USAGE = `usage:
  tadfuq validate FLOW.json
  tadfuq code-test FILE.js [--input JSON] [--vars JSON] [--timeout-ms N] [--memory-mb N]
  tadfuq run FLOW.json [--input JSON] [--trigger NODE_ID] [--allow-private-network]
  tadfuq seed          (the store named by DATABASE_URL or TADFUQ_DATA_DIR)
  tadfuq enroll --flow FLOW_ID --tenant SLUG (--contacts ID,ID,… | --csv FILE.csv)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // code-test has flags of its own (--input, --vars, --timeout-ms, --memory-mb).
  if (command === 'code-test') return codeTestCommand(rest, process.stdout, process.stderr);
  if (command === 'seed') return seedCommand(process.env, process.stdout);
  if (command === 'enroll') return enrollCommand(rest, process.env, process.stdout, process.stderr);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      trigger: { type: 'string' },
      'allow-private-network': { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (!command || !file || (command !== 'validate' && command !== 'run')) {
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    process.stderr.write(`cannot read ${file}: ${(err as Error).message}\n`);
    return 2;
  }
  if (command === 'validate') return validateCommand(file, text, process.stdout);
  return runCommand(file, text, { input: values.input, trigger: values.trigger, allowPrivateNetwork: values['allow-private-network'] === true }, process.stdout, process.stderr);
}

process.exitCode = await main(process.argv.slice(2));
