// The text a provider sends for an OutboundMessage, for providers without a template API
// (UltraMsg, SMTP, and Twilio when the template is not a Twilio Content SID).
//
// Templates: a WhatsApp-style template is text with placeholders — `{{1}}`, `{{2}}` (Meta's
// numbered form) or `{{first_name}}` — and `template.variables` gives their values. The outbox
// puts the template's approved text in `text`; the provider substitutes the variables here. A
// placeholder without a value fails the send (definite, not retryable) rather than sending
// "{{first_name}}" to a customer. Without `text`, a template cannot be rendered (UltraMsg has
// no template store), which is also a definite failure.
import { ProviderError, type OutboundMessage } from './provider.js';

const PLACEHOLDER = /\{\{\s*([\p{L}\p{N}_.-]{1,64})\s*\}\}/gu;

/** Substitute `{{name}}` placeholders; throws ProviderError naming the first missing variable. */
export function renderTemplate(text: string, variables: Record<string, string> | undefined, provider: string): string {
  return text.replace(PLACEHOLDER, (_m, name: string) => {
    const value = variables?.[name];
    if (value === undefined || value === null) {
      throw new ProviderError('template_variable_missing', `${provider}: the template needs a value for {{${name}}}`, true, false);
    }
    return String(value);
  });
}

/** The body to send: `text`, with the template's variables substituted when a template is given. */
export function messageText(message: OutboundMessage, provider: string): string {
  if (message.text === undefined || message.text === '') {
    if (message.template) {
      throw new ProviderError('template_text_required', `${provider}: has no template API; the template "${message.template.name}" needs its text in the message`, true, false);
    }
    throw new ProviderError('empty_message', `${provider}: the message has no text`, true, false);
  }
  return message.template ? renderTemplate(message.text, message.template.variables, provider) : message.text;
}
