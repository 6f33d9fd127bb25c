import { Type } from '@sinclair/typebox';
import { validateFlow, NodeRegistry, defineNode } from '../engine/index.js';
const reg = new NodeRegistry([defineNode({ type: 't.trigger', category: 'trigger', label: {en:'',ar:''}, description:{en:'',ar:''}, icon:'x', params: Type.Object({}), outputs: [{port:'out', label:{en:'',ar:''}}], async execute(){return {port:'out', output:null};} })]);
const doc = {schemaVersion:1,name:'x',nodes:[{id:'n1',type:'t.trigger', retry:{max:2}}],edges:[]};
console.log(JSON.stringify(validateFlow(doc, reg)));
console.log(JSON.stringify(validateFlow({...doc, nodes:[{id:'n1',type:'t.trigger', retry:{max:2}, params: 'x'}]}, reg)));
console.log(JSON.stringify(validateFlow({...doc, nodes:[{id:'n1',type:'t.trigger', params: {a: '=(' }}]}, reg)));
