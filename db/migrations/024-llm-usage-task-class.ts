// LLM routing by task (engine/llm/routing.ts): each llm_usage row carries the task class the
// call was routed by (classification, sales_copy, research, code, fallback), so cost is reported
// per class. Rows written before routing keep NULL (reported as "unclassified").
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('llm_usage', 'task_class', { type: DataTypes.STRING(32), allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn('llm_usage', 'task_class');
}
