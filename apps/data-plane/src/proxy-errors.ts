// Responses the proxy itself produces, with Kong's exact messages and status codes.

export const PROXY_ERRORS = {
  NO_ROUTE: { status: 404, message: 'no Route matched with those values' },
  NO_SERVICE: { status: 503, message: 'no Service found with those values' },
  NO_PEER: { status: 503, message: 'failure to get a peer from the ring-balancer' },
  BAD_GATEWAY: { status: 502, message: 'An invalid response was received from the upstream server' },
  TIMEOUT: { status: 504, message: 'The upstream server is timing out' },
  HTTPS_REQUIRED: { status: 426, message: 'Please use HTTPS protocol' },
  // Extension: every target of the upstream is cooling down (provider rate limits) or out of
  // budget; sent with Retry-After for the soonest recovery.
  TARGETS_EXHAUSTED: { status: 429, message: 'All upstream targets are rate limited; retry later' },
  INTERNAL: { status: 500, message: 'An unexpected error occurred' },
  // Kong's error handler (kong/error_handlers.lua) for what nginx refuses before any Lua runs;
  // nginx's internal 494 (header too large) goes out as 400.
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  HEADER_TOO_LARGE: { status: 400, message: 'Request header or cookie too large' },
  REQUEST_TIMEOUT: { status: 408, message: 'Request timeout' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Payload too large' },
  URI_TOO_LONG: { status: 414, message: 'URI too long' },
} as const

export type ProxyError = (typeof PROXY_ERRORS)[keyof typeof PROXY_ERRORS]
