// Contacts, PDPL consents and their trail, and the contact's data elsewhere (erasure, export).
export { ContactRepository, DuplicateContactError, type Contact, type ContactFields, type ContactFilter } from './contact-repository.js';
export {
  ConsentRepository,
  ConsentChangeRefused,
  expireDueConsents,
  EXPIRY_ACTOR,
  type Consent,
  type ConsentEvent,
  type ChangeInput,
} from './consent-repository.js';
export { importContacts, type ImportContact, type ImportConsent, type ImportOutcome, type ImportRowError } from './contact-import.js';
export { SubjectData, ERASED, redactExecutionState, redactError } from './subject-data.js';
export { personalDataMatcher, phoneDigits, scrubValue, scrubColumn, holdsPersonalData, type PersonalDataMatcher, type PersonalIdentifiers } from './personal-data.js';
export { sweepPersonalData, unfinishedExecutionsHolding, SWEEP_TABLES, NO_CONTACT_DATA_TABLES, type SweepTable, type SweepResult } from './personal-data-sweep.js';
