// What the runtime (API process and queue workers alike) is given by the enrollments module:
// - `contact`: the fields of an execution's subject for `$contact` and ctx.contact, read from
//   the contacts table once per drive segment (so a resumed execution sees the contact as it
//   is then: an erased contact anonymised). Null when the subject is no contact of the tenant.
// - `onFinished`: an enrollment's execution ended → the enrollment ends (completed, failed,
//   cancelled), right where the execution was driven. Reads catch up if this was missed.
import type { Logger } from 'pino';
import type { DriverOptions } from '../../engine/index.js';
import type { Database } from '../../db/index.js';
import { ContactRepository } from '../../db/contacts/index.js';
import { EnrollmentRepository } from '../../db/enrollment-repository.js';
import { ENROLLMENT_MODE, contactFields, endFromExecution } from './enrollment-service.js';

export function enrollmentRuntimeOptions(db: Database, log: Logger): Required<Pick<DriverOptions, 'contact' | 'onFinished'>> {
  return {
    async contact(tenantId, contactId) {
      const contact = await new ContactRepository(db, tenantId).byId(contactId);
      return contact ? contactFields(contact) : null;
    },
    async onFinished(meta, state) {
      if (meta.mode !== ENROLLMENT_MODE) return;
      try {
        const enrollment = await new EnrollmentRepository(db, meta.tenantId).byExecution(meta.id);
        if (enrollment) await endFromExecution(db, meta.tenantId, enrollment, state.status, Date.now());
      } catch (err) {
        log.error({ err, executionId: meta.id }, 'ending an enrollment after its execution failed');
      }
    },
  };
}
