import { loadConfig } from '@shared/config.ts';
import { createDb, migrateLatest } from '@shared/db.ts';
import { createLogger } from '@shared/logger.ts';
import { grantOperator, listOperators, revokeOperator, type OperatorChange } from '@shared/operators.ts';

const USAGE = `Usage: npm run ops -- <command>
  grant-operator <email>    make the account with this email a deployment operator
  revoke-operator <email>   take the operator role away
  list-operators            print every operator
On the embedded database (no DATABASE_URL), stop npm start first: PGlite serves one process at a time.
`;

/**
 * `npm run ops`: chores on the configured database, for whoever runs the deployment. Each change is
 * written to the audit log. Exits 0 when done (or nothing needed doing), 1 when the account does not
 * exist, 2 on a usage error.
 */
const [command, email, ...rest] = process.argv.slice(2);
const isOperatorCommand = command === 'grant-operator' || command === 'revoke-operator';
if (!(isOperatorCommand && email && rest.length === 0) && !(command === 'list-operators' && email === undefined)) {
  process.stderr.write(USAGE);
  process.exit(2);
}

const config = loadConfig();
const log = createLogger(config);
const db = createDb(config);
let code = 0;
try {
  await migrateLatest(db);
  if (command === 'list-operators') {
    const operators = await listOperators(db);
    log.info(
      { operators: operators.map((operator) => ({ userId: operator.id, email: operator.email, grantedAt: operator.granted_at })) },
      `${operators.length} operator(s)`,
    );
  } else {
    const change: OperatorChange =
      command === 'grant-operator' ? await grantOperator(db, email!, 'cli') : await revokeOperator(db, email!, 'cli');
    if (change.outcome === 'no_account') {
      log.error({ email }, 'no account has this email');
      code = 1;
    } else {
      const done = command === 'grant-operator' ? 'operator granted' : 'operator revoked';
      log.info({ userId: change.userId, email }, change.outcome === 'changed' ? done : `${done} already; nothing changed`);
    }
  }
} finally {
  await db.destroy();
}
process.exit(code);
