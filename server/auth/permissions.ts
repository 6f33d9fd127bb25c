// Who may do what: the one permission table of the API (README "Roles and permissions" is
// generated from the same rows by `npm run docs:permissions`). Every route names one action;
// the router refuses the rest with 403 before the handler runs. Class C actions (reading
// secrets, cross-tenant access, sends without consent) are not in the table: no role has them.
export const ROLES = ['owner', 'admin', 'manager', 'sales_rep', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const ALL: readonly Role[] = ROLES;
const EDITORS: readonly Role[] = ['owner', 'admin', 'manager'];
const ADMINS: readonly Role[] = ['owner', 'admin'];

export const PERMISSIONS = {
  'tenant.read': { roles: ALL, en: 'See the tenant and its settings', ar: 'عرض المستأجر وإعداداته' },
  'tenant.update': { roles: ['owner'], en: 'Change tenant settings', ar: 'تغيير إعدادات المستأجر' },
  'users.read': { roles: ADMINS, en: 'List users and invitations', ar: 'عرض المستخدمين والدعوات' },
  'users.manage': { roles: ADMINS, en: 'Invite users, change roles, remove users (only an owner grants owner)', ar: 'دعوة المستخدمين وتغيير الأدوار وإزالتهم (المالك وحده يمنح دور المالك)' },
  'apikeys.manage': { roles: ADMINS, en: 'Create, list and revoke API keys', ar: 'إنشاء مفاتيح API وعرضها وإلغاؤها' },
  'credentials.read': { roles: EDITORS, en: 'See credential metadata (never the secret)', ar: 'عرض بيانات الاعتماد الوصفية (دون السر أبدًا)' },
  'credentials.write': { roles: ADMINS, en: 'Create, replace and delete credentials', ar: 'إنشاء بيانات الاعتماد واستبدالها وحذفها' },
  'flows.read': { roles: ALL, en: 'See flows, drafts and versions', ar: 'عرض التدفقات والمسودات والإصدارات' },
  'flows.write': { roles: EDITORS, en: 'Create, edit and delete flow drafts', ar: 'إنشاء مسودات التدفقات وتعديلها وحذفها' },
  'flows.test': { roles: EDITORS, en: 'Test-run a draft', ar: 'تشغيل تجريبي لمسودة' },
  'flows.publish': { roles: EDITORS, en: 'Publish a flow without Class B nodes; request publishing one with them', ar: 'نشر تدفق بلا عقد من الفئة ب؛ وطلب نشر ما فيه منها' },
  'flows.publish.classB': { roles: ADMINS, en: 'Publish a flow with Class B nodes (sends, external HTTP), roll back, approve publish requests', ar: 'نشر تدفق فيه عقد من الفئة ب (إرسال، HTTP خارجي)، والتراجع، واعتماد طلبات النشر' },
  'executions.read': { roles: ALL, en: 'See executions and their steps', ar: 'عرض التنفيذات وخطواتها' },
  'executions.manage': { roles: EDITORS, en: 'Cancel and replay executions', ar: 'إلغاء التنفيذات وإعادة تشغيلها' },
  'executions.prune': { roles: ['owner'], en: 'Set the retention policy and prune executions', ar: 'ضبط سياسة الاحتفاظ وحذف التنفيذات القديمة' },
  'templates.export': { roles: EDITORS, en: 'Export flows as templates', ar: 'تصدير التدفقات كقوالب' },
  'templates.import': { roles: ADMINS, en: 'Import templates', ar: 'استيراد القوالب' },
  'audit.read': { roles: ADMINS, en: 'Read the audit log', ar: 'قراءة سجل التدقيق' },
  'nodes.read': { roles: ALL, en: 'See node types', ar: 'عرض أنواع العقد' },
  'code.test': { roles: EDITORS, en: 'Run a code step in the sandbox', ar: 'تشغيل خطوة برمجية في البيئة المعزولة' },
  'sendpolicy.read': { roles: ALL, en: 'See the send policy (business hours, caps) and holidays', ar: 'عرض سياسة الإرسال (ساعات العمل والحدود اليومية) والعطلات' },
  'sendpolicy.manage': { roles: ADMINS, en: 'Change the send policy and holidays', ar: 'تغيير سياسة الإرسال والعطلات' },
  'contacts.read': { roles: ALL, en: 'See contacts, their consents and consent history (a sales rep: own contacts only)', ar: 'عرض جهات الاتصال وموافقاتها وسجلها (مندوب المبيعات: جهاته فقط)' },
  'contacts.write': { roles: ['owner', 'admin', 'manager', 'sales_rep'], en: 'Create and correct contacts (a sales rep: own contacts only)', ar: 'إنشاء جهات الاتصال وتصحيحها (مندوب المبيعات: جهاته فقط)' },
  'contacts.import': { roles: EDITORS, en: 'Import contacts and consents from CSV', ar: 'استيراد جهات الاتصال والموافقات من ملف CSV' },
  'contacts.export': { roles: ADMINS, en: 'Export everything held about a contact (data subject access request)', ar: 'تصدير كل البيانات المحفوظة عن جهة اتصال (طلب وصول صاحب البيانات)' },
  'contacts.erase': { roles: ADMINS, en: 'Erase a contact (anonymise it and its execution data; the audit trail is kept)', ar: 'محو جهة اتصال (إخفاء هويتها وبيانات تنفيذاتها مع الإبقاء على سجل التدقيق)' },
  'consent.manage': { roles: ['owner', 'admin', 'manager', 'sales_rep'], en: 'Grant, renew and withdraw consent with evidence (a sales rep: own contacts only)', ar: 'منح الموافقة وتجديدها وسحبها مع الإثبات (مندوب المبيعات: جهاته فقط)' },
  'enrollments.read': { roles: ALL, en: 'See enrollments (contacts in sequences) and their history (a sales rep: own contacts only)', ar: 'عرض التسجيلات (جهات الاتصال في التسلسلات) وسجلها (مندوب المبيعات: جهاته فقط)' },
  'enrollments.manage': { roles: ['owner', 'admin', 'manager', 'sales_rep'], en: 'Enroll contacts in a flow, pause, resume and unenroll them (a sales rep: own contacts only)', ar: 'تسجيل جهات الاتصال في تدفق وإيقافها مؤقتًا واستئنافها وإلغاء تسجيلها (مندوب المبيعات: جهاته فقط)' },
  'outbox.read': { roles: ALL, en: 'See outbound messages and their delivery status (a sales rep: to own contacts only)', ar: 'عرض الرسائل الصادرة وحالة تسليمها (مندوب المبيعات: لجهاته فقط)' },
  'outbox.resolve': { roles: EDITORS, en: 'Resolve an uncertain outbound message as sent or not sent', ar: 'حسم رسالة صادرة غير مؤكدة بأنها أُرسلت أو لم تُرسل' },
  'escalations.read': { roles: ALL, en: 'See escalations in the inbox (a sales rep: those assigned to them or to their role)', ar: 'عرض التصعيدات في صندوق التصعيدات (مندوب المبيعات: المسندة إليه أو إلى دوره فقط)' },
  'escalations.decide': { roles: ['owner', 'admin', 'manager', 'sales_rep'], en: 'Claim, approve (with edits) and reject escalations (a sales rep: own only)', ar: 'استلام التصعيدات والموافقة عليها (مع التعديل) ورفضها (مندوب المبيعات: تصعيداته فقط)' },
  'escalations.assign': { roles: EDITORS, en: 'Reassign an escalation to a member or a role', ar: 'إعادة إسناد تصعيد إلى عضو أو دور' },
  'events.publish': { roles: EDITORS, en: 'Publish domain events (lead.created, deal.stage_changed…) that start flows; also API keys with this scope', ar: 'نشر أحداث النظام (مثل lead.created وdeal.stage_changed) التي تبدأ التدفقات؛ وكذلك مفاتيح API بهذا النطاق' },
  'events.read': { roles: EDITORS, en: 'See published domain events and the executions they started', ar: 'عرض أحداث النظام المنشورة والتنفيذات التي بدأتها' },
  'deals.read': { roles: ALL, en: 'See deals (a sales rep: own deals only)', ar: 'عرض الصفقات (مندوب المبيعات: صفقاته فقط)' },
  'deals.write': { roles: ['owner', 'admin', 'manager', 'sales_rep'], en: 'Create, change and delete deals (a sales rep: own deals only)', ar: 'إنشاء الصفقات وتعديلها وحذفها (مندوب المبيعات: صفقاته فقط)' },
  'meetings.read': { roles: ALL, en: 'See meetings (a sales rep: own meetings only)', ar: 'عرض الاجتماعات (مندوب المبيعات: اجتماعاته فقط)' },
  'meetings.write': { roles: ['owner', 'admin', 'manager', 'sales_rep'], en: 'Schedule, change and cancel meetings (a sales rep: own meetings only)', ar: 'جدولة الاجتماعات وتعديلها وإلغاؤها (مندوب المبيعات: اجتماعاته فقط)' },
  'ai.routing.manage': { roles: ADMINS, en: 'Change the LLM routing table (which provider and model answers each task class)', ar: 'تغيير جدول توجيه نماذج الذكاء الاصطناعي (أي مزوّد ونموذج يجيب كل فئة مهام)' },
  'ai.usage.read': { roles: EDITORS, en: 'See LLM usage: tokens and estimated cost per model, task and execution', ar: 'عرض استخدام نماذج الذكاء الاصطناعي: الرموز والتكلفة التقديرية لكل نموذج ومهمة وتنفيذ' },
} as const satisfies Record<string, { roles: readonly Role[]; en: string; ar: string }>;

export type Permission = keyof typeof PERMISSIONS;

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission].roles as readonly Role[]).includes(role);
}

/** Rank for "may not grant more than you hold": a lower number is more powerful. */
export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}
