// The export's secret scan: a param named like a secret (Authorization, X-API-Key, token,
// password, secret, apiKey, …) that holds a literal string would leak that secret into the
// template file. Expressions that read data are fine, and so are {{variable}} placeholders;
// an expression made only of string literals (`="Bearer abc"`) is a literal in disguise.
// Pure: no I/O.
import jsonata from 'jsonata';
import { pointerSegment, type FlowError } from '../../engine/index.js';
import { hasPlaceholder } from './variables.js';

const SECRET_NAME = /authorization|apikey|token|password|passwd|passphrase|secret|privatekey|accesskey|cookie/;
/** Auth scheme words, which are not secrets on their own ("Bearer {{token}}"). */
const SCHEME_ONLY = /^(?:bearer|basic|token|digest|apikey)?$/i;

/** True for keys such as `Authorization`, `X-API-Key`, `access_token`, `clientSecret`, `password`. */
export function isSecretName(key: string): boolean {
  return SECRET_NAME.test(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

interface AstNode {
  type?: string;
  lhs?: AstNode;
  rhs?: AstNode;
  expressions?: AstNode[];
}

function constantAst(node: AstNode | undefined): boolean {
  if (!node) return false;
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value':
      return true;
    case 'binary':
      return constantAst(node.lhs) && constantAst(node.rhs);
    case 'block':
      return (node.expressions ?? []).every(constantAst);
    default:
      return false;
  }
}

/** An expression that reads nothing: only literals joined by operators (`="Bearer " & "abc"`). */
export function isConstantExpression(source: string): boolean {
  try {
    return constantAst(jsonata(source.slice(1)).ast() as AstNode);
  } catch {
    return false; // a syntax error is validation's business
  }
}

function holdsLiteralSecret(value: string): boolean {
  if (value.startsWith('=')) return isConstantExpression(value);
  const rest = hasPlaceholder(value) ? value.replace(/\{\{[^}]*\}\}/g, '') : value;
  return !SCHEME_ONLY.test(rest.trim());
}

/** Every literal secret under `params`, as an error at `basePath` + its pointer. */
export function literalSecrets(params: unknown, basePath: string): FlowError[] {
  const errors: FlowError[] = [];
  const walk = (value: unknown, path: string, secretKey: string | null): void => {
    if (typeof value === 'string') {
      if (secretKey !== null && holdsLiteralSecret(value)) {
        errors.push({
          path,
          code: 'literal_secret',
          message: `"${secretKey}" holds a literal secret: move it into a credential and choose that credential on the node (templates never carry secrets)`,
        });
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}/${i}`, secretKey));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}/${pointerSegment(k)}`, isSecretName(k) ? k : secretKey);
    }
  };
  walk(params, basePath, null);
  return errors;
}
