// trigger.manual: starts a flow by hand (editor "Run", test runs, the API). Its output is the
// payload the run was started with.
import { Type } from '@sinclair/typebox';
import { defineNode } from '../engine/index.js';
import { OUT_PORT } from './shared/ports.js';

export const triggerManualNode = defineNode({
  type: 'trigger.manual',
  category: 'trigger',
  label: { en: 'Manual trigger', ar: 'تشغيل يدوي' },
  description: {
    en: 'Starts the flow when someone runs it by hand, from the editor or the API; passes the given payload on.',
    ar: 'يبدأ التدفق عندما يشغّله شخص يدويًا من المحرر أو عبر الواجهة البرمجية، ويمرّر البيانات المُدخلة كما هي.',
  },
  icon: 'play',
  params: Type.Object({}, { additionalProperties: false }),
  outputs: [OUT_PORT],
  async execute(ctx) {
    return { port: 'out', output: ctx.input };
  },
});
