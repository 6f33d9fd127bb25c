// Flow templates: the file format, export, import planning (pure) and the built-in gallery.
export * from './template-format.js';
export { exportTemplate, slug, type ExportInput, type ExportResult } from './export-template.js';
export { planImport, webhookConflicts, type ImportInput, type ImportPlan, type PlannedWebhook } from './import-plan.js';
export { literalSecrets, isSecretName, isConstantExpression } from './secrets.js';
export { placeholderNames, placeholderSites, substitute } from './variables.js';
export { originOf, paramSourcesOf, ORIGIN_META_KEY, PARAMS_META_KEY, type TemplateOrigin } from './origin.js';
export { CREDENTIAL_PARAM, credentialParamsOf, credentialUses, type CredentialParam, type CredentialUse } from './node-credentials.js';
export { loadGallery, summarize, builtinTemplatesDir, type Gallery, type TemplateSummary } from './gallery.js';
