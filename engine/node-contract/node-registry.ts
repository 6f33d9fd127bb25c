import type { TSchema } from '@sinclair/typebox';
import type { NodeType } from './define-node.js';

/** Node types by id. Built by nodes/ and handed to the engine, which never imports nodes/. */
export class NodeRegistry {
  private readonly types = new Map<string, NodeType>();

  constructor(types: NodeType<TSchema>[] = []) {
    for (const t of types) this.register(t);
  }

  register(nodeType: NodeType<TSchema>): this {
    if (this.types.has(nodeType.type)) throw new Error(`node type registered twice: ${nodeType.type}`);
    this.types.set(nodeType.type, nodeType as unknown as NodeType);
    return this;
  }

  get(type: string): NodeType | undefined {
    return this.types.get(type);
  }

  list(): NodeType[] {
    return [...this.types.values()];
  }
}
