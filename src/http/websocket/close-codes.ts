/**
 * Close status codes of RFC 6455 §7.4 (and the IANA registry) that Covet sends or names.
 *
 * @example
 * await ws.close(CLOSE_CODES.GOING_AWAY, 'Server restarting')
 */
export const CLOSE_CODES = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** Never sent: reported when a close frame carried no code. */
  NO_STATUS: 1005,
  /** Never sent: reported when the connection ended without a close frame. */
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
} as const;

/**
 * Whether `code` may appear in a close frame on the wire: 1000–1003, 1007–1014 and the
 * 3000–4999 range for libraries and applications. 1004–1006 and 1015 are reserved for
 * reporting and must never be sent.
 *
 * @example
 * isValidCloseCode(1000) // true
 * isValidCloseCode(1006) // false
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
