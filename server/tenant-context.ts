// Which tenant an API request acts for. Until sign-in lands (the auth issue replaces this
// middleware with passport/JWT), the tenant is named by the `X-Tadfuq-Tenant` header and
// defaults to the seeded demo tenant; the server listens on 127.0.0.1 by default for that reason.
import type { RequestHandler, Response } from 'express';
import type { AppContext } from './app-context.js';
import type { Tenant } from '../db/index.js';
import { notFound } from './api-error.js';

export const DEMO_TENANT_SLUG = 'demo';

export function tenantContext(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    const slug = req.get('x-tadfuq-tenant') || DEMO_TENANT_SLUG;
    const tenant = await ctx.tenants.bySlug(slug);
    if (!tenant) throw notFound('tenant');
    res.locals.tenant = tenant;
    next();
  };
}

export function tenantOf(res: Response): Tenant {
  return res.locals.tenant as Tenant;
}
