import { expect } from 'chai';
import { aiAgentNode } from './ai-agent.node.js';
import { AGENT_PRESETS, AGENT_ROLES, type AgentRole } from './ai-agent-presets.js';
import { checkParams, failureOf, portOutput, runNode } from './testing/run-node.js';
import { fakeLlm, startFakeOpenAI, type FakeOpenAI } from '../test/helpers/fake-openai.js';
import { compileSchema, type LlmLocale } from '../engine/index.js';

interface AgentOutput {
  role: string;
  locale: LlmLocale;
  result: Record<string, unknown>;
  llm: { provider: string; attempts: { provider: string; outcome: string }[]; prompt: { role: string; content: string }[] | null; answer: string };
}

/** Per role: an input, and an answer as a model gave it (replayed by the local server). */
const RECORDED: Record<AgentRole, { input: unknown; answer: Record<string, unknown> }> = {
  lead_qualifier: {
    input: { lead: { name: 'Faisal', company: 'Riyadh Logistics', budget_sar: 400000, employees: 350, source: 'referral' }, conversation: ['Can you send pricing for 50 seats?'] },
    answer: { score: 84, tier: 'hot', reasons: ['Budget SAR 400,000 fits', 'Referral from a customer', 'Asked for pricing'], nextAction: 'Call today and send the 50-seat quote' },
  },
  deal_advisor: {
    input: { deal: { name: 'ERP rollout', stage: 'proposal', valueSar: '1,200,000', probability: 0.4, lastActivityAt: '2026-02-10T09:00:00Z', closeDate: '2026-03-31' } },
    answer: {
      risk: 'medium',
      winProbability: 38,
      nextSteps: ['Call the CFO to walk through the proposal', 'Offer a phased rollout to lower the first payment', 'Agree a decision date before Ramadan'],
      summary: 'A large proposal that has gone quiet for 19 days; the buyer needs a reason to decide before the quarter ends.',
    },
  },
  meeting_prep: {
    input: { contact: { name: 'م. خالد', title: 'مدير المشتريات' }, company: 'مصنع الخليج', deal: { stage: 'meeting' }, notes: 'يستخدمون نظامًا قديمًا ويشتكون من بطء التقارير' },
    answer: {
      brief: 'اجتماع مع مدير المشتريات في مصنع الخليج؛ يعانون من بطء التقارير في نظامهم الحالي.',
      talkingPoints: ['تقارير لحظية بدل التقارير الأسبوعية', 'تجربة مصنع مشابه في الجبيل', 'خطة انتقال دون توقف الإنتاج'],
      questions: ['كم يستغرق إعداد تقرير المشتريات الشهري اليوم؟', 'من يوقّع على القرار النهائي؟', 'ما الموعد المستهدف للتشغيل؟'],
      risks: ['ارتباطهم بعقد صيانة مع المورد الحالي'],
    },
  },
  sequence_optimizer: {
    input: { steps: [{ channel: 'email', sent: 400, opened: 120, replied: 6 }, { channel: 'whatsapp', sent: 150, replied: 27 }, { channel: 'sms', sent: 100, replied: 0 }] },
    answer: {
      recommendations: [
        { change: 'Start with WhatsApp on day 0', reason: '18% reply rate against 1.5% for email' },
        { change: 'Drop the SMS step', reason: '100 sent, no replies' },
      ],
      bestChannel: 'whatsapp',
      expectedImpact: 'high',
    },
  },
  content_generator: {
    input: { channel: 'whatsapp', purpose: 'marketing', language: 'ar', topic: 'باقة التقارير الذكية' },
    answer: {
      language: 'ar',
      body: 'مرحبًا {{first_name}}، معك {{sender_name}} من {{company}}. أطلقنا باقة التقارير الذكية لتوفير ساعات من العمل كل أسبوع. هل يناسبك عرض سريع يوم الأحد؟\nلإيقاف الرسائل أرسل: إيقاف',
      variables: ['first_name', 'sender_name', 'company'],
    },
  },
  analytics_reporter: {
    input: { period: 'March 2026', metrics: { leads: 420, meetings: 38, won: 9 }, previous: { leads: 350, meetings: 41, won: 6 } },
    answer: {
      summary: 'March brought 420 leads (+20%) and 9 won deals (+50%), while meetings slipped to 38.',
      highlights: ['Leads up 20% to 420', 'Won deals up from 6 to 9'],
      concerns: ['Meetings down 7% to 38'],
    },
  },
  compliance_checker: {
    input: { message: 'عرض خاص! أرباح مضمونة 100% لكل عميل. اتصل الآن.', channel: 'whatsapp', purpose: 'marketing' },
    answer: {
      compliant: false,
      issues: [
        { code: 'sensitive_claim', severity: 'block', message: 'يَعِد بأرباح مضمونة' },
        { code: 'missing_opt_out', severity: 'block', message: 'لا يوجد سطر لإيقاف الرسائل' },
      ],
    },
  },
  escalation_handler: {
    input: { message: 'This is the third time the invoice is wrong. I want a refund or I will complain.', contact: { name: 'Omar' } },
    answer: { escalate: true, priority: 'high', route: 'manager', reason: 'Repeated billing error; asks for a refund', summary: 'Omar reports a wrong invoice for the third time and asks for a refund.' },
  },
};

describe('ai.agent', () => {
  let groq: FakeOpenAI;
  let openai: FakeOpenAI;

  before(async () => {
    groq = await startFakeOpenAI();
    openai = await startFakeOpenAI();
  });
  after(async () => {
    await groq?.close();
    await openai?.close();
  });
  beforeEach(() => {
    groq.reset();
    openai.reset();
  });

  const run = async (params: Record<string, unknown>, options: Parameters<typeof runNode>[1] = {}) => {
    const { result, logs } = await runNode(aiAgentNode, { params, ...options });
    const { port, output } = portOutput(result);
    return { port, output: output as AgentOutput, logs };
  };

  it('has the eight roles of the CRM as presets, each bilingual with a schema and rules', () => {
    expect(Object.keys(AGENT_PRESETS)).to.deep.equal([...AGENT_ROLES]);
    for (const role of AGENT_ROLES) {
      const p = AGENT_PRESETS[role];
      expect(p.system.ar, role).to.match(/[\u0600-\u06FF]/);
      expect(p.system.en, role).to.match(/^You are the /);
      expect(p.label.ar, role).to.match(/[\u0600-\u06FF]/);
      expect(() => compileSchema(p.outputSchema), role).to.not.throw();
    }
  });

  for (const role of AGENT_ROLES) {
    describe(role, () => {
      const { input, answer } = RECORDED[role];

      it('a recorded answer: valid against the role’s schema and passed through', async () => {
        expect(compileSchema(AGENT_PRESETS[role].outputSchema)(answer), 'the recording itself fits').to.equal(true);
        groq.setDefault({ answer });
        const { service } = fakeLlm({ groq: groq.url, openai: openai.url, settings: { external: 'allowed' } });
        const { port, output } = await run({ role, input: '=$' }, { input, llm: service });
        expect(port).to.equal('out');
        expect(output.role).to.equal(role);
        expect(output.result).to.deep.equal(answer);
        expect(compileSchema(AGENT_PRESETS[role].outputSchema)(output.result)).to.equal(true);
        expect(output.llm.provider).to.equal('groq');
        const sent = groq.requests[0]!.body!;
        expect(sent.response_format).to.deep.equal({ type: 'json_object' });
        expect(sent.messages![0]!.content).to.include(AGENT_PRESETS[role].system[output.locale]);
        expect(sent.messages![0]!.content).to.include(JSON.stringify(AGENT_PRESETS[role].outputSchema));
      });

      for (const locale of ['ar', 'en'] as const) {
        it(`without a model: the rules answer fits the schema (${locale})`, async () => {
          const { service } = fakeLlm({ groq: groq.url, openai: openai.url, settings: { external: 'off' } });
          const { output } = await run({ role, input: '=$', locale }, { input, llm: service });
          expect(output.llm.provider).to.equal('rules');
          expect(output.locale).to.equal(locale);
          const validate = compileSchema(AGENT_PRESETS[role].outputSchema);
          expect(validate(output.result), JSON.stringify(validate.errors)).to.equal(true);
          expect(groq.requests).to.have.length(0);
        });
      }

      it('without a model: the rules answer fits the schema for an empty input too', async () => {
        const { output } = await run({ role, input: {} });
        expect(compileSchema(AGENT_PRESETS[role].outputSchema)(output.result)).to.equal(true);
      });
    });
  }

  it('chooses the Arabic prompt for an Arabic contact, the English one for an English contact', async () => {
    groq.setDefault({ answer: RECORDED.meeting_prep.answer });
    const { service } = fakeLlm({ groq: groq.url, openai: openai.url, settings: { external: 'allowed' }, locale: 'en' });
    await run({ role: 'meeting_prep' }, { input: { company: 'Acme' }, contact: { name: 'Huda', locale: 'ar' }, llm: service });
    await run({ role: 'meeting_prep' }, { input: { company: 'Acme' }, contact: { name: 'Huda', locale: 'en' }, llm: service });
    await run({ role: 'meeting_prep' }, { input: { company: 'شركة أكمي' }, llm: service });
    expect(groq.requests.map((r) => r.body!.messages![0]!.content.startsWith(AGENT_PRESETS.meeting_prep.system.ar))).to.deep.equal([true, false, true]);
  });

  describe('Compliance Checker', () => {
    const check = async (input: unknown, locale: LlmLocale = 'ar') => (await run({ role: 'compliance_checker', input: '=$', locale }, { input })).output.result;

    it('flags a marketing draft with no opt-out line, no Arabic and a sensitive claim', async () => {
      const r = await check({ message: 'Guaranteed returns for every client! Best in the Kingdom.', purpose: 'marketing' }, 'en');
      expect(r.compliant).to.equal(false);
      expect((r.issues as { code: string }[]).map((i) => i.code)).to.deep.equal(['missing_opt_out', 'missing_arabic', 'sensitive_claim']);
    });

    it('passes a clean Arabic marketing message with an opt-out line; a service message needs none', async () => {
      expect(await check({ message: 'مرحبًا {{first_name}}، يسعدنا دعوتك لعرض تجريبي يوم الأحد.\nلإيقاف الرسائل أرسل: إيقاف', purpose: 'marketing' })).to.deep.equal({ compliant: true, issues: [] });
      expect(await check({ message: 'تم تأكيد موعدك غدًا الساعة 10 صباحًا.', purpose: 'service' })).to.deep.equal({ compliant: true, issues: [] });
    });

    it('flags sending without consent', async () => {
      const r = await check({ message: 'مرحبًا، لإيقاف الرسائل أرسل إيقاف', consent: { status: 'withdrawn' } });
      expect(r.compliant).to.equal(false);
      expect((r.issues as { code: string }[]).map((i) => i.code)).to.deep.equal(['no_consent']);
    });

    it('a model cannot clear what the rules flag (its findings are added to, never replaced)', async () => {
      groq.setDefault({ answer: { compliant: true, issues: [] } });
      const { service } = fakeLlm({ groq: groq.url, openai: openai.url, settings: { external: 'allowed' } });
      const { output } = await run({ role: 'compliance_checker', input: '=$' }, { input: { message: 'Buy now, 100% guaranteed', purpose: 'marketing' }, llm: service });
      expect(output.result.compliant).to.equal(false);
      expect((output.result.issues as { code: string }[]).map((i) => i.code)).to.include.members(['missing_opt_out', 'missing_arabic']);
    });
  });

  describe('Content Generator', () => {
    it('the rules draft uses {{variables}} and, for marketing, an opt-out line', async () => {
      const { output } = await run({ role: 'content_generator', input: '=$' }, { input: { channel: 'email', language: 'en', topic: 'our CRM' } });
      expect(output.result.body).to.match(/\{\{first_name\}\}/);
      expect(output.result.body).to.match(/Reply STOP to opt out$/);
      expect(output.result.subject).to.match(/\{\{first_name\}\}/);
      expect(output.result.variables).to.deep.equal(['first_name', 'sender_name', 'company']);
    });

    it('a model draft without an opt-out line gets one; its variables are read from the text', async () => {
      groq.setDefault({ answer: { language: 'ar', body: 'أهلًا {{first_name}}، لدينا عرض لـ {{company}}.', variables: [] } });
      const { service } = fakeLlm({ groq: groq.url, openai: openai.url, settings: { external: 'allowed' } });
      const { output } = await run({ role: 'content_generator', input: { purpose: 'marketing' } }, { llm: service });
      expect(output.result.body).to.equal('أهلًا {{first_name}}، لدينا عرض لـ {{company}}.\nلإيقاف الرسائل أرسل: إيقاف');
      expect(output.result.variables).to.deep.equal(['first_name', 'company']);
    });
  });

  it('Escalation Handler rules: a legal threat is urgent for legal; a quiet message is not escalated', async () => {
    const urgent = (await run({ role: 'escalation_handler', input: { message: 'سأرفع قضية في المحكمة إذا لم تردوا' } })).output.result;
    expect(urgent).to.deep.include({ escalate: true, priority: 'urgent', route: 'legal' });
    const calm = (await run({ role: 'escalation_handler', input: { message: 'شكرًا، وصلتني الرسالة' } })).output.result;
    expect(calm).to.deep.include({ escalate: false, priority: 'low' });
  });

  it('Deal Advisor rules: an idle deal past its close date is high risk', async () => {
    const r = (await run({ role: 'deal_advisor', input: { deal: { stage: 'negotiation', lastActivityAt: '2026-01-20T00:00:00Z', closeDate: '2026-02-15' } }, locale: 'en' })).output.result;
    expect(r.risk).to.equal('high');
    expect(r.winProbability).to.be.at.most(35);
    expect((r.nextSteps as string[])[0]).to.match(/no activity for 40 days/);
  });

  describe('custom role', () => {
    it('uses the instructions and the given output schema', async () => {
      const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
      groq.setDefault({ answer: { city: 'الرياض' } });
      const { service } = fakeLlm({ groq: groq.url, openai: openai.url, settings: { external: 'allowed' } });
      const { output } = await run({ role: 'custom', instructions: 'Extract the city of the lead.', outputSchema: schema, input: { address: 'حي العليا، الرياض' } }, { llm: service });
      expect(output.result).to.deep.equal({ city: 'الرياض' });
      expect(groq.requests[0]!.body!.messages![0]!.content).to.match(/^Extract the city of the lead\./);
    });

    it('with no model and no rules: llm_unavailable (retryable; the error port takes it when connected)', async () => {
      const err = await failureOf(runNode(aiAgentNode, { params: { role: 'custom', instructions: 'Say hi' } }));
      expect(err.code).to.equal('llm_unavailable');
      expect(err.retryable).to.equal(true);
    });
  });

  it('a misconfigured provider (400) fails the step, no rules answer', async () => {
    groq.setDefault({ status: 400, message: 'model `llama-9` does not exist' });
    const { service } = fakeLlm({ groq: groq.url, openai: openai.url, settings: { external: 'allowed' } });
    const err = await failureOf(runNode(aiAgentNode, { params: { role: 'deal_advisor' }, input: {}, llm: service }));
    expect(err.code).to.equal('llm_bad_request');
    expect(err.retryable).to.equal(false);
    expect(err.message).to.include('does not exist');
  });

  it('checks params at save time: custom needs instructions; outputSchema must compile; roles are known', () => {
    expect(checkParams(aiAgentNode, { role: 'custom' })).to.deep.equal([{ path: '/instructions', code: 'required', message: 'a custom agent needs instructions' }]);
    expect(checkParams(aiAgentNode, { role: 'deal_advisor', outputSchema: { type: 'nope' } }).map((e) => e.code)).to.deep.equal(['invalid_schema']);
    expect(checkParams(aiAgentNode, { role: 'wizard' }).length).to.be.greaterThan(0);
    expect(checkParams(aiAgentNode, { role: 'deal_advisor' })).to.deep.equal([]);
  });
});
