/** Longest description of a failure in a log line: a handler's error object can be large. */
export const MAX_FAILURE_CHARS = 1000;

/**
 * What Nest hands a transport for any exception other than an `RpcException`: its default
 * exception filter (`BaseRpcExceptionFilter`) replaces it with this. It logs the exception first,
 * unless it is an `HttpException` (an `IntrinsicException`), which it drops: the
 * `BadRequestException` of the default `ValidationPipe`, with the validation messages, never
 * reaches the transport.
 */
const NEST_UNKNOWN_ERROR = 'Internal server error';

const HIDDEN_BY_NEST =
  `Nest's exception filter passed on only '${NEST_UNKNOWN_ERROR}': it logs an Error itself, but drops an HttpException ` +
  `such as ValidationPipe's BadRequestException; to see its details here, throw an RpcException, or give ValidationPipe ` +
  `exceptionFactory: (errors) => new RpcException(errors)`;

/**
 * Describes what a handler failed with, in at most {@link MAX_FAILURE_CHARS} characters: an
 * Error by its message, class-validator errors by their messages, Nest's stand-in for an
 * exception it kept to itself by what to do about it, any other value as JSON.
 */
export function describeFailure(error: unknown): string {
  return bounded(describe(error));
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  if (typeof error === 'string') return error;
  if (typeof error !== 'object' || error === null) return String(error);
  const validation = validationMessages(error);
  if (validation.length > 0) return `validation failed: ${validation.join('; ')}`;
  const fields = Object.keys(error);
  const message = (error as { message?: unknown }).message;
  // `{ status: 'error', message }` is how Nest wraps RpcException('text'), and its stand-in above.
  if (fields.length === 2 && (error as { status?: unknown }).status === 'error' && typeof message === 'string') {
    return message === NEST_UNKNOWN_ERROR ? HIDDEN_BY_NEST : message;
  }
  return json(error);
}

/** The constraint messages of class-validator `ValidationError`s (as `RpcException(errors)` carries them), children included. */
function validationMessages(value: object): string[] {
  if (!Array.isArray(value)) return [];
  const messages: string[] = [];
  const visit = (errors: unknown[], path: string): void => {
    for (const e of errors) {
      if (typeof e !== 'object' || e === null || !('property' in e)) continue;
      const item = e as { property: unknown; constraints?: unknown; children?: unknown };
      const property = `${path}${String(item.property)}`;
      if (typeof item.constraints === 'object' && item.constraints !== null) {
        // class-validator names the property in each message; a nested one also gets its parent's path.
        for (const text of Object.values(item.constraints)) messages.push(`${path}${String(text)}`);
      }
      if (Array.isArray(item.children)) visit(item.children as unknown[], `${property}.`);
    }
  };
  visit(value as unknown[], '');
  return messages;
}

/** JSON that survives cycles, BigInts and Errors nested in the value. */
function json(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === 'bigint') return `${v}n`;
        if (v instanceof Error) return { name: v.name, message: v.message };
        if (typeof v === 'object' && v !== null) {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
        }
        return v;
      }) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

function bounded(text: string): string {
  return text.length <= MAX_FAILURE_CHARS ? text : `${text.slice(0, MAX_FAILURE_CHARS)}… (${text.length} characters)`;
}
