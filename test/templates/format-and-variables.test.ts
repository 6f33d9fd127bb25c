// The template schema and {{variable}} placeholders (pure).
import { expect } from 'chai';
import fc from 'fast-check';
import jsonata from 'jsonata';
import { placeholderNames, placeholderSites, substitute, templateShapeErrors } from '../../server/templates/index.js';
import { template, webhookFlow } from './helpers.js';

describe('templates: file format', () => {
  const valid = () => template({}, [{ key: 'main', definition: webhookFlow('f', 'x') }]);

  it('accepts a well-formed template', () => {
    expect(templateShapeErrors(valid())).to.deep.equal([]);
  });

  it('reports every schema problem with its path under the base', () => {
    const t = valid() as unknown as { manifest: Record<string, unknown>; flows: unknown[]; tadfuqTemplate: unknown };
    t.tadfuqTemplate = 2;
    t.manifest.version = '1.0';
    t.manifest.name = { en: 'only English' };
    t.manifest.extra = true;
    const errors = templateShapeErrors(t, '/body/template');
    const at = errors.map((e) => `${e.path} ${e.code}`);
    expect(at).to.include('/body/template/tadfuqTemplate invalid_value');
    expect(at).to.include('/body/template/manifest/version invalid_value');
    expect(at).to.include('/body/template/manifest/name/ar required');
    expect(at).to.include('/body/template/manifest/extra unknown_property');
  });

  it('refuses duplicate refs, variable names and flow keys', () => {
    const label = { en: 'x', ar: 'س' };
    const t = template(
      {
        credentials: [{ ref: 'crm', type: 'http-bearer', label }, { ref: 'crm', type: 'http-header', label }],
        variables: [{ name: 'v', label }, { name: 'v', label }],
      },
      [{ key: 'a', definition: {} }, { key: 'a', definition: {} }],
    );
    expect(templateShapeErrors(t).map((e) => `${e.path} ${e.code}`)).to.have.members([
      '/manifest/credentials/1/ref duplicate',
      '/manifest/variables/1/name duplicate',
      '/flows/1/key duplicate',
    ]);
  });

  it('refuses variable names that would reach an object prototype', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      const t = template({ variables: [{ name, label: { en: 'x', ar: 'س' } }] }, valid().flows);
      expect(templateShapeErrors(t).map((e) => e.path), name).to.deep.equal(['/manifest/variables/0/name']);
    }
  });

  it('takes semantic versions only', () => {
    for (const good of ['0.0.1', '1.2.3', '10.0.0-beta.1', '1.0.0+build.5']) expect(templateShapeErrors(template({ version: good }, valid().flows)), good).to.deep.equal([]);
    for (const bad of ['1', '1.2', '01.2.3', 'v1.2.3', '1.2.3-']) expect(templateShapeErrors(template({ version: bad }, valid().flows)), bad).to.have.length(1);
  });
});

describe('templates: variables', () => {
  it('a string that is one placeholder takes the value with its type', () => {
    expect(substitute('{{n}}', { n: 42 })).to.equal(42);
    expect(substitute('{{ flag }}', { flag: false })).to.equal(false);
    expect(substitute('{{s}}', { s: 'x' })).to.equal('x');
  });

  it('inside text a placeholder becomes the text of the value', () => {
    expect(substitute('https://{{host}}/v{{n}}/leads', { host: 'crm.example', n: 2 })).to.equal('https://crm.example/v2/leads');
  });

  it('inside an expression a placeholder becomes a JSONata literal', () => {
    expect(substitute('=budget >= {{min}} * 100', { min: 50000 })).to.equal('=budget >= 50000 * 100');
    expect(substitute('="Hi " & {{greeting}}', { greeting: 'مرحبا' })).to.equal('="Hi " & "مرحبا"');
  });

  it('leaves placeholders of unknown variables as they are', () => {
    expect(substitute('a {{x}} b {{y}}', { x: 1 })).to.equal('a 1 b {{y}}');
  });

  it('no string value can break out of its literal in an expression', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), async (s) => {
        const expr = substitute('={{v}} & ""', { v: s }) as string;
        expect(await jsonata(expr.slice(1)).evaluate({})).to.equal(s);
      }),
      { numRuns: 300 },
    );
  });

  it('finds every placeholder site with its pointer and names', () => {
    const params = { url: 'https://{{host}}/x', headers: { 'a/b': '{{k}}' }, list: ['{{a}}{{b}}{{a}}', 'none'], n: 3 };
    expect(placeholderSites(params)).to.deep.equal([
      { pointer: '/url', source: 'https://{{host}}/x', names: ['host'] },
      { pointer: '/headers/a~1b', source: '{{k}}', names: ['k'] },
      { pointer: '/list/0', source: '{{a}}{{b}}{{a}}', names: ['a', 'b'] },
    ]);
    expect(placeholderNames('{{ x }} {x} {{1y}}')).to.deep.equal(['x']);
  });
});
