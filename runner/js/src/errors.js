// The error classes Segment's runtime exposes as globals. Functions throw them to tell
// the platform what went wrong: a bad payload, an event they ignore, or a transient
// failure worth a retry.
function defineError(name) {
  const cls = class extends Error {
    constructor(message) {
      super(message);
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  Object.defineProperty(cls.prototype, 'name', {
    value: name, writable: true, configurable: true, enumerable: false,
  });
  return cls;
}

export const ValidationError = defineError('ValidationError');
export const EventNotSupported = defineError('EventNotSupported');
export const InvalidEventPayload = defineError('InvalidEventPayload');
export const RetryError = defineError('RetryError');
export const FetchError = defineError('FetchError');
// node-fetch's rejection of a request whose AbortSignal fired.
export const AbortError = defineError('AbortError');

// Raised by the runner itself when an execution is ended from outside.
export const TimeoutError = defineError('TimeoutError');
// Raised at the call that goes over a cap on an execution's output (caps.js).
export const OutputLimitError = defineError('OutputLimitError');
