// Quarantine of executions that keep killing their process (engine/README.md, "Quarantine"):
// `starts` counts how many times the current segment of an execution was started without
// reaching a wait or its end. It is written in the commit made before the segment's first step
// runs, so a process killed mid-step has already counted the attempt; 0 while waiting.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('executions', 'starts', { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn('executions', 'starts');
}
