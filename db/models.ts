// Sequelize models for the tables the repositories manage (the execution hot path uses
// SqlRunStore instead). Defined per Sequelize instance, so a process can hold a SQLite and a
// PostgreSQL database at once (the tests do). Times are epoch milliseconds; JSON is TEXT.
import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';

export interface TenantRow {
  id: string;
  slug: string;
  name: string;
  settings: string;
  created_at: number;
  updated_at: number;
}

export interface FlowRow {
  id: string;
  tenant_id: string;
  name: string;
  status: string;
  draft: string;
  published_version: number | null;
  created_at: number;
  updated_at: number;
}

export interface FlowVersionRow {
  id: string;
  tenant_id: string;
  flow_id: string;
  version: number;
  definition: string;
  created_at: number;
}

export interface WebhookRouteRow {
  id: string;
  tenant_id: string;
  method: string;
  path: string;
  flow_id: string;
  version: number;
  node_id: string;
  respond: string;
}

type M<T extends object> = ModelStatic<Model<T, T>>;

export interface Models {
  Tenant: M<TenantRow>;
  Flow: M<FlowRow>;
  FlowVersion: M<FlowVersionRow>;
  WebhookRoute: M<WebhookRouteRow>;
}

const str = (n: number) => ({ type: DataTypes.STRING(n), allowNull: false });
// Factories, not shared objects: Sequelize writes into attribute definitions.
const text = () => ({ type: DataTypes.TEXT, allowNull: false });
const int = () => ({ type: DataTypes.INTEGER, allowNull: false });
// PostgreSQL returns BIGINT as a string; these hold epoch ms, exact as JS numbers.
const epoch = (name: string) => ({
  type: DataTypes.BIGINT,
  allowNull: false,
  get(this: Model) {
    return Number(this.getDataValue(name as never));
  },
});

const cache = new WeakMap<Sequelize, Models>();

export function models(sequelize: Sequelize): Models {
  const done = cache.get(sequelize);
  if (done) return done;
  const options = { timestamps: false, freezeTableName: true };
  const m: Models = {
    Tenant: sequelize.define('tenants', {
      id: { ...str(64), primaryKey: true },
      slug: str(64),
      name: str(200),
      settings: text(),
      created_at: epoch('created_at'),
      updated_at: epoch('updated_at'),
    }, options) as M<TenantRow>,
    Flow: sequelize.define('flows', {
      id: { ...str(64), primaryKey: true },
      tenant_id: str(64),
      name: str(200),
      status: str(16),
      draft: text(),
      published_version: { type: DataTypes.INTEGER, allowNull: true },
      created_at: epoch('created_at'),
      updated_at: epoch('updated_at'),
    }, options) as M<FlowRow>,
    FlowVersion: sequelize.define('flow_versions', {
      id: { ...str(64), primaryKey: true },
      tenant_id: str(64),
      flow_id: str(64),
      version: int(),
      definition: text(),
      created_at: epoch('created_at'),
    }, options) as M<FlowVersionRow>,
    WebhookRoute: sequelize.define('webhook_routes', {
      id: { ...str(64), primaryKey: true },
      tenant_id: str(64),
      method: str(8),
      path: str(200),
      flow_id: str(64),
      version: int(),
      node_id: str(64),
      respond: str(16),
    }, options) as M<WebhookRouteRow>,
  };
  cache.set(sequelize, m);
  return m;
}
