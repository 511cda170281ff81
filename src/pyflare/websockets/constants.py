"""WebSocket limits and close codes, as workerd and Cloudflare's edge use them."""

from __future__ import annotations

# Largest message a worker receives (workerd's WEBSOCKET_MAX_MESSAGE_SIZE); a bigger one closes with 1009.
MAX_MESSAGE_SIZE = 32 * 1024 * 1024

# Bytes a worker's end may have waiting for a peer that does not read. workerd's own queue has no bound (its
# isolate's 128 MB of memory is one on Cloudflare): past this pyflare closes the connection as one whose peer
# stopped accepting messages (websockets/outbox.py).
MAX_SEND_BACKLOG = 128 * 1024 * 1024
SEND_BACKLOG_EXCEEDED = "WebSocket send queue exceeded {} bytes: the peer is not reading"

# RFC 6455: a close frame carries at most 123 bytes of reason (checked from compat date 2026-03-03).
MAX_CLOSE_REASON_BYTES = 123

# readyState values.
CONNECTING, OPEN, CLOSING, CLOSED = 0, 1, 2, 3

# Close codes.
NORMAL_CLOSURE = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
NO_STATUS_RECEIVED = 1005
ABNORMAL_CLOSURE = 1006
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011
SERVICE_RESTART = 1012
# Codes an endpoint may not put in a close frame (RFC 6455 7.4.1); workerd's close() refuses them.
RESERVED_CLOSE_CODES = (1004, 1005, 1006, 1015)

DISCONNECTED_REASON = "WebSocket disconnected without sending Close frame."
CONNECT_FAILED_REASON = "Failed to establish websocket connection"

# Hibernation API (workerd actor-state.h, legacy-hibernation-manager.h, web-socket.h).
MAX_TAGS = 10
MAX_TAG_LENGTH = 256
MAX_ATTACHMENT_SIZE = 16 * 1024
MAX_AUTO_RESPONSE_SIZE = 2048
MAX_EVENT_TIMEOUT_MS = 604_800_000
MAX_HIBERNATABLE_SOCKETS = 32 * 1024

# Compatibility dates of behaviour changes (workerd compatibility-date.capnp).
AUTO_REPLY_TO_CLOSE_DATE = "2026-04-07"  # web_socket_auto_reply_to_close / web_socket_manual_reply_to_close
CLOSE_REASON_LIMIT_DATE = "2026-03-03"  # websocket_close_reason_byte_limit / no_websocket_close_reason_byte_limit
