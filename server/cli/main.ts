// tadfuq validate FLOW.json            → exit 0, or 1 with every error and its path
// tadfuq run FLOW.json --input '{…}'   → runs it on a temporary embedded store, prints the execution
// tadfuq seed                          → (re)seeds the store of DATABASE_URL / TADFUQ_DATA_DIR
// tadfuq enroll --flow … --tenant …   → enrolls contacts in a published flow (that store), prints the report
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
// Each command's module is imported when it runs: `validate` needs the engine and the node
// schemas, not the database, the HTTP server or the sandbox (it answers in well under a second).
import { loadEnvFile } from '../env-file.js';

const USAGE = `usage:
  tadfuq validate FLOW.json
  tadfuq code-test FILE.js [--input JSON] [--vars JSON] [--timeout-ms N] [--memory-mb N]
  tadfuq run FLOW.json [--input JSON] [--trigger NODE_ID] [--allow-private-network]
  tadfuq seed          (the store named by DATABASE_URL or TADFUQ_DATA_DIR)
  tadfuq enroll --flow FLOW_ID --tenant SLUG (--contacts ID,ID,… | --csv FILE.csv)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // code-test has flags of its own (--input, --vars, --timeout-ms, --memory-mb).
  if (command === 'code-test') return (await import('../../nodes/code/code-test-command.js')).codeTestCommand(rest, process.stdout, process.stderr);
  if (command === 'seed') return (await import('./seed-command.js')).seedCommand(process.env, process.stdout);
  if (command === 'enroll') return (await import('./enroll-command.js')).enrollCommand(rest, process.env, process.stdout, process.stderr);
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
  if (command === 'validate') return (await import('./validate-command.js')).validateCommand(file, text, process.stdout);
  return (await import('./run-command.js')).runCommand(file, text, { input: values.input, trigger: values.trigger, allowPrivateNetwork: values['allow-private-network'] === true }, process.stdout, process.stderr);
}

loadEnvFile(); // .env: the environment wins over it
process.exitCode = await main(process.argv.slice(2));
