// The permission table as Markdown, for README.md (a test keeps the README in step with it).
import { PERMISSIONS, ROLES } from './permissions.js';

export const TABLE_START = '<!-- permissions:start (generated from server/auth/permissions.ts; `npm run docs:permissions`) -->';
export const TABLE_END = '<!-- permissions:end -->';

export function permissionTableMarkdown(): string {
  const header = `| action | ${ROLES.join(' | ')} | what it allows — ما يسمح به |`;
  const rule = `|---|${ROLES.map(() => ':-:').join('|')}|---|`;
  const rows = Object.entries(PERMISSIONS).map(([name, p]) => {
    const marks = ROLES.map((r) => ((p.roles as readonly string[]).includes(r) ? '✓' : '·'));
    return `| \`${name}\` | ${marks.join(' | ')} | ${p.en} — ${p.ar} |`;
  });
  return [TABLE_START, header, rule, ...rows, TABLE_END].join('\n');
}
