// LLM usage: one row per billed provider call (an answer, also one that failed validation: it
// used tokens), with its estimated cost in integer micro-USD (engine/llm/prices.ts). Read per
// tenant and per execution by GET /api/v1/llm-usage. Holds no prompt or personal data (those
// stay in the step's output, erased with it).
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('llm_usage', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    tenant_id: { type: DataTypes.STRING(64), allowNull: false },
    execution_id: { type: DataTypes.STRING(64), allowNull: true },
    step_id: { type: DataTypes.STRING(100), allowNull: true },
    /** groq | openai */
    provider: { type: DataTypes.STRING(16), allowNull: false },
    model: { type: DataTypes.STRING(200), allowNull: false },
    /** what the call was for: score, agent:deal_advisor, … */
    task: { type: DataTypes.STRING(100), allowNull: false },
    prompt_tokens: { type: DataTypes.INTEGER, allowNull: false },
    completion_tokens: { type: DataTypes.INTEGER, allowNull: false },
    /** estimated cost, integer micro-USD (never a float) */
    cost_micro_usd: { type: DataTypes.BIGINT, allowNull: false },
    /** epoch ms (UTC) */
    at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex('llm_usage', ['tenant_id', 'at'], { name: 'llm_usage_tenant_at' });
  await qi.addIndex('llm_usage', ['tenant_id', 'execution_id'], { name: 'llm_usage_tenant_execution' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('llm_usage');
}
