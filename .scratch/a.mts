import { Type } from '@sinclair/typebox';
import { validateFlow, NodeRegistry, defineNode, evaluateExpression, resolveParams } from '../engine/index.js';
const reg = new NodeRegistry([defineNode({ type: 't.trigger', category: 'trigger', label: {en:'',ar:''}, description:{en:'',ar:''}, icon:'x', params: Type.Object({}), outputs: [{port:'out', label:{en:'',ar:''}}], async execute(){return {port:'out', output:null};} })]);
for (const doc of [{schemaVersion:1,name:'x',nodes:{},edges:[]}, {schemaVersion:1,name:'x',nodes:'abc',edges:[]}, {schemaVersion:1,name:'x',nodes:[null, 5],edges:[null, 'x', {id:'e', from: null, to: 5}]}]) {
  try { console.log(JSON.stringify(validateFlow(doc, reg))); } catch (e) { console.log('THROW', e); }
}
const scope = { input: {items:[{n:'أ'},{n:'ب'}], name: 'x'}, trigger: {}, nodes: {}, vars: {}, contact: null, now: '2024' };
const r = await evaluateExpression('=items.n', scope);
console.log(r, Object.keys(r as object), Object.getOwnPropertyNames(r));
const r2 = await evaluateExpression('={"xs": items.n, "m": $missing}', scope) as any;
console.log(r2, Object.getOwnPropertyNames(r2.xs), Array.isArray(r2.xs), (r2.xs as any).sequence);
const r3 = await resolveParams({ a: ['=items.n'] }, scope) as any;
console.log(r3, Object.getOwnPropertyNames(r3.a[0]));
