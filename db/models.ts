// The one Sequelize model still in use: tenants (tenant-repository.ts). The other tables are
// read and written with SQL by their repositories (and the execution hot path by SqlRunStore).
// Defined per Sequelize instance, so a process can hold a SQLite and a PostgreSQL database at
// once (the tests do). Times are epoch milliseconds; JSON is TEXT.
import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';

export interface TenantRow {
  id: string;
  slug: string;
  name: string;
  settings: string;
  created_at: number;
  updated_at: number;
}

type M<T extends object> = ModelStatic<Model<T, T>>;

export interface Models {
  Tenant: M<TenantRow>;
}

const str = (n: number) => ({ type: DataTypes.STRING(n), allowNull: false });
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
    Tenant: sequelize.define(
      'tenants',
      {
        id: { ...str(64), primaryKey: true },
        slug: str(64),
        name: str(200),
        settings: { type: DataTypes.TEXT, allowNull: false },
        created_at: epoch('created_at'),
        updated_at: epoch('updated_at'),
      },
      options,
    ) as M<TenantRow>,
  };
  cache.set(sequelize, m);
  return m;
}
