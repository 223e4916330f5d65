"""PostgreSQL backend of the platform: the tenant setting row-level security reads, and the two roles.

`ENGINE = "yuqing.postgres"` is Django's PostgreSQL backend plus:

- before a query, the connection's `yuqing.tenant_id` / `yuqing.all_tenants` settings are made to
  match the tenant context (`yuqing.tenancy.context`), once per change, never per query;
- test databases are created and migrated as the owner role (`DATABASE_OWNER_URL`);
- `rls.py`: the grants of the app role and the policies of every tenant table, re-applied after
  every `migrate`.
"""
