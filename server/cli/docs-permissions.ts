// `npm run docs:permissions`: rewrite the permission table in README.md from permissions.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { TABLE_END, TABLE_START, permissionTableMarkdown } from '../auth/permission-table.js';

const file = new URL('../../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const start = readme.indexOf(TABLE_START);
const end = readme.indexOf(TABLE_END);
if (start < 0 || end < 0) throw new Error('README.md has no permission table markers');
writeFileSync(file, readme.slice(0, start) + permissionTableMarkdown() + readme.slice(end + TABLE_END.length));
